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
    public static Comparison Compare(RunFrame baseline, RunFrame candidate, InferenceOptions options, IProgress<double>? progress = null, CancellationToken cancel = default)
        => Compare(baseline, candidate, options, progress, cancel, out _);

    internal static Comparison Compare(RunFrame baseline, RunFrame candidate, InferenceOptions options, IProgress<double>? progress, CancellationToken cancel, out PairedRuns paired)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Method is InferenceMethod.WelchT or InferenceMethod.Newcombe)
        {
            paired = Pairing.Unpaired(baseline, candidate, new System.Collections.Generic.List<string>());
            return CompareUnpaired(paired, options, options.Method);
        }

        try
        {
            paired = Pairing.Pair(baseline, candidate, options.ClusterKey, options.NoCluster);
        }
        catch (EvalSigException ex) when (ex.Error == EvalSigError.NoOverlappingItems && options.Method == InferenceMethod.Auto)
        {
            // A benchmark revised between releases: no item in common, so the runs are two independent samples.
            var why = new System.Collections.Generic.List<string> { Invariant($"auto: the runs share no item_id (baseline {baseline.RunId}, candidate {candidate.RunId}), so they are compared unpaired, as independent samples.") };
            paired = Pairing.Unpaired(baseline, candidate, why);
            return CompareUnpaired(paired, options, InferenceMethod.Auto);
        }

        return Compare(paired, options, progress, cancel);
    }

    /// <summary>The inference on already paired runs (the validation study calls this directly).</summary>
    internal static Comparison Compare(PairedRuns paired, InferenceOptions options, IProgress<double>? progress, CancellationToken cancel)
    {
        var notes = paired.Notes;
        var method = Choose(options.Method, paired, options, notes, out var limitation);
        var d = paired.Differences;
        var alpha = options.Alpha;
        var alt = options.Alternative;

        var clusteredDesign = IsClustered(method);
        if (!clusteredDesign && paired.Cluster is not null && options.Method != InferenceMethod.Auto)
        {
            notes.Add(Invariant($"{Name(method)} ignores the {paired.ClusterCount} clusters ('{paired.ClusterKey}') in the data: its standard error treats items as independent and is likely understated; clustered_cr2 or wild_cluster_bootstrap account for them."));
        }

        // The se and df behind the MDE: CR1 for the methods EVALSIG defines (clustered_t,
        // cluster_bootstrap, normal quantiles as EVALSIG); CR2 with Bell-McCaffrey df for the
        // small-sample methods, whose MDE uses t quantiles so that few clusters are not over-sold.
        var smallSample = method is InferenceMethod.ClusteredCr2 or InferenceMethod.WildClusterBootstrap;
        var mdeSe = !clusteredDesign
            ? AnalyticTests.PairedSe(d)
            : smallSample ? AnalyticTests.Cr2Se(d, paired.Cluster, paired.ClusterCount) : AnalyticTests.ClusteredSe(d, paired.Cluster, paired.ClusterCount);
        var mdeDf = smallSample && paired.ClusterCount >= 2 ? AnalyticTests.BellMcCaffreyDf(AnalyticTests.ClusterSizes(paired.Cluster, paired.ClusterCount)) : double.NaN;

        TestResult r;
        long? b = null, c = null;
        int? resamples = null;
        long? seed = null;
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
                case InferenceMethod.ClusteredCr2:
                    r = AnalyticTests.Cr2T(d, paired.Cluster, paired.ClusterCount, alpha, alt);
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
                case InferenceMethod.WildClusterBootstrap:
                    var weights = WildClusterBootstrap.DefaultWeights(paired.ClusterCount, alpha, alt);
                    var (enumerated, draws) = WildClusterBootstrap.Plan(paired.ClusterCount, weights, options.Resamples);
                    r = WildClusterBootstrap.Test(d, paired.Cluster!, paired.ClusterCount, alpha, alt, weights, options.Resamples, options.Seed, progress, cancel, bounds: !options.PValuesOnly);
                    resamples = draws;
                    seed = enumerated ? null : options.Seed;
                    notes.Add(enumerated
                        ? Invariant($"wild_cluster_bootstrap: {weights} weights, all {draws} weight vectors of {paired.ClusterCount} clusters enumerated - the p-value needs no seed{(weights == WildWeights.Rademacher ? " and is exact" : string.Empty)}.")
                        : Invariant($"wild_cluster_bootstrap: {weights} weights, {draws} random weight vectors (seed {options.Seed})."));
                    if (weights == WildWeights.Webb)
                    {
                        notes.Add(Invariant($"With {paired.ClusterCount} clusters Rademacher weights cannot reach p < {alpha:G3}, so Webb's six-point weights are used; their p-value is approximate (the validation study measured up to 6.5% rejections of true nulls at alpha 5% with 4 clusters)."));
                    }
                    if (limitation is null && WildClusterBootstrap.SmallestP(paired.ClusterCount, weights, options.Resamples, alt) >= alpha)
                    {
                        limitation = GateReason.TooFewClusters;
                        notes.Add(Invariant($"With {paired.ClusterCount} clusters the smallest p-value the wild cluster bootstrap can give is {WildClusterBootstrap.SmallestP(paired.ClusterCount, weights, options.Resamples, alt):G3}, not below alpha {alpha:G3}: it cannot find anything significant. Add clusters."));
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), method, "unknown method");
            }

            if (mdeSe == 0)
            {
                r = ZeroVariance(r, paired, clusteredDesign, options, notes, ref limitation, ref mdeSe);
            }
        }

        var mde = Mde(mdeSe, options.Alpha, options.Power, alt, mdeDf);
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
            NBaseline = paired.Count + paired.OnlyInBaseline,
            NCandidate = paired.Count + paired.OnlyInCandidate,
            OnlyInBaseline = paired.OnlyInBaseline,
            OnlyInCandidate = paired.OnlyInCandidate,
            Notes = notes.AsReadOnly(),
        };
    }

    /// <summary>Welch's t or Newcombe's interval on each run's epoch-0 scores.</summary>
    private static Comparison CompareUnpaired(PairedRuns p, InferenceOptions options, InferenceMethod requested)
    {
        var notes = p.Notes;
        var binary = McNemar.IsBinary(p.Baseline) && McNemar.IsBinary(p.Candidate);
        if (requested == InferenceMethod.Newcombe && !binary)
        {
            throw new EvalSigException(EvalSigError.MethodNotApplicable, EvalSigErrorKind.InvalidArgument, "newcombe needs 0/1 scores in both runs; these runs have other scores. Use " + Diagnostics.Surface.Say("-Method WelchT", "--method welch_t") + ".", requested);
        }

        if (options.ClusterKey is not null || options.Method is InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap)
        {
            notes.Add("Unpaired methods treat items as independent: clusters are not used, so if items are clustered the standard error is understated.");
        }

        var method = requested == InferenceMethod.Auto ? (binary ? InferenceMethod.Newcombe : InferenceMethod.WelchT) : requested;
        var (nb, nc) = (p.Baseline.Count, p.Candidate.Count);
        var alpha = options.Alpha;
        var alt = options.Alternative;
        TestResult r;
        if (method == InferenceMethod.Newcombe)
        {
            r = UnpairedTests.Newcombe(Summation.Sum(p.Baseline), nb, Summation.Sum(p.Candidate), nc, alpha, alt);
            notes.Add(Invariant($"newcombe: hybrid score interval for the difference of proportions ({Summation.Sum(p.Candidate)}/{nc} - {Summation.Sum(p.Baseline)}/{nb}); p is the level at which the interval reaches 0."));
        }
        else
        {
            r = UnpairedTests.Welch(p.Baseline, p.Candidate, alpha, alt);
        }

        notes.Add(Invariant($"Unpaired comparison ({Name(method)}, {nb} baseline and {nc} candidate items): less powerful than a paired comparison of the same items, because the variation between items stays in the standard error. Score the same items in both runs to pair them."));
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
            Significant = r.PValue < alpha && (alt != Alternative.Greater || r.Delta > 0),
            NPairs = 0,
            NClusters = 0,
            Method = Name(method),
            Mde = Mde(r.Se, alpha, options.Power, alt),
            MdeSe = r.Se,
            Alternative = alt,
            Alpha = alpha,
            Power = options.Power,
            Unpaired = true,
            NBaseline = nb,
            NCandidate = nc,
            OnlyInBaseline = nb,
            OnlyInCandidate = nc,
            Notes = notes.AsReadOnly(),
        };
    }

    /// <summary>
    /// No spread in the design's units (every difference equal, or every cluster's mean equal): the
    /// standard error is zero, which is not certainty. The p-value becomes the exact sign-flip test's
    /// on the u units (pairs, or clusters), 2^-u one-sided when delta points the tested way, and the
    /// bounds are delta only where that test rejects (unbounded otherwise). Below
    /// <see cref="SampleLimits.MinUnitsForSignFlip"/> units nothing could be significant: TooFewPairs or
    /// TooFewClusters. The MDE uses an upper confidence bound on the spread instead of zero: for 0/1
    /// scores the rate of units unlike the observed ones is at most 1 - alpha^(1/u) (Clopper-Pearson
    /// for 0 events; the "rule of three"), so var(d) &lt;= (1 + |delta|)^2 (1 - alpha^(1/u)); for other
    /// scores nothing bounds it and the MDE is infinite.
    /// </summary>
    private static TestResult ZeroVariance(TestResult r, PairedRuns paired, bool clusteredDesign, InferenceOptions options, System.Collections.Generic.List<string> notes, ref GateReason? limitation, ref double mdeSe)
    {
        var units = clusteredDesign ? paired.ClusterCount : paired.Count;
        var unit = clusteredDesign ? "clusters" : "paired items";
        var alpha = options.Alpha;
        var delta = r.Delta;
        var oneSided = Math.Pow(0.5, units);
        var p = delta == 0 ? 1.0
            : options.Alternative == Alternative.Greater ? (delta > 0 ? oneSided : 1.0)
            : Math.Min(1, 2 * oneSided);
        var lower = oneSided < alpha ? delta : double.NegativeInfinity;
        var upper = oneSided < alpha ? delta : double.PositiveInfinity;
        var lower2 = oneSided < alpha / 2 ? delta : double.NegativeInfinity;
        var upper2 = oneSided < alpha / 2 ? delta : double.PositiveInfinity;

        var binary = McNemar.IsBinary(paired.Baseline) && McNemar.IsBinary(paired.Candidate);
        var bound = 1 - Math.Pow(alpha, 1.0 / units);
        mdeSe = binary ? (1 + Math.Abs(delta)) * Math.Sqrt(bound / units) : double.NaN;
        notes.Add(binary
            ? Invariant($"Zero variance: the {units} {unit} all show the same difference {delta:G6}. That is not certainty: p is the exact sign-flip test's ({p:G4}), and the MDE uses the {1 - alpha:P0} upper bound {bound:G3} on the share of {unit} that could differ.")
            : Invariant($"Zero variance: the {units} {unit} all show the same difference {delta:G6}. That is not certainty: p is the exact sign-flip test's ({p:G4}), and with scores other than 0/1 nothing bounds the spread, so the MDE is unknown."));
        if (limitation is null && units < SampleLimits.MinUnitsForSignFlip(alpha, options.Alternative))
        {
            limitation = clusteredDesign ? GateReason.TooFewClusters : GateReason.TooFewPairs;
            notes.Add(Invariant($"With {units} {unit} and no variance, no test can reach p < {alpha:G3}: at least {SampleLimits.MinUnitsForSignFlip(alpha, options.Alternative)} are needed."));
        }

        var stat = delta == 0 ? 0 : Math.CopySign(double.PositiveInfinity, delta);
        return options.Alternative == Alternative.Greater
            ? r with { PValue = p, Statistic = stat, CiLower = lower, CiUpper = double.PositiveInfinity, OneSidedLower = lower, OneSidedUpper = upper }
            : r with { PValue = p, Statistic = stat, CiLower = lower2, CiUpper = upper2, OneSidedLower = lower, OneSidedUpper = upper };
    }

    private static bool IsClustered(InferenceMethod m)
        => m is InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap or InferenceMethod.ClusteredCr2 or InferenceMethod.WildClusterBootstrap;

    /// <summary>
    /// MDE = (z_{1-alpha'} + z_power) * se with normal quantiles; alpha' = alpha one-sided or
    /// alpha/2 two-sided. Infinite when se cannot be estimated: nothing is detectable.
    /// </summary>
    public static double Mde(double se, double alpha, double power, Alternative alt) => Mde(se, alpha, power, alt, double.NaN);

    /// <summary>
    /// With finite df, t quantiles instead: (t_{1-alpha', df} + t_{power, df}) * se, the usual
    /// approximation to the power of a t test with df degrees of freedom.
    /// </summary>
    internal static double Mde(double se, double alpha, double power, Alternative alt, double df)
    {
        if (double.IsNaN(se))
        {
            return double.PositiveInfinity;
        }

        var a = alt == Alternative.Greater ? alpha : alpha / 2;
        return double.IsFinite(df) && df > 0
            ? (Distributions.StudentTQuantile(1 - a, df) + Distributions.StudentTQuantile(power, df)) * se
            : (Distributions.NormalQuantile(1 - a) + Distributions.NormalQuantile(power)) * se;
    }

    public static string Name(InferenceMethod m) => m switch
    {
        InferenceMethod.PairedT => "paired_t",
        InferenceMethod.ClusteredT => "clustered_t",
        InferenceMethod.McNemarExact => "mcnemar_exact",
        InferenceMethod.PairedBootstrap => "paired_bootstrap",
        InferenceMethod.PairedPermutation => "paired_permutation",
        InferenceMethod.ClusterBootstrap => "cluster_bootstrap",
        InferenceMethod.WelchT => "welch_t",
        InferenceMethod.Newcombe => "newcombe",
        InferenceMethod.ClusteredCr2 => "clustered_cr2",
        InferenceMethod.WildClusterBootstrap => "wild_cluster_bootstrap",
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

        throw InferenceOptions.Invalid(EvalSigError.InvalidMethod, $"Unknown method '{name}'; use auto, paired_t, clustered_t, mcnemar_exact, paired_bootstrap, paired_permutation, cluster_bootstrap, welch_t or newcombe.", name);
        throw InferenceOptions.Invalid(EvalSigError.InvalidMethod, $"Unknown method '{name}'; use auto, paired_t, clustered_t, clustered_cr2, wild_cluster_bootstrap, mcnemar_exact, paired_bootstrap, paired_permutation or cluster_bootstrap.", name);
    }

    /// <summary>
    /// The method to run, and whether the data are too thin for it (a note says why and what would
    /// fix it). Auto's rules and every threshold are in <see cref="SampleLimits"/>, each backed by a
    /// row of the validation study (docs/methodology.md).
    /// </summary>
    private static InferenceMethod Choose(InferenceMethod requested, PairedRuns p, InferenceOptions options, System.Collections.Generic.List<string> notes, out GateReason? limitation)
    {
        limitation = null;
        var binary = McNemar.IsBinary(p.Baseline) && McNemar.IsBinary(p.Candidate);
        var g = p.ClusterCount;
        switch (requested)
        {
            case InferenceMethod.ClusteredT or InferenceMethod.ClusterBootstrap or InferenceMethod.ClusteredCr2 or InferenceMethod.WildClusterBootstrap when p.Cluster is null:
                throw new EvalSigException(EvalSigError.MethodNotApplicable, EvalSigErrorKind.InvalidArgument, $"{Name(requested)} needs clusters, but no paired item has a cluster id. " + Diagnostics.Surface.Say("Use -Method Auto, or -Cluster <key> to name the cluster key.", "Use --method auto, or --cluster <key> to name the cluster key."), requested);
            case InferenceMethod.McNemarExact when !binary:
                throw new EvalSigException(EvalSigError.MethodNotApplicable, EvalSigErrorKind.InvalidArgument, "mcnemar_exact needs 0/1 scores in both runs; these runs have other scores. " + Diagnostics.Surface.Say("Use -Method Auto or PairedT.", "Use --method auto or paired_t."), requested);
            case InferenceMethod.ClusterBootstrap when g < SampleLimits.MinClustersForClusterBootstrap:
                limitation = GateReason.TooFewClusters;
                notes.Add(Invariant($"cluster_bootstrap with only {g} clusters: the percentile cluster bootstrap rejects true nulls far more often than alpha below {SampleLimits.MinClustersForClusterBootstrap} clusters (docs/methodology.md), so its p-value cannot support a decision. Use method Auto (wild_cluster_bootstrap here), or add clusters."));
                return requested;
            case InferenceMethod.PairedBootstrap when p.Count < SampleLimits.MinPairsForPairedBootstrap:
                limitation = GateReason.TooFewPairs;
                notes.Add(Invariant($"paired_bootstrap with only {p.Count} pairs: the percentile bootstrap rejects true nulls far more often than alpha below {SampleLimits.MinPairsForPairedBootstrap} pairs (docs/methodology.md), so its p-value cannot support a decision. Use method Auto, or collect more paired items."));
                return requested;
            case InferenceMethod.PairedPermutation when p.Count < SampleLimits.MinUnitsForSignFlip(options.Alpha, options.Alternative):
                limitation = GateReason.TooFewPairs;
                notes.Add(Invariant($"paired_permutation with only {p.Count} pairs: with 2^{p.Count} sign patterns no p-value can fall below alpha {options.Alpha:G3}; at least {SampleLimits.MinUnitsForSignFlip(options.Alpha, options.Alternative)} pairs are needed."));
                return requested;
            case InferenceMethod.Auto:
                break;
            default:
                return requested;
        }

        if (p.Cluster is not null)
        {
            var least = SampleLimits.MinClustersForAuto(options.Alpha, options.Alternative);
            if (g < least)
            {
                limitation = GateReason.TooFewClusters;
                notes.Add(Invariant($"auto: only {g} clusters ('{p.ClusterKey}'). Below {least} clusters ({(options.Alternative == Alternative.Greater ? "one-sided" : "two-sided")}, alpha {options.Alpha:G3}) no method holds the error rate in every design of the validation study (docs/methodology.md), so no verdict can rest on these numbers (shown: wild_cluster_bootstrap). Add clusters - at least {least} independent groups, and {SampleLimits.MinClustersForCr2} or more for full power."));
                return InferenceMethod.WildClusterBootstrap;
            }

            if (g < SampleLimits.MinClustersForCr2)
            {
                notes.Add(Invariant($"auto: {g} clusters ('{p.ClusterKey}') -> wild_cluster_bootstrap (null imposed), which holds alpha with few or unequal clusters where t approximations do not."));
                return InferenceMethod.WildClusterBootstrap;
            }

            notes.Add(Invariant($"auto: {g} clusters ('{p.ClusterKey}') -> clustered_cr2 (CR2 with Bell-McCaffrey df)."));
            return InferenceMethod.ClusteredCr2;
        }

        if (binary)
        {
            notes.Add("auto: 0/1 scores without clusters -> mcnemar_exact.");
            return InferenceMethod.McNemarExact;
        }

        if (p.Count >= SampleLimits.MinPairsForPairedT)
        {
            notes.Add(Invariant($"auto: {p.Count} pairs without clusters -> paired_t."));
            return InferenceMethod.PairedT;
        }

        notes.Add(Invariant($"auto: only {p.Count} pairs -> paired_permutation (the t approximation is doubtful below {SampleLimits.MinPairsForPairedT})."));
        if (p.Count < SampleLimits.MinUnitsForSignFlip(options.Alpha, options.Alternative))
        {
            limitation = GateReason.TooFewPairs;
            notes.Add(Invariant($"With {p.Count} pairs no sign-flip p-value can fall below alpha {options.Alpha:G3}; at least {SampleLimits.MinUnitsForSignFlip(options.Alpha, options.Alternative)} pairs are needed."));
        }

        return InferenceMethod.PairedPermutation;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
