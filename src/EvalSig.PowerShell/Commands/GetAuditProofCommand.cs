using System.Management.Automation;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>
/// RFC 9162 proofs from the ledger's Merkle tree: that a record is included in a tree (-Inclusion),
/// or that a later tree extends an earlier one (-Consistency). Against signed heads (-Checkpoint)
/// the proof is checked before it is returned.
/// </summary>
[Cmdlet(VerbsCommon.Get, "AuditProof", DefaultParameterSetName = nameof(ParameterSet.Inclusion))]
[OutputType(typeof(AuditInclusionProof), ParameterSetName = new[] { nameof(ParameterSet.Inclusion) })]
[OutputType(typeof(AuditConsistencyProof), ParameterSetName = new[] { nameof(ParameterSet.Consistency) })]
public sealed class GetAuditProofCommand : AuditCmdlet
{
    private enum ParameterSet
    {
        Inclusion,
        Consistency,
    }

    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Inclusion))]
    public SwitchParameter Inclusion { get; set; }

    /// <summary>The record's chain position (piped records bind theirs).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.Inclusion))]
    [Alias("ChainPosition")]
    [ValidateRange(0, long.MaxValue)]
    public long Position { get; set; }

    /// <summary>The tree to prove against (default: the whole ledger, or the -Checkpoint head's size).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Inclusion))]
    [ValidateRange(1, long.MaxValue)]
    public long? TreeSize { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Consistency))]
    public SwitchParameter Consistency { get; set; }

    /// <summary>The earlier tree size.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Consistency))]
    [ValidateRange(1, long.MaxValue)]
    public long? From { get; set; }

    /// <summary>The later tree size.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Consistency))]
    [ValidateRange(1, long.MaxValue)]
    public long? To { get; set; }

    /// <summary>Signed tree heads: one for -Inclusion, the earlier and the later for -Consistency (their sizes replace -TreeSize, -From and -To).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Checkpoint { get; set; }

    private SignedTreeHead[] _heads = System.Array.Empty<SignedTreeHead>();

    protected override void BeginProcessing()
    {
        _heads = new SignedTreeHead[Checkpoint?.Length ?? 0];
        for (var i = 0; i < _heads.Length; i++)
        {
            var path = ResolveOutputPath(Checkpoint![i]);
            var at = i;
            Try(() => _heads[at] = SignedTreeHead.Load(path), terminating: true);
        }
    }

    protected override void ProcessRecord()
    {
        var ledger = OpenLocalLedger("Get-AuditProof");
        var heads = _heads;

        if (ParameterSetName == nameof(ParameterSet.Inclusion))
        {
            if (heads.Length > 1)
            {
                ThrowTerminatingError(Error(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "An inclusion proof is against one signed head: give one -Checkpoint.", Checkpoint));
            }

            AuditInclusionProof? proof = null;
            if (Try(() => proof = TransparencyLog.ProveInclusion(ledger, Position, TreeSize, heads.Length == 1 ? heads[0] : null)))
            {
                WriteObject(proof);
            }

            return;
        }

        long from, to;
        if (heads.Length == 2)
        {
            (from, to) = (heads[0].TreeSize, heads[1].TreeSize);
        }
        else if (heads.Length == 0 && From is { } f && To is { } t)
        {
            (from, to) = (f, t);
        }
        else
        {
            ThrowTerminatingError(Error(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "A consistency proof needs -From and -To, or two signed heads (-Checkpoint older, newer).", Checkpoint));
            return;
        }

        AuditConsistencyProof? c = null;
        Try(() => c = TransparencyLog.ProveConsistency(ledger, from, to, heads.Length == 2 ? heads[0] : null, heads.Length == 2 ? heads[1] : null), terminating: true);
        WriteObject(c);
    }
}
