using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Pipelines;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>
/// Verifies a ledger, an export or piped records: with the HMAC key, canonical lines, every MAC,
/// position and link, and a checkpoint whatever the input (fail closed: no ledger or export at the
/// path is an error, and anything but the whole chain from position 0 is invalid unless -Range
/// accepts a range); with -PublicKey and signed heads (no HMAC key), the heads' signatures, that each
/// extends the one before, that the ledger still holds them, and that records are included.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "AuditChain", DefaultParameterSetName = nameof(ParameterSet.Ledger))]
[OutputType(typeof(ChainVerification), ParameterSetName = new[] { nameof(ParameterSet.Ledger), nameof(ParameterSet.Path), nameof(ParameterSet.Records) })]
[OutputType(typeof(LogVerification), ParameterSetName = new[] { nameof(ParameterSet.PublicKeyLedger), nameof(ParameterSet.PublicKeyPath), nameof(ParameterSet.PublicKeyRecords) })]
public sealed class TestAuditChainCommand : AuditCmdlet
{
    private readonly List<AuditRecord> _records = new();

    private enum ParameterSet
    {
        Ledger,
        Path,
        Records,
        PublicKeyLedger,
        PublicKeyPath,
        PublicKeyRecords,
    }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Records))]
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.PublicKeyRecords))]
    [ValidateNotNull]
    public AuditRecord? InputObject { get; set; }

    /// <summary>An export from Export-AuditLog (JSONL or CSV, gzipped or not; with -PublicKey, one written with -WithProofs).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.PublicKeyPath))]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>The export or piped records are a contiguous range on purpose (not the whole chain from position 0): verify them as such.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Records))]
    public SwitchParameter Range { get; set; }

    /// <summary>
    /// A checkpoint kept outside the ledger: with the HMAC key, one from Export-AuditCheckpoint, always checked; with
    /// -PublicKey, signed tree heads, oldest first.
    /// </summary>
    /// <remarks>Not mandatory in any set: a mandatory parameter shared by the -PublicKey sets makes PowerShell unable to pick the default set.</remarks>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Checkpoint { get; set; }

    /// <summary>HMAC key files; several for rotated keys.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Ledger))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Records))]
    [ValidateNotNullOrEmpty]
    public string[]? KeyPath { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Ledger))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Records))]
    [ValidateNotNullOrEmpty]
    public SecureString[]? Key { get; set; }

    /// <summary>Pipeline output: Auto (TF_BUILD or GITHUB_ACTIONS), None, AzureDevOps or GitHubActions.</summary>
    [Parameter]
    public CiProvider CiProvider { get; set; } = CiProvider.Auto;

    /// <summary>The log's public key (verifier key text, or the .pub file New-AuditKey -Type Ed25519 wrote).</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.PublicKeyLedger))]
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.PublicKeyPath))]
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.PublicKeyRecords))]
    [ValidateNotNullOrEmpty]
    public string? PublicKey { get; set; }

    /// <summary>Consistency proofs between the heads (Get-AuditProof -Consistency, or their JSON files), for an auditor without the ledger.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.PublicKeyLedger))]
    [ValidateNotNullOrEmpty]
    public object[]? ConsistencyProof { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is not null)
        {
            _records.Add(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        if (PublicKey is not null)
        {
            WriteObject(VerifyWithPublicKey());
            return;
        }

        var pipeline = PipelineReporter(CiProvider);
        var ring = ResolveKeyring(KeyPath, Key);
        AuditCheckpoint? checkpoint = null;
        if (Checkpoint is { Length: > 1 })
        {
            ThrowTerminatingError(Error(EvalSigError.AuditCheckpointInvalid, EvalSigErrorKind.InvalidArgument, "With the HMAC key, give one checkpoint. Several signed tree heads are verified with -PublicKey.", Checkpoint));
        }

        if (Checkpoint is { Length: 1 })
        {
            Try(() => checkpoint = AuditCheckpoint.Load(ResolveOutputPath(Checkpoint[0])), terminating: true);
        }

        ChainVerification? result = null;
        switch (ParameterSetName)
        {
            case nameof(ParameterSet.Records):
                Try(() => result = ChainVerifier.Verify(_records, ring, wholeChain: !Range, checkpoint, Cancellation), terminating: true);
                break;
            case nameof(ParameterSet.Path):
                Try(() => result = AuditLog.VerifyExport(ResolveOutputPath(Path!), ring, checkpoint, Range, Cancellation), terminating: true);
                break;
            default:
                var ledger = OpenLedger();
                if (ledger is LocalLedger local)
                {
                    Try(local.RequireLedger, terminating: true);
                }

                long length = 0;
                Try(() => length = AuditLog.StoredBytes(ledger), terminating: true);
                var activity = "Test-AuditChain " + ledger.Location;
                Try(() => result = RunWithProgress(activity, (p, c) => AuditLog.Verify(ledger, ring, checkpoint, new FractionOf(p, length), c), pipeline.Status(activity)), terminating: true);
                break;
        }

        WriteObject(result);
        pipeline.Chain(result!, result!.Source ?? "piped records");
    }

    private LogVerification VerifyWithPublicKey()
    {
        AuditVerifierKey? key = null;
        Try(() => key = AuditVerifierKey.Resolve(PublicKeyPathOrText(PublicKey!)), terminating: true);
        var heads = new List<SignedTreeHead>();
        foreach (var c in Checkpoint ?? System.Array.Empty<string>())
        {
            Try(() => heads.Add(SignedTreeHead.Load(ResolveOutputPath(c))), terminating: true);
        }

        var proofs = new List<AuditConsistencyProof>();
        foreach (var p in ConsistencyProof ?? System.Array.Empty<object>())
        {
            switch (p is PSObject pso ? pso.BaseObject : p)
            {
                case AuditConsistencyProof proof:
                    proofs.Add(proof);
                    break;
                case string path:
                    Try(() => proofs.Add(AuditConsistencyProof.Load(ResolveOutputPath(path))), terminating: true);
                    break;
                default:
                    ThrowTerminatingError(Error(EvalSigError.AuditProofInvalid, EvalSigErrorKind.InvalidArgument, "-ConsistencyProof takes proofs from Get-AuditProof -Consistency or the paths of their JSON files.", p));
                    break;
            }
        }

        // Without the ledger an auditor can still check heads against consistency proofs; -Ledger
        // (or the default ledger) is read only when no proof is given or -Ledger is explicit.
        var useLedger = ParameterSetName != nameof(ParameterSet.PublicKeyPath) && (Ledger is not null || proofs.Count == 0);
        var request = new TransparencyAudit
        {
            Key = key!,
            Heads = heads,
            Ledger = useLedger ? OpenLocalLedger("Test-AuditChain -PublicKey") : null,
            Records = _records,
            ProofExportPath = ParameterSetName == nameof(ParameterSet.PublicKeyPath) ? ResolveOutputPath(Path!) : null,
            ConsistencyProofs = proofs,
        };
        var length = request.Ledger is { } l && System.IO.File.Exists(l.LedgerPath) ? new System.IO.FileInfo(l.LedgerPath).Length : 0;
        LogVerification? result = null;
        Try(() => result = RunWithProgress("Test-AuditChain -PublicKey", (p, c) => TransparencyLog.Audit(request, new FractionOf(p, length), c)), terminating: true);
        return result!;
    }

    /// <summary>A relative path to a .pub file resolves against the PowerShell location; key text stays as it is.</summary>
    private string PublicKeyPathOrText(string value)
    {
        if (value.Contains('+', System.StringComparison.Ordinal) && !value.EndsWith(".pub", System.StringComparison.OrdinalIgnoreCase))
        {
            return value;
        }

        var full = ResolveOutputPath(value);
        return System.IO.File.Exists(full) ? full : value;
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
