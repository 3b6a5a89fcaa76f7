using System;
using System.Globalization;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>Pairs two runs and runs the chosen (or automatically picked) method on the differences.</summary>
public static class EvalComparer
{
    /// <summary>Clusters below this count make clustered t unreliable; Auto then bootstraps clusters.</summary>
    public const int MinClustersForClusteredT = 30;

    /// <summary>Below this many pairs Auto prefers the permutation test to the t approximation.</summary>
    public const int MinPairsForPairedT = 30;

    public static Comparison Compare(RunFrame baseline, RunFrame candidate, InferenceOptions options, IProgress<double>? progress = null, CancellationToken cancel = default)
        => Compare(baseline, candidate, options, progress, cancel, out _);

    internal static Comparison Compare(RunFrame baseline, RunFrame candidate, InferenceOptions options, IProgress<double>? progress, CancellationToken cancel, out PairedRuns paired)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        paired = Pairing.Pair(baseline, candidate, options.ClusterKey, options.NoCluster);
        var notes = paired.Notes;
        var method = Choose(options.Method, paired, notes);
        var d = paired.Differences;
        var alpha = options.Alpha;
        var alt = options.Alternative;

        var clusteredDesign = method is InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap;
        if (!clusteredDesign && paired.Cluster is not null && options.Method != InferenceMethod.Auto)
        {
            notes.Add(Invariant($"{Name(method)} ignores the {paired.ClusterCount} clusters ('{paired.ClusterKey}') in the data: its standard error treats items as independent and is likely understated; clustered_t or cluster_bootstrap account for them."));
        }

        var mdeSe = clusteredDesign
            ? AnalyticTests.ClusteredSe(d, paired.Cluster, paired.ClusterCount)
            : AnalyticTests.PairedSe(d);

        TestResult r;
        long? b = null, c = null;
        int? resamples = null;
        long? seed = null;
        GateReason? limitation = null;
        if (paired.Count < 2 || (clusteredDesign && paired.ClusterCount < 2))
        {
            notes.Add(paired.Count < 2
                ? Invariant($"Only {paired.Count} paired item: no uncertainty can be estimated.")
                : Invariant($"Only {paired.ClusterCount} cluster: no cluster-robust uncertainty can be estimated."));
            limitation = paired.Count < 2 ? GateReason.TooFewPairs : GateReason.TooFewClusters;
            r = new TestResult(Summation.Mean(d), double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }
        else
        {
            switch (method)
            {
                case InferenceMethod.PairedT:
                    r = AnalyticTests.PairedT(d, alpha, alt);
                    break;
                case InferenceMethod.ClusteredT:
                    r = AnalyticTests.ClusteredT(d, paired.Cluster, paired.ClusterCount, alpha, alt);
                    break;
                case InferenceMethod.McNemarExact:
                    (var bb, var cc) = McNemar.Discordant(paired.Baseline, paired.Candidate);
                    (b, c) = (bb, cc);
                    var t = AnalyticTests.PairedT(d, alpha, alt);
                    r = t with { PValue = McNemar.PValue(bb, cc, alt), Statistic = cc, Df = double.NaN };
                    notes.Add(Invariant($"mcnemar_exact: exact binomial test on the discordant pairs (b = {bb} baseline-only correct, c = {cc} candidate-only correct); the CI is the paired-t interval."));
                    break;
                case InferenceMethod.PairedBootstrap:
                    r = Resampling.PairedBootstrap(d, alpha, alt, options.Resamples, options.Seed, progress, cancel);
                    (resamples, seed) = (options.Resamples, options.Seed);
                    break;
                case InferenceMethod.PairedPermutation:
                    r = Resampling.PairedPermutation(d, alpha, alt, options.Resamples, options.Seed, progress, cancel);
                    (resamples, seed) = (options.Resamples, options.Seed);
                    break;
                case InferenceMethod.ClusterBootstrap:
                    r = Resampling.ClusterBootstrap(d, paired.Cluster!, paired.ClusterCount, alpha, alt, options.Resamples, options.Seed, progress, cancel);
                    (resamples, seed) = (options.Resamples, options.Seed);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), method, "unknown method");
            }

            if (r.Se == 0 && r.Delta == 0)
            {
                notes.Add("Every paired difference is zero: the runs score these items identically.");
            }
        }

        var mde = Mde(mdeSe, options.Alpha, options.Power, alt);
        return new Comparison
        {
            Delta = r.Delta,
            Se = r.Se,
            Df = r.Df,
            Statistic = r.Statistic,
            CiLower = r.CiLower,
            CiUpper = r.CiUpper,
            CiLevel = 1 - alpha,
            OneSidedLower = r.OneSidedLower,
            OneSidedUpper = r.OneSidedUpper,
            PValue = r.PValue,
            Significant = limitation is null && r.PValue < alpha && (alt != Alternative.Greater || r.Delta > 0),
            Limitation = limitation,
            NPairs = paired.Count,
            NClusters = paired.Cluster is null ? 0 : paired.ClusterCount,
            Method = Name(method),
            Mde = mde,
            MdeSe = mdeSe,
            Alternative = alt,
            Alpha = alpha,
            Power = options.Power,
            ClusterKey = paired.Cluster is null ? null : paired.ClusterKey,
            McNemarB = b,
            McNemarC = c,
            Resamples = resamples,
            Seed = seed,
            OnlyInBaseline = paired.OnlyInBaseline,
            OnlyInCandidate = paired.OnlyInCandidate,
            Notes = notes.AsReadOnly(),
        };
    }

    /// <summary>
    /// MDE = (z_{1-alpha'} + z_power) * se with normal quantiles; alpha' = alpha one-sided or
    /// alpha/2 two-sided. Infinite when se cannot be estimated: nothing is detectable.
    /// </summary>
    public static double Mde(double se, double alpha, double power, Alternative alt)
    {
        if (double.IsNaN(se))
        {
            return double.PositiveInfinity;
        }

        var a = alt == Alternative.Greater ? alpha : alpha / 2;
        return (Distributions.NormalQuantile(1 - a) + Distributions.NormalQuantile(power)) * se;
    }

    public static string Name(InferenceMethod m) => m switch
    {
        InferenceMethod.PairedT => "paired_t",
        InferenceMethod.ClusteredT => "clustered_t",
        InferenceMethod.McNemarExact => "mcnemar_exact",
        InferenceMethod.PairedBootstrap => "paired_bootstrap",
        InferenceMethod.PairedPermutation => "paired_permutation",
        InferenceMethod.ClusterBootstrap => "cluster_bootstrap",
        _ => "auto",
    };

    /// <summary>The method for a name as EVALSIG writes it (paired_t) or as the enum spells it (PairedT).</summary>
    public static InferenceMethod Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var m in Enum.GetValues<InferenceMethod>())
        {
            if (string.Equals(Name(m), name, StringComparison.OrdinalIgnoreCase) || string.Equals(m.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                return m;
            }
        }

        throw InferenceOptions.Invalid(EvalSigError.InvalidMethod, $"Unknown method '{name}'; use auto, paired_t, clustered_t, mcnemar_exact, paired_bootstrap, paired_permutation or cluster_bootstrap.", name);
    }

    private static InferenceMethod Choose(InferenceMethod requested, PairedRuns p, System.Collections.Generic.List<string> notes)
    {
        var binary = McNemar.IsBinary(p.Baseline) && McNemar.IsBinary(p.Candidate);
        switch (requested)
        {
            case InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap when p.Cluster is null:
                throw new EvalSigException(EvalSigError.MethodNotApplicable, EvalSigErrorKind.InvalidArgument, $"{Name(requested)} needs clusters, but no paired item has a cluster id. Use -Method Auto, or -Cluster <key> to name the cluster key.", requested);
            case InferenceMethod.McNemarExact when !binary:
                throw new EvalSigException(EvalSigError.MethodNotApplicable, EvalSigErrorKind.InvalidArgument, "mcnemar_exact needs 0/1 scores in both runs; these runs have other scores. Use -Method Auto or paired_t.", requested);
            case InferenceMethod.Auto:
                break;
            default:
                return requested;
        }

        if (p.Cluster is not null)
        {
            if (p.ClusterCount >= MinClustersForClusteredT)
            {
                notes.Add(Invariant($"auto: {p.ClusterCount} clusters ('{p.ClusterKey}') -> clustered_t."));
                return InferenceMethod.ClusteredT;
            }

            notes.Add(Invariant($"auto: only {p.ClusterCount} clusters ('{p.ClusterKey}') -> cluster_bootstrap. With fewer than {MinClustersForClusteredT} clusters every method is fragile; treat the result with caution and add clusters if you can."));
            return InferenceMethod.ClusterBootstrap;
        }

        if (binary)
        {
            notes.Add("auto: 0/1 scores without clusters -> mcnemar_exact.");
            return InferenceMethod.McNemarExact;
        }

        if (p.Count >= MinPairsForPairedT)
        {
            notes.Add(Invariant($"auto: {p.Count} pairs without clusters -> paired_t."));
            return InferenceMethod.PairedT;
        }

        notes.Add(Invariant($"auto: only {p.Count} pairs -> paired_permutation (the t approximation is doubtful below {MinPairsForPairedT})."));
        return InferenceMethod.PairedPermutation;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
