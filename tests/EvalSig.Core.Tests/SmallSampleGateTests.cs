using System;
using System.Linq;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// The five single-run failures of issue 11, each pinned: few clusters, a bootstrap on two items, a zero
/// variance taken as certainty, messages that contradicted the numbers, and planning with the wrong df.
/// </summary>
public class SmallSampleGateTests
{
    private static RunFrame Frame(string run, double[] scores, string?[]? clusters = null)
        => RunFrame.Create(run, "m-" + run, "task", "acc", scores.Select((_, i) => "i" + i).ToArray(), scores, clusters);

    /// <summary>G clusters of m items; the candidate is better on every item of every cluster but one, by a wide margin.</summary>
    private static (RunFrame, RunFrame) Clustered(int g, int m, double shift, int seed)
    {
        var rng = new Random(seed);
        var n = g * m;
        var b = new double[n];
        var c = new double[n];
        var clusters = new string?[n];
        for (var i = 0; i < n; i++)
        {
            clusters[i] = "c" + (i / m);
            b[i] = rng.NextDouble();
            c[i] = b[i] + shift + (0.05 * (i / m)) + (0.02 * (rng.NextDouble() - 0.5));
        }

        return (Frame("base", b, clusters), Frame("cand", c, clusters));
    }

    private static GateReport Gate(RunFrame b, RunFrame c, InferenceMethod method = InferenceMethod.Auto, Alternative alt = Alternative.Greater, double minDelta = 0)
        => EvalGate.Decide(b, c, new GateOptions { MinDelta = minDelta, Inference = new InferenceOptions { Method = method, Alternative = alt } });

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Auto_WithTwoToFourClusters_IsInconclusiveTooFewClusters_NeverAllow(int g)
    {
        var (b, c) = Clustered(g, 40, 0.3, g);
        foreach (var alt in new[] { Alternative.Greater, Alternative.TwoSided })
        {
            var r = Gate(b, c, alt: alt);
            Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
            Assert.Equal(GateReason.TooFewClusters, r.Reason);
            Assert.Equal(GateReason.TooFewClusters, r.Comparison.Limitation);
            Assert.False(r.Comparison.Significant);
            Assert.Contains(r.Comparison.Notes, n => n.Contains("Add clusters", StringComparison.Ordinal));
            Assert.Contains("Add clusters", r.Suggestion, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Auto_WithFiveClusters_DecidesOneSided_ButNotTwoSided()
    {
        // 2^-5 < 0.05 but 2 * 2^-5 > 0.05: the exact Rademacher test can reject one-sided only.
        var (b, c) = Clustered(5, 40, 0.3, 5);
        var one = Gate(b, c);
        Assert.Equal(GateVerdict.ALLOW, one.Verdict);
        Assert.Equal(1 / 32.0, one.Comparison.PValue, 15);
        Assert.Contains(one.Comparison.Notes, n => n.Contains("Rademacher weights, all 32 weight vectors", StringComparison.Ordinal));
        var two = Gate(b, c, alt: Alternative.TwoSided);
        Assert.Equal(GateReason.TooFewClusters, two.Reason);
    }

    [Fact]
    public void Auto_WithFewClusters_NeverUsesThePercentileClusterBootstrap()
    {
        foreach (var g in new[] { SampleLimits.MinClustersForAuto(0.05, Alternative.Greater), 6, 12, 13, 40, 200 })
        {
            var (b, c) = Clustered(g, 10, 0.02, g);
            var r = Gate(b, c);
            Assert.Equal("wild_cluster_bootstrap", r.Comparison.Method);
        }

        var (b2, c2) = Clustered(SampleLimits.MinClustersForCr2, 4, 0.02, 1);
        Assert.Equal("clustered_cr2", Gate(b2, c2).Comparison.Method);
    }

    [Fact]
    public void PercentileClusterBootstrap_WithFourClusters_IsInconclusive_WhereItUsedToAllow()
    {
        var (b, c) = Clustered(4, 30, 0.3, 4);
        var r = Gate(b, c, InferenceMethod.ClusterBootstrap);
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Equal(GateReason.TooFewClusters, r.Reason);
        Assert.True(r.Comparison.PValue < 0.05, "the percentile bootstrap's p is tiny with four clusters - that is the problem");

        // The wild bootstrap on the same four clusters: every one of the 6^4 Webb vectors, an honest p.
        var wild = Gate(b, c, InferenceMethod.WildClusterBootstrap);
        Assert.Equal(1296, wild.Comparison.Resamples);
        Assert.True(wild.Comparison.PValue >= 1 / 1296.0);
        Assert.Null(wild.Comparison.Seed);
    }

    [Fact]
    public void PairedBootstrap_OnTwoItems_IsInconclusive_NotAllowWithATinyP()
    {
        var r = Gate(Frame("b", new[] { 0.2, 0.3 }), Frame("c", new[] { 0.9, 0.95 }), InferenceMethod.PairedBootstrap);
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Equal(GateReason.TooFewPairs, r.Reason);
        Assert.Contains(r.Comparison.Notes, n => n.Contains("paired_bootstrap with only 2 pairs", StringComparison.Ordinal));
        var perm = Gate(Frame("b", new[] { 0.2, 0.3 }), Frame("c", new[] { 0.9, 0.95 }), InferenceMethod.PairedPermutation);
        Assert.Equal(GateReason.TooFewPairs, perm.Reason);
    }

    [Theory]
    [InlineData(InferenceMethod.Auto)]
    [InlineData(InferenceMethod.McNemarExact)]
    [InlineData(InferenceMethod.PairedT)]
    [InlineData(InferenceMethod.PairedPermutation)]
    public void ZeroVariance_FromTwoItems_IsNotCertainty(InferenceMethod method)
    {
        // Two items, both 0 -> 1: every difference is +1, so every standard error is zero.
        var r = Gate(Frame("b", new[] { 0.0, 0.0 }), Frame("c", new[] { 1.0, 1.0 }), method);
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Equal(GateReason.TooFewPairs, r.Reason);
        Assert.Equal(0.25, r.Comparison.PValue, 12);
        Assert.True(r.Comparison.Mde > 1, "the MDE is not 0: nothing has been measured");
        Assert.Contains(r.Comparison.Notes, n => n.Contains("Zero variance", StringComparison.Ordinal));
    }

    [Fact]
    public void ZeroVariance_WithEnoughPairs_IsTheExactSignTest()
    {
        var r = Gate(Frame("b", new double[6]), Frame("c", Enumerable.Repeat(1.0, 6).ToArray()), InferenceMethod.PairedT);
        Assert.Equal(GateVerdict.ALLOW, r.Verdict);
        Assert.Equal(1 / 64.0, r.Comparison.PValue, 15);
        var worse = Gate(Frame("b", Enumerable.Repeat(1.0, 6).ToArray()), Frame("c", new double[6]), InferenceMethod.PairedT);
        Assert.Equal(GateReason.Regressed, worse.Reason);
        var same = Gate(Frame("b", new double[8]), Frame("c", new double[8]), minDelta: 0.05);
        Assert.Equal(GateVerdict.INCONCLUSIVE, same.Verdict);
        Assert.True(same.Comparison.Mde > 0.05, "eight identical pairs do not show that a 0.05 improvement would have been seen");
    }

    [Fact]
    public void ClusteredRuns_ArePlannedWithClusterLevelDf()
    {
        // Six equal clusters of 50 with a mild cluster effect (the case: n_eff near 200, G = 6):
        // the gate's test has G - 1 = 5 df, not n_eff - 1.
        var rng = new Random(6);
        var ids = Enumerable.Range(0, 300).Select(i => "i" + i).ToArray();
        var clusters = ids.Select((_, i) => (string?)("c" + (i / 50))).ToArray();
        var effect = Enumerable.Range(0, 6).Select(_ => 0.05 * (rng.NextDouble() - 0.5)).ToArray();
        var bs = ids.Select(_ => rng.NextDouble()).ToArray();
        var cs = bs.Select((x, i) => x + effect[i / 50] + (0.3 * (rng.NextDouble() - 0.5))).ToArray();
        var b = RunFrame.Create("b", "m", "t", "acc", ids, bs, clusters);
        var c = RunFrame.Create("c", "m", "t", "acc", ids, cs, clusters);
        var e = PowerAnalysis.FromRuns(b, c, new InferenceOptions { Alternative = Alternative.Greater });
        Assert.True(e.EffectiveN - 1 > 20, $"n_eff {e.EffectiveN}: the case where n_eff - 1 df overstates the precision");
        Assert.Equal(6, e.Clusters!.Value, 12);
        Assert.Equal(5, e.Df, 9);
        Assert.Equal(e.Se * TTestPower.DetectableNcp(5, 0.05, 0.8, Alternative.Greater), e.Mde, 12);
        var flatDf = TTestPower.DetectableNcp(e.EffectiveN - 1, 0.05, 0.8, Alternative.Greater) * e.Se;
        Assert.True(e.Mde > 1.1 * flatDf, $"MDE {e.Mde} should exceed the n_eff-based {flatDf} markedly with 5 df");
    }

    [Fact]
    public void Planning_FromATargetAlone_GivesPairsAndClusters()
    {
        var flat = PowerAnalysis.FromDesign(0.5, null, 0.05, 0.8, Alternative.Greater, targetMde: 0.05);
        Assert.Equal((long)Math.Ceiling(TTestPower.RequiredN(0.1, 0.05, 0.8, Alternative.Greater)), flat.RequiredN);
        Assert.Equal(flat.RequiredN, flat.N);
        Assert.True(flat.Mde <= 0.05);
        Assert.Null(flat.RequiredClusters);

        var clustered = PowerAnalysis.FromDesign(0.5, null, 0.05, 0.8, Alternative.Greater, icc: 0.2, clusterSize: 20, targetMde: 0.05);
        Assert.NotNull(clustered.RequiredClusters);
        Assert.Equal((long)Math.Ceiling(clustered.RequiredN!.Value / 20.0), clustered.RequiredClusters);
        Assert.Equal(clustered.Clusters!.Value - 1, clustered.Df, 9);
        Assert.True(clustered.Mde <= 0.05 * (1 + 1e-9));
        var oneFewer = PowerAnalysis.FromDesign(0.5, (int)((clustered.RequiredClusters!.Value - 1) * 20), 0.05, 0.8, Alternative.Greater, icc: 0.2, clusterSize: 20);
        Assert.True(oneFewer.Mde > 0.05, "one cluster fewer than required does not reach the target");
        Assert.Equal(Diagnostics.EvalSigError.InvalidPowerInput, Assert.Throws<Diagnostics.EvalSigException>(() => PowerAnalysis.FromDesign(0.5, null, 0.05, 0.8, Alternative.Greater)).Error);
    }
}
