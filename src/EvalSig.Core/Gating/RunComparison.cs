using System;
using System.Threading;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Gating;

/// <summary>The inference on a run pair without a verdict, with effect sizes.</summary>
public sealed record RunComparison
{
    public required Comparison Comparison { get; init; }

    /// <summary>Paired Cohen's d (d_z): delta over the SD of the differences; for an unpaired comparison, delta over the pooled SD.</summary>
    public required double CohensD { get; init; }

    /// <summary>Cliff's delta of candidate against baseline scores; null for 0/1 scores.</summary>
    public double? CliffsDelta { get; init; }

    public required string BaselineRunId { get; init; }

    public required string CandidateRunId { get; init; }

    public required DateTimeOffset EvaluatedAt { get; init; }

    public required string ToolVersion { get; init; }

    public required InferenceOptions Options { get; init; }

    public static RunComparison Create(RunFrame baseline, RunFrame candidate, InferenceOptions options, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var c = EvalComparer.Compare(baseline, candidate, options, progress, cancel, out var paired);
        var binary = McNemar.IsBinary(paired.Baseline) && McNemar.IsBinary(paired.Candidate);
        return new RunComparison
        {
            Comparison = c,
            CohensD = paired.Unpaired ? EffectSizes.CohensDPooled(paired.Baseline, paired.Candidate) : EffectSizes.CohensDz(paired.Differences),
            CliffsDelta = binary ? null : EffectSizes.CliffsDelta(paired.Candidate, paired.Baseline),
            BaselineRunId = baseline.RunId,
            CandidateRunId = candidate.RunId,
            EvaluatedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ToolVersion = EvalGate.ToolVersion,
            Options = options,
        };
    }
}
