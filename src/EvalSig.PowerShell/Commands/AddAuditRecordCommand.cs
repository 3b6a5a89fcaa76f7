using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;

namespace EvalSig.Commands;

/// <summary>Appends records to the HMAC-chained ledger; piped input is one all-or-nothing batch.</summary>
[Cmdlet(VerbsCommon.Add, "AuditRecord", SupportsShouldProcess = true)]
[OutputType(typeof(AuditRecord))]
public sealed class AddAuditRecordCommand : AuditCmdlet
{
    private readonly List<AuditEntry> _entries = new();

    /// <summary>A hashtable, object or JSON text; a GateReport is recorded as evalsig.gate.v1.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("InputObject")]
    [ValidateNotNull]
    public object? Payload { get; set; }

    [Parameter(Position = 1)]
    [ArgumentCompleter(typeof(SchemaKeyCompleter))]
    [ValidateNotNullOrEmpty]
    public string? SchemaKey { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProjectId { get; set; }

    /// <summary>Reject unknown schema keys (default); -StrictSchema:$false records them unchecked.</summary>
    [Parameter]
    public SwitchParameter StrictSchema { get; set; } = true;

    /// <summary>Bring index.sqlite level with the ledger as part of the append, so the next query has nothing to catch up.</summary>
    [Parameter]
    public SwitchParameter UpdateIndex { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNull]
    public SecureString? Key { get; set; }

    /// <summary>
    /// Object storage only: create each new ledger object with write-once retention (S3 Object Lock,
    /// Azure immutability policy) for -RetentionDays in -RetentionMode. Refused where the bucket or
    /// container cannot hold it. Default: $env:EVALSIG_AUDIT_RETENTION, else none.
    /// </summary>
    [Parameter]
    public SwitchParameter Immutable { get; set; }

    [Parameter]
    [ValidateRange(1, 36500)]
    public int RetentionDays { get; set; } = 365;

    [Parameter]
    public AuditRetentionMode RetentionMode { get; set; } = AuditRetentionMode.Governance;

    protected override void ProcessRecord()
    {
        var value = Payload is PSObject p ? p.BaseObject : Payload;
        var schema = SchemaKey ?? (value is GateReport ? "evalsig.gate.v1" : null);
        if (schema is null)
        {
            ThrowTerminatingError(Error(EvalSigError.AuditSchemaUnknown, EvalSigErrorKind.InvalidArgument, "Give -SchemaKey (Get-AuditSchema lists them); only a GateReport is recorded without one (as evalsig.gate.v1).", Payload));
        }

        _entries.Add(new AuditEntry(schema!, ProjectId, PayloadJson(Payload)));
    }

    protected override void EndProcessing()
    {
        if (_entries.Count == 0)
        {
            return;
        }

        var ledger = OpenLedger(Immutable ? new AuditBackendOptions { Retention = AuditRetention.Create(RetentionMode, RetentionDays) } : null);
        if (!ShouldProcess(ledger.Location, $"Append {_entries.Count} audit record(s){(Immutable ? $" with {RetentionMode} retention for {RetentionDays} days" : string.Empty)}"))
        {
            return;
        }

        var key = ResolveSigningKey(KeyPath, Key);
        IReadOnlyList<AuditRecord>? records = null;
        Try(() => records = AuditLog.Append(ledger, key, _entries, StrictSchema, new AuditAppendOptions { UpdateIndex = UpdateIndex, Observer = Observer }, Cancellation), terminating: true);
        foreach (var r in records!)
        {
            WriteObject(r);
        }
    }
}
