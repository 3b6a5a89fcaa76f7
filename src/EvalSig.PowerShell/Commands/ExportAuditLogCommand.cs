using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>
/// Exports records as JSONL or CSV (optionally gzipped), atomically; with -WithProofs, each record
/// with its inclusion proof against a signed tree head, so the file verifies on its own.
/// </summary>
[Cmdlet(VerbsData.Export, "AuditLog", SupportsShouldProcess = true, DefaultParameterSetName = nameof(ParameterSet.Query))]
[OutputType(typeof(FileInfo))]
public sealed class ExportAuditLogCommand : AuditCmdlet
{
    private readonly List<AuditRecord> _records = new();

    private enum ParameterSet
    {
        Query,
        Records,
    }

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    public AuditExportFormat Format { get; set; } = AuditExportFormat.Jsonl;

    [Parameter]
    public SwitchParameter Compress { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Records))]
    [ValidateNotNull]
    public AuditRecord? InputObject { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    [ArgumentCompleter(typeof(SchemaKeyCompleter))]
    public string? SchemaKey { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public string? ProjectId { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public object? From { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Query))]
    public object? To { get; set; }

    /// <summary>Write each record with its inclusion proof against the signed head -Checkpoint (JSONL only).</summary>
    [Parameter]
    public SwitchParameter WithProofs { get; set; }

    /// <summary>The signed tree head (Export-AuditCheckpoint -SigningKeyPath) the proofs are against.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Checkpoint { get; set; }

    /// <summary>Key files to authenticate index.sqlite for the query; without, it is read unauthenticated (with a warning). Unused for piped records.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            _records.Add(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        var target = ResolveOutputPath(Path);
        if (!ShouldProcess(target, $"Export audit records as {Format}{(Compress ? " (gzip)" : string.Empty)}"))
        {
            return;
        }

        IEnumerable<AuditRecord> records = _records;
        if (ParameterSetName == nameof(ParameterSet.Query))
        {
            var query = new AuditQuery { SchemaKey = SchemaKey, ProjectId = ProjectId, From = ToInstant(From, nameof(From)), To = ToInstant(To, nameof(To), upperBound: true) };
            var ledger = OpenLedger();
            if (ledger is LocalLedger local)
            {
                Try(local.RequireLedger, terminating: true);
            }

            records = ledger.Query(query, new AuditReadOptions { Keyring = TryResolveKeyring(KeyPath, Key), Observer = Observer }, Cancellation);
        }

        if (WithProofs)
        {
            ExportWithProofs(records, target);
            return;
        }

        if (Checkpoint is not null)
        {
            ThrowTerminatingError(Error(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "-Checkpoint is the signed head the proofs of -WithProofs are against: add -WithProofs.", Checkpoint));
        }

        if (Try(() => AuditExport.Write(records, target, Format, Compress, NoClobber, Cancellation), terminating: true))
        {
            FileWritten(target, PassThru);
        }
    }

    private void ExportWithProofs(IEnumerable<AuditRecord> records, string target)
    {
        if (Format != AuditExportFormat.Jsonl || Checkpoint is null)
        {
            ThrowTerminatingError(Error(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "-WithProofs writes JSONL against a signed tree head: give -Checkpoint <head> (from Export-AuditCheckpoint -SigningKeyPath) and no -Format Csv.", Checkpoint));
        }

        SignedTreeHead? head = null;
        Try(() => head = SignedTreeHead.Load(ResolveOutputPath(Checkpoint!)), terminating: true);
        ProofExportResult? result = null;
        if (!Try(() => result = TransparencyLog.ExportWithProofs(OpenLocalLedger("Export-AuditLog -WithProofs"), records, head!, target, Compress, NoClobber, Cancellation), terminating: true))
        {
            return;
        }

        if (result!.LeftOut > 0)
        {
            WriteWarning($"{result.LeftOut} matching record(s) were appended after the signed head ({head!.TreeSize} records) and are not in the export: sign a new head (Export-AuditCheckpoint -SigningKeyPath) to include them.");
        }

        if (PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }
}
