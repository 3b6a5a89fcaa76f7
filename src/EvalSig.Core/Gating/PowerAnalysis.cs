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
    /// <summary>Minimum detectable effect by the exact t power (matches R pwr.t.test).</summary>
    public required double Mde { get; init; }

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
    /// <summary>From a planned design: sd of the differences, n items, and optionally ICC and cluster size.</summary>
    public static PowerEstimate FromDesign(double stdDev, int n, double alpha, double power, Alternative alt, double icc = 0, double clusterSize = 1, double? targetMde = null)
    {
        Check(alpha, power);
        if (!(stdDev > 0) || !double.IsFinite(stdDev))
        {
            throw Invalid($"StdDev must be a positive number; got {stdDev.ToString(CultureInfo.InvariantCulture)}.", stdDev);
        }

        if (n < 2)
        {
            throw Invalid($"N must be at least 2; got {n}.", n);
        }

        if (!(icc >= 0 && icc <= 1))
        {
            throw Invalid($"Icc must be between 0 and 1; got {icc.ToString(CultureInfo.InvariantCulture)}.", icc);
        }

        if (!(clusterSize >= 1) || !double.IsFinite(clusterSize))
        {
            throw Invalid($"ClusterSize must be at least 1; got {clusterSize.ToString(CultureInfo.InvariantCulture)}.", clusterSize);
        }

        // Design effect for clusters of size m with intra-cluster correlation ICC (Kish).
        var de = 1 + ((clusterSize - 1) * icc);
        return Estimate(stdDev, n, de, alpha, power, alt, targetMde, clusterSize > 1 ? clusterSize : null);
    }

    /// <summary>From a run pair: the sd of the differences and, for clustered data, the measured design effect.</summary>
    public static PowerEstimate FromRuns(RunFrame baseline, RunFrame candidate, InferenceOptions options, double? targetMde = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancel.ThrowIfCancellationRequested();
        var p = Pairing.Pair(baseline, candidate, options.ClusterKey, options.NoCluster);
        if (p.Count < 2)
        {
            throw new EvalSigException(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidData, $"Only {p.Count} paired item: power needs at least 2.", candidate.RunId);
        }

        var d = p.Differences;
        var mean = Summation.Mean(d);
        var sd = Math.Sqrt(Summation.SumSquaredDeviations(d, mean) / (d.Length - 1));
        var de = 1.0;
        double? m = null;
        if (p.Cluster is not null && p.ClusterCount >= 2)
        {
            var paired = AnalyticTests.PairedSe(d);
            var clustered = AnalyticTests.ClusteredSe(d, p.Cluster, p.ClusterCount);
            de = paired > 0 ? (clustered / paired) * (clustered / paired) : 1;
            m = p.Count / (double)p.ClusterCount;
        }

        if (!(sd > 0))
        {
            throw new EvalSigException(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidData, "Every paired difference is equal: there is no variance to plan with.", candidate.RunId);
        }

        return Estimate(sd, p.Count, de, options.Alpha, options.Power, options.Alternative, targetMde, m);
    }

    private static PowerEstimate Estimate(double sd, int n, double de, double alpha, double power, Alternative alt, double? target, double? clusterSize)
    {
        if (target is { } t && !(t > 0 && double.IsFinite(t)))
        {
            throw Invalid($"TargetMde must be a positive number; got {t.ToString(CultureInfo.InvariantCulture)}.", t);
        }

        var nEff = n / de;
        var se = sd / Math.Sqrt(nEff);
        var mde = TTestPower.DetectableEffect(nEff, alpha, power, alt) * sd;
        long? required = null;
        long? clusters = null;
        if (target is { } goal)
        {
            var effective = TTestPower.RequiredN(goal / sd, alpha, power, alt);
            var total = Math.Ceiling(effective * de);
            required = double.IsFinite(total) ? (long)total : null;
            if (clusterSize is { } size && required is { } r)
            {
                clusters = (long)Math.Ceiling(r / size);
            }
        }

        return new PowerEstimate
        {
            Mde = mde,
            MdeNormal = EvalComparer.Mde(se, alpha, power, alt),
            StdDev = sd,
            N = n,
            DesignEffect = de,
            EffectiveN = nEff,
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

    private static void Check(double alpha, double power)
    {
        new InferenceOptions { Alpha = alpha, Power = power }.Validate();
    }

    private static EvalSigException Invalid(string message, object target)
        => new(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidArgument, message, target);
}
