using System;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>
/// The sample sizes below which a method cannot hold its error rate or cannot reach significance at
/// all, and the rules Auto follows. Every threshold is justified by a row of the validation study
/// (docs/methodology.md, "Auto rules"); the study re-derives them with
/// <c>dotnet run --project benchmarks/EvalSig.Validation</c>.
/// </summary>
public static class SampleLimits
{
    /// <summary>Whatever alpha, Auto never decides on fewer clusters than this.</summary>
    public const int MinClustersForAutoFloor = 4;

    /// <summary>
    /// Auto on clustered data: from this many clusters on, CR2 with Bell-McCaffrey df (as good as the wild
    /// bootstrap there, and O(n) where the bootstrap costs O(R G)); below, the wild cluster bootstrap,
    /// because CR2 still over-rejects with unequal cluster sizes at 100 clusters (docs/methodology.md).
    /// </summary>
    public const int MinClustersForCr2 = 1000;

    /// <summary>The percentile cluster bootstrap over-rejects below this many clusters; it then answers INCONCLUSIVE.</summary>
    public const int MinClustersForClusterBootstrap = 50;


    /// <summary>The percentile paired bootstrap over-rejects below this many pairs; it then answers INCONCLUSIVE.</summary>
    public const int MinPairsForPairedBootstrap = 30;

    /// <summary>Auto without clusters and with non-0/1 scores: paired t from this many pairs on, the permutation test below.</summary>
    public const int MinPairsForPairedT = 30;

    /// <summary>
    /// Auto on clustered data: below this many clusters the verdict is INCONCLUSIVE (TooFewClusters).
    /// It is the fewest clusters for which the exact (enumerated Rademacher) wild bootstrap can reach
    /// p &lt; alpha - 5 one-sided, 6 two-sided at alpha 0.05 - and never fewer than 4: below it Webb's
    /// weights, CR2 and clustered t all exceed alpha in some design of the study.
    /// </summary>
    public static int MinClustersForAuto(double alpha, Alternative alt) => Math.Max(MinClustersForAutoFloor, MinUnitsForSignFlip(alpha, alt));

    /// <summary>
    /// The fewest independent units (pairs, or clusters) for which an exact sign-flip test can reach
    /// p &lt; alpha: 2^-u &lt; alpha one-sided, 2^(1-u) &lt; alpha two-sided. Below it a zero variance
    /// estimate is not certainty, and a permutation test can never be significant.
    /// </summary>
    public static int MinUnitsForSignFlip(double alpha, Alternative alt)
    {
        var u = 1;
        while ((alt == Alternative.TwoSided ? 2.0 : 1.0) * Math.Pow(0.5, u) >= alpha)
        {
            u++;
        }

        return u;
    }
}
