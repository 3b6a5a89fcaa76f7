using System.Collections.Generic;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>
/// The inference on a run pair. Undefined numbers are NaN here and null in JSON; an unbounded
/// CI end is +/-Infinity here and null in JSON.
/// </summary>
public sealed record Comparison
{
    public required double Delta { get; init; }

    /// <summary>Standard error: analytic for t methods, bootstrap SD for resampling methods.</summary>
    public required double Se { get; init; }

    /// <summary>Degrees of freedom of the t reference distribution; NaN for other methods.</summary>
    public required double Df { get; init; }

    /// <summary>t statistic; for McNemar, c (discordant pairs favouring the candidate); NaN for resampling.</summary>
    public required double Statistic { get; init; }

    public required double CiLower { get; init; }

    public required double CiUpper { get; init; }

    public required double CiLevel { get; init; }

    /// <summary>Lower end of the one-sided (1 - alpha) interval, used by non-inferiority.</summary>
    public required double OneSidedLower { get; init; }

    /// <summary>Upper end of the one-sided (1 - alpha) interval: below zero, the candidate is significantly worse.</summary>
    public required double OneSidedUpper { get; init; }

    public required double PValue { get; init; }

    /// <summary>
    /// p &lt; alpha, for the one-sided test also delta &gt; 0, and the data suffice for the method
    /// (<see cref="Limitation"/> is null).
    /// </summary>
    public required bool Significant { get; init; }

    /// <summary>
    /// <see cref="GateReason.TooFewPairs"/> or <see cref="GateReason.TooFewClusters"/> when the data
    /// cannot support a decision with this method (a note says why and what would fix it); null otherwise.
    /// </summary>
    public GateReason? Limitation { get; init; }

    public required int NPairs { get; init; }

    public required int NClusters { get; init; }

    /// <summary>EVALSIG method name: paired_t, clustered_t, mcnemar_exact, paired_bootstrap, paired_permutation, cluster_bootstrap.</summary>
    public required string Method { get; init; }

    /// <summary>Minimum detectable effect at the requested power.</summary>
    public required double Mde { get; init; }

    /// <summary>The analytic se behind the MDE (clustered for cluster designs, paired otherwise).</summary>
    public required double MdeSe { get; init; }

    public required Alternative Alternative { get; init; }

    public required double Alpha { get; init; }

    public required double Power { get; init; }

    public string? ClusterKey { get; init; }

    public long? McNemarB { get; init; }

    public long? McNemarC { get; init; }

    public int? Resamples { get; init; }

    public long? Seed { get; init; }

    public int OnlyInBaseline { get; init; }

    public int OnlyInCandidate { get; init; }

    public required IReadOnlyList<string> Notes { get; init; }
}
