using System;
using System.Globalization;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>How to compare two runs. Every field is recorded in reports, so a result can be re-derived.</summary>
public sealed record InferenceOptions
{
    public const int DefaultResamples = 10_000;

    public double Alpha { get; init; } = 0.05;

    public double Power { get; init; } = 0.8;

    public InferenceMethod Method { get; init; } = InferenceMethod.Auto;

    /// <summary>cluster_id, an item-metadata key, or a CSV/Parquet column; null means cluster_id when present.</summary>
    public string? ClusterKey { get; init; }

    public bool NoCluster { get; init; }

    public Alternative Alternative { get; init; } = Alternative.TwoSided;

    public int Resamples { get; init; } = DefaultResamples;

    public long Seed { get; init; }

    /// <summary>
    /// For the validation study only: skip the wild bootstrap's test-inverted bounds (NaN instead), which
    /// the gate's ALLOW never depends on; p-values, limitations and verdicts are unchanged.
    /// </summary>
    internal bool PValuesOnly { get; init; }

    /// <summary>Throws a specific error for the first invalid field.</summary>
    public void Validate()
    {
        if (!(Alpha > 0 && Alpha < 1))
        {
            throw Invalid(EvalSigError.InvalidAlpha, $"Alpha must be strictly between 0 and 1 (e.g. 0.05); got {Alpha.ToString(CultureInfo.InvariantCulture)}.", Alpha);
        }

        if (!(Power > 0 && Power < 1))
        {
            throw Invalid(EvalSigError.InvalidPower, $"Power must be strictly between 0 and 1 (e.g. 0.8); got {Power.ToString(CultureInfo.InvariantCulture)}.", Power);
        }

        if (Resamples < 100 || Resamples > 10_000_000)
        {
            throw Invalid(EvalSigError.InvalidResamples, $"Resamples must be between 100 and 10,000,000 (default 10,000); got {Resamples.ToString(CultureInfo.InvariantCulture)}.", Resamples);
        }

        if (ClusterKey is not null && string.IsNullOrWhiteSpace(ClusterKey))
        {
            throw Invalid(EvalSigError.ClusterKeyNotFound, "The cluster key must be a non-empty name (cluster_id or a metadata key).", ClusterKey);
        }

        if (NoCluster && ClusterKey is not null)
        {
            throw Invalid(EvalSigError.InvalidMethod, Diagnostics.Surface.Say("-Cluster and -NoCluster contradict each other; give one.", "--cluster and --no-cluster contradict each other; give one."), ClusterKey);
        }

        if (NoCluster && Method is InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap or InferenceMethod.ClusteredCr2 or InferenceMethod.WildClusterBootstrap)
        {
            throw Invalid(EvalSigError.InvalidMethod, $"Method {Method} needs clusters but " + Diagnostics.Surface.Say("-NoCluster", "--no-cluster") + " was given.", Method);
        }
    }

    internal static EvalSigException Invalid(EvalSigError id, string message, object? target)
        => new(id, EvalSigErrorKind.InvalidArgument, message, target);
}

/// <summary>The gate's options: inference plus the decision rule.</summary>
public sealed record GateOptions
{
    public InferenceOptions Inference { get; init; } = new() { Alternative = Alternative.Greater };

    public double MinDelta { get; init; }

    public GateDecision Decision { get; init; } = GateDecision.Superiority;

    /// <summary>Non-inferiority margin m &gt; 0: the candidate may be at most m worse.</summary>
    public double? Margin { get; init; }

    /// <summary>How a pipeline step treats INCONCLUSIVE (the verdict itself is unchanged).</summary>
    public InconclusiveOutcome InconclusiveAs { get; init; } = InconclusiveOutcome.Failed;

    public void Validate()
    {
        Inference.Validate();
        if (!double.IsFinite(MinDelta) || MinDelta < 0)
        {
            throw InferenceOptions.Invalid(EvalSigError.InvalidMinDelta, $"MinDelta must be a finite number >= 0 (the smallest improvement worth shipping); got {MinDelta.ToString(CultureInfo.InvariantCulture)}.", MinDelta);
        }

        if (Decision == GateDecision.NonInferiority && !(Margin is { } m && double.IsFinite(m) && m > 0))
        {
            throw InferenceOptions.Invalid(EvalSigError.InvalidMargin, "A non-inferiority decision needs " + Diagnostics.Surface.Say("-Margin", "--margin") + " m with m > 0 (how much worse the candidate may be).", Margin);
        }

        if (Decision == GateDecision.Superiority && Margin is not null)
        {
            throw InferenceOptions.Invalid(EvalSigError.InvalidMargin, Diagnostics.Surface.Say("-Margin applies only to -Decision NonInferiority.", "--margin applies only to --decision non-inferiority."), Margin);
        }

        if (!Enum.IsDefined(InconclusiveAs))
        {
            throw InferenceOptions.Invalid(EvalSigError.InvalidInconclusiveAs, "InconclusiveAs must be Failed, SucceededWithIssues or Succeeded.", InconclusiveAs);
        }
    }
}
