using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Verifies HMACs, positions and links of a ledger, an export, or piped records.</summary>
[Cmdlet(VerbsDiagnostic.Test, "AuditChain", DefaultParameterSetName = nameof(ParameterSet.Ledger))]
[OutputType(typeof(ChainVerification))]
public sealed class TestAuditChainCommand : AuditCmdlet
{
    private readonly List<AuditRecord> _records = new();

    private enum ParameterSet
    {
        Ledger,
        Path,
        Records,
    }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Records))]
    [ValidateNotNull]
    public AuditRecord? InputObject { get; set; }

    /// <summary>An export from Export-AuditLog (JSONL or CSV, gzipped or not).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Path))]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>A checkpoint from Export-AuditCheckpoint, kept outside the ledger.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Checkpoint { get; set; }

    /// <summary>Key files; several for rotated keys.</summary>
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
        var ring = ResolveKeyring(KeyPath, Key);
        AuditCheckpoint? checkpoint = null;
        if (Checkpoint is not null)
        {
            Try(() => checkpoint = AuditCheckpoint.Load(ResolveOutputPath(Checkpoint)), terminating: true);
        }

        ChainVerification? result = null;
        switch (ParameterSetName)
        {
            case nameof(ParameterSet.Records):
                Try(() => result = ChainVerifier.Verify(_records, ring, wholeChain: _records.Count > 0 && _records[0].ChainPosition == 0, Cancellation), terminating: true);
                break;
            case nameof(ParameterSet.Path):
                Try(() => result = AuditLog.VerifyExport(ResolveOutputPath(Path!), ring, checkpoint, Cancellation), terminating: true);
                break;
            default:
                var ledger = OpenLedger();
                long length = 0;
                Try(() => length = AuditLog.StoredBytes(ledger), terminating: true);
                Try(() => result = RunWithProgress("Test-AuditChain " + ledger.Location, (p, c) => AuditLog.Verify(ledger, ring, checkpoint, new FractionOf(p, length), c)), terminating: true);
                break;
        }

        WriteObject(result);
    }
}

/// <summary>Bytes verified as a fraction of the ledger's size.</summary>
internal sealed class FractionOf : System.IProgress<long>
{
    private readonly System.IProgress<double> _inner;
    private readonly double _total;

    public FractionOf(System.IProgress<double> inner, long total) => (_inner, _total) = (inner, System.Math.Max(1, total));

    public void Report(long value) => _inner.Report(value / _total);
}
