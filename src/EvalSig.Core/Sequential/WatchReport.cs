using System;
using EvalSig.Core.Gating;

namespace EvalSig.Core.Sequential;

/// <summary>
/// The end of a watch, in the gate report's shape (verdict, exit code, reason, comparison, options)
/// plus what was watched: items read, matched to the baseline, observations in the sequence.
/// </summary>
public sealed record WatchReport
{
    public required GateVerdict Verdict { get; init; }

    public int ExitCode => (int)Verdict;

    public required GateReason Reason { get; init; }

    /// <summary>Delta and interval at the stop: the time-uniform bounds, an anytime-valid p-value, the method (asymptotic_cs, betting_cs).</summary>
    public required Comparison Comparison { get; init; }

    public required SequenceKind Sequence { get; init; }

    public required double MinDelta { get; init; }

    public required double Alpha { get; init; }

    public required GateDecision Decision { get; init; }

    public double? Margin { get; init; }

    public string? Suggestion { get; init; }

    public required string BaselineRunId { get; init; }

    public required string CandidateRunId { get; init; }

    public required DateTimeOffset EvaluatedAt { get; init; }

    public required string ToolVersion { get; init; }

    public required WatchOptions Options { get; init; }

    /// <summary>Candidate items read from the stream.</summary>
    public required long ItemsRead { get; init; }

    /// <summary>Items paired with a baseline item (epoch 0, first occurrence).</summary>
    public required long Matched { get; init; }

    public required long Unmatched { get; init; }

    public required long Duplicates { get; init; }

    /// <summary>Observations the sequence saw: matched items, or completed clusters for a cluster-level watch.</summary>
    public required long Observations { get; init; }

    public required bool ClusterLevel { get; init; }

    public required int ClustersComplete { get; init; }

    public required int ClustersTotal { get; init; }

    /// <summary>True when the sequence decided before the stream ended.</summary>
    public required bool StoppedEarly { get; init; }

    public override string ToString() => $"{Verdict} ({Reason}) delta={Comparison.Delta:G6} after {Observations} observations ({Comparison.Method})";
}
