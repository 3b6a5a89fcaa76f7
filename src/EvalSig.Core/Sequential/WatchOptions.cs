using System.Globalization;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Sequential;

/// <summary>How to watch a candidate against a baseline. Recorded in the report so a decision can be re-derived.</summary>
public sealed record WatchOptions
{
    public double Alpha { get; init; } = 0.05;

    public SequenceKind Sequence { get; init; } = SequenceKind.Betting;

    /// <summary>Greater (default): each bound is one-sided at alpha. TwoSided: each at alpha/2.</summary>
    public Alternative Alternative { get; init; } = Alternative.Greater;

    public GateDecision Decision { get; init; } = GateDecision.Superiority;

    /// <summary>The smallest improvement worth shipping (superiority).</summary>
    public double MinDelta { get; init; }

    /// <summary>Non-inferiority margin m &gt; 0.</summary>
    public double? Margin { get; init; }

    /// <summary>
    /// Observations before the first decision. Null: 30 for the asymptotic sequence (its guarantee
    /// is asymptotic), 1 for the betting sequence (exact at every n).
    /// </summary>
    public int? MinObservations { get; init; }

    /// <summary>The number of observations the asymptotic sequence is tuned to be tightest at; null: the baseline's item (or cluster) count.</summary>
    public int? PlannedObservations { get; init; }

    /// <summary>cluster_id or an item-metadata key of the baseline; null means cluster_id when present.</summary>
    public string? ClusterKey { get; init; }

    /// <summary>Watch item by item even when the baseline has clusters (the sequence is then too narrow if items in a cluster are correlated).</summary>
    public bool NoCluster { get; init; }

    /// <summary>Grid points of the betting sequence's reported interval (decisions are exact regardless).</summary>
    public int GridSize { get; init; } = 400;

    public int EffectiveMinObservations => MinObservations ?? (Sequence == SequenceKind.Asymptotic ? 30 : 1);

    public void Validate()
    {
        if (!(Alpha > 0 && Alpha < 1))
        {
            throw Invalid(EvalSigError.InvalidAlpha, $"Alpha must be strictly between 0 and 1 (e.g. 0.05); got {Alpha.ToString(CultureInfo.InvariantCulture)}.", Alpha);
        }

        if (!double.IsFinite(MinDelta) || MinDelta < 0 || MinDelta >= 1)
        {
            throw Invalid(EvalSigError.InvalidMinDelta, $"MinDelta must be >= 0 and below 1 (the smallest improvement worth shipping); got {MinDelta.ToString(CultureInfo.InvariantCulture)}.", MinDelta);
        }

        if (Decision == GateDecision.NonInferiority && !(Margin is { } m && double.IsFinite(m) && m > 0 && m < 1))
        {
            throw Invalid(EvalSigError.InvalidMargin, "A non-inferiority watch needs " + Diagnostics.Surface.Say("-Margin", "--margin") + " m with 0 < m < 1 (how much worse the candidate may be).", Margin);
        }

        if (Decision == GateDecision.Superiority && Margin is not null)
        {
            throw Invalid(EvalSigError.InvalidMargin, Diagnostics.Surface.Say("-Margin applies only to -Decision NonInferiority.", "--margin applies only to --decision non-inferiority."), Margin);
        }

        if (MinObservations is < 1 || PlannedObservations is < 1)
        {
            throw Invalid(EvalSigError.WatchInvalid, "MinObservations and PlannedObservations must be at least 1.", MinObservations ?? PlannedObservations);
        }

        if (GridSize is < 16 or > 100_000)
        {
            throw Invalid(EvalSigError.WatchInvalid, $"GridSize must be between 16 and 100,000; got {GridSize.ToString(CultureInfo.InvariantCulture)}.", GridSize);
        }

        if (NoCluster && ClusterKey is not null)
        {
            throw Invalid(EvalSigError.InvalidMethod, Diagnostics.Surface.Say("-Cluster and -NoCluster contradict each other; give one.", "--cluster and --no-cluster contradict each other; give one."), ClusterKey);
        }
    }

    private static EvalSigException Invalid(EvalSigError id, string message, object? target) => new(id, EvalSigErrorKind.InvalidArgument, message, target);
}
