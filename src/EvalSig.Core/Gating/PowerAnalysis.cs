using System;
using System.Globalization;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>What a design can detect, or what it needs (Miller 2024, eqs. 9-10).</summary>
public sealed record PowerEstimate
{
    /// <summary>
    /// Minimum detectable effect by the exact power of the t test the gate runs (non-central t; matches
    /// R pwr.t.test for paired items, and uses the cluster-level df for clustered designs).
    /// </summary>
    public required double Mde { get; init; }

    /// <summary>Degrees of freedom of that t test: n - 1, or for clusters G - 1 (a design) or Bell-McCaffrey's (runs).</summary>
    public required double Df { get; init; }

    /// <summary>Number of clusters G of the design (N / ClusterSize), or null without clusters.</summary>
    public double? Clusters { get; init; }

    /// <summary>The same by the gate's normal formula (z_{1-alpha'} + z_power) * se.</summary>
    public required double MdeNormal { get; init; }

    /// <summary>Standard deviation of the paired differences.</summary>
    public required double StdDev { get; init; }

    public required int N { get; init; }

    /// <summary>1 + (m - 1) ICC, or the ratio of clustered to paired variance when measured from runs.</summary>
    public required double DesignEffect { get; init; }

    /// <summary>N / DesignEffect: how many independent items the design is worth.</summary>
    public required double EffectiveN { get; init; }

    public required double Se { get; init; }

    public required double Alpha { get; init; }

    public required double Power { get; init; }

    public required Alternative Alternative { get; init; }

    public double? TargetMde { get; init; }

    /// <summary>Paired items needed for <see cref="TargetMde"/> at <see cref="Power"/> (same design effect).</summary>
    public long? RequiredN { get; init; }

    /// <summary>Clusters needed, when a cluster size was given or measured.</summary>
    public long? RequiredClusters { get; init; }

    public double? ClusterSize { get; init; }
}

public static class PowerAnalysis
{
    /// <summary>
    /// From a planned design: sd of the differences, n items (or none, with a target: the design that
    /// reaches it), and optionally ICC and cluster size. With clusters (ClusterSize &gt; 1) the test has
    /// G - 1 df, G = n / ClusterSize, and se = sd sqrt(DE / n) with DE = 1 + (m - 1) ICC (Kish).
    /// </summary>
    public static PowerEstimate FromDesign(double stdDev, int? n, double alpha, double power, Alternative alt, double icc = 0, double clusterSize = 1, double? targetMde = null)
    {
        Check(alpha, power);
        if (!(stdDev > 0) || !double.IsFinite(stdDev))
        {
            throw Invalid($"StdDev must be a positive number; got {stdDev.ToString(CultureInfo.InvariantCulture)}.", stdDev);
        }

        if (n is null && targetMde is null)
        {
            throw Invalid("Give N (the paired items you have or plan), or TargetMde (the effect to detect) to get the items and clusters needed.", stdDev);
        }

        if (!(icc >= 0 && icc <= 1))
        {
            throw Invalid($"Icc must be between 0 and 1; got {icc.ToString(CultureInfo.InvariantCulture)}.", icc);
        }

        if (!(clusterSize >= 1) || !double.IsFinite(clusterSize))
        {
            throw Invalid($"ClusterSize must be at least 1; got {clusterSize.ToString(CultureInfo.InvariantCulture)}.", clusterSize);
        }

        CheckTarget(targetMde);
        var clustered = clusterSize > 1;
        var minimum = clustered ? 2 * clusterSize : 2;
        if (n is { } count && count < minimum)
        {
            throw Invalid(clustered
                ? $"N must cover at least 2 clusters of {clusterSize.ToString(CultureInfo.InvariantCulture)} items ({minimum.ToString(CultureInfo.InvariantCulture)}); got {count}."
                : $"N must be at least 2; got {count}.", count);
        }

        // Design effect for clusters of size m with intra-cluster correlation ICC (Kish).
        var de = 1 + ((clusterSize - 1) * icc);
        var design = new Design(
            items => stdDev * Math.Sqrt(de / items),
            items => clustered ? (items / clusterSize) - 1 : items - 1,
            minimum);
        return Estimate(design, stdDev, n, de, alpha, power, alt, targetMde, clustered ? clusterSize : null);
    }

    /// <summary>
    /// From a run pair: the sd of the differences and, for clustered data, the measured design effect
    /// (CR2 variance over the paired variance) and the Bell-McCaffrey df of the actual cluster sizes. A
    /// target scales the number of clusters with the same sizes (df in proportion).
    /// </summary>
    public static PowerEstimate FromRuns(RunFrame baseline, RunFrame candidate, InferenceOptions options, double? targetMde = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckTarget(targetMde);
        cancel.ThrowIfCancellationRequested();
        var p = Pairing.Pair(baseline, candidate, options.ClusterKey, options.NoCluster);
        if (p.Count < 2)
        {
            throw new EvalSigException(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidData, $"Only {p.Count} paired item: power needs at least 2.", candidate.RunId);
        }

        var d = p.Differences;
        var mean = Summation.Mean(d);
        var sd = Math.Sqrt(Summation.SumSquaredDeviations(d, mean) / (d.Length - 1));
        if (!(sd > 0))
        {
            throw new EvalSigException(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidData, "Every paired difference is equal: there is no variance to plan with.", candidate.RunId);
        }

        long n = p.Count;
        if (p.Cluster is not null && p.ClusterCount >= 2)
        {
            var paired = AnalyticTests.PairedSe(d);
            var clusteredSe = AnalyticTests.Cr2Se(d, p.Cluster, p.ClusterCount);
            var de = paired > 0 ? (clusteredSe / paired) * (clusteredSe / paired) : 1;
            var g = (double)p.ClusterCount;
            var df = AnalyticTests.BellMcCaffreyDf(AnalyticTests.ClusterSizes(p.Cluster, p.ClusterCount));
            var m = n / g;

            // More clusters like these: se shrinks as 1 / sqrt(G), the df grow in proportion to G - 1.
            var design = new Design(
                items => clusteredSe * Math.Sqrt(n / items),
                items => df * ((items / m) - 1) / (g - 1),
                2 * m);
            return Estimate(design, sd, p.Count, de, options.Alpha, options.Power, options.Alternative, targetMde, m);
        }

        var flat = new Design(items => sd / Math.Sqrt(items), items => items - 1, 2);
        return Estimate(flat, sd, p.Count, 1, options.Alpha, options.Power, options.Alternative, targetMde, null);
    }

    /// <summary>A design family indexed by its number of items: the se and the df of its t test.</summary>
    private sealed record Design(Func<double, double> Se, Func<double, double> Df, double MinItems);

    private static PowerEstimate Estimate(Design design, double sd, int? n, double de, double alpha, double power, Alternative alt, double? target, double? clusterSize)
    {
        long? required = null;
        long? clusters = null;
        if (target is { } goal)
        {
            var items = RequiredItems(design, goal, alpha, power, alt);
            if (double.IsFinite(items))
            {
                required = (long)Math.Ceiling(items * (1 - 1e-12));
                if (clusterSize is { } size)
                {
                    clusters = (long)Math.Ceiling(items / size * (1 - 1e-12));
                }
            }
        }

        var planned = n ?? (required is { } r && r <= int.MaxValue ? (int)r : throw Invalid("The target needs more items than can be planned for; choose a larger TargetMde.", target!));
        var se = design.Se(planned);
        var df = design.Df(planned);
        return new PowerEstimate
        {
            Mde = se * TTestPower.DetectableNcp(df, alpha, power, alt),
            MdeNormal = EvalComparer.Mde(se, alpha, power, alt),
            Df = df,
            Clusters = clusterSize is { } m ? planned / m : null,
            StdDev = sd,
            N = planned,
            DesignEffect = de,
            EffectiveN = planned / de,
            Se = se,
            Alpha = alpha,
            Power = power,
            Alternative = alt,
            TargetMde = target,
            RequiredN = required,
            RequiredClusters = clusters,
            ClusterSize = clusterSize,
        };
    }

    /// <summary>The (fractional) items at which the design's t test has the given power for the target effect.</summary>
    private static double RequiredItems(Design design, double target, double alpha, double power, Alternative alt)
    {
        double Power(double items) => TTestPower.PowerAt(target / design.Se(items), design.Df(items), alpha, alt);
        double lo = design.MinItems, hi = 2 * design.MinItems;
        while (Power(hi) < power)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1e15)
            {
                return double.PositiveInfinity;
            }
        }

        for (var i = 0; i < 300 && hi - lo > 1e-13 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Power(mid) < power)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    private static void CheckTarget(double? target)
    {
        if (target is { } t && !(t > 0 && double.IsFinite(t)))
        {
            throw Invalid($"TargetMde must be a positive number; got {t.ToString(CultureInfo.InvariantCulture)}.", t);
        }
    }

    private static void Check(double alpha, double power)
    {
        new InferenceOptions { Alpha = alpha, Power = power }.Validate();
    }

    private static EvalSigException Invalid(string message, object target)
        => new(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidArgument, message, target);
}
