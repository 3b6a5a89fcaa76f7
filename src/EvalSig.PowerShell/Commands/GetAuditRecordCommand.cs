using System;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Commands;

/// <summary>Reads ledger records in chain order, filtered by schema, project and time.</summary>
[Cmdlet(VerbsCommon.Get, "AuditRecord")]
[OutputType(typeof(AuditRecord))]
public sealed class GetAuditRecordCommand : AuditCmdlet
{
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(SchemaKeyCompleter))]
    [ValidateNotNullOrEmpty]
    public string? SchemaKey { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProjectId { get; set; }

    /// <summary>Inclusive start: a DateTime, DateTimeOffset or ISO-8601 text (UTC unless it says otherwise).</summary>
    [Parameter]
    [Alias("Since")]
    public object? From { get; set; }

    /// <summary>Inclusive end.</summary>
    [Parameter]
    [Alias("Until")]
    public object? To { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? First { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Skip { get; set; }

    /// <summary>Key files to authenticate (and keep level) index.sqlite; without a key the index is read unauthenticated, with a warning.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    protected override void EndProcessing()
    {
        var query = new AuditQuery { SchemaKey = SchemaKey, ProjectId = ProjectId, From = ToInstant(From, "From"), To = ToInstant(To, "To", upperBound: true), First = First, Skip = Skip };
        var options = new AuditReadOptions { Keyring = TryResolveKeyring(KeyPath, Key), Observer = Observer };
        Try(
            () =>
            {
                foreach (var r in OpenLedger().Query(query, options, Cancellation))
                {
                    WriteObject(r);
                }
            },
            terminating: true);
    }

}
