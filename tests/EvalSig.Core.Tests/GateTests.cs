using System;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class GateTests
{
    private static RunFrame Frame(string run, double[] scores, string?[]? clusters = null, int[]? epochs = null, string prefix = "i")
        => RunFrame.Create(run, "m-" + run, "task", "acc", scores.Select((_, i) => prefix + i).ToArray(), scores, clusters, epochs);

    private static (RunFrame, RunFrame) Shifted(int n, double shift, double noise, int seed, int clusterSize = 0)
    {
        var rng = new Random(seed);
        var b = new double[n];
        var c = new double[n];
        var clusters = clusterSize > 0 ? new string?[n] : null;
        for (var i = 0; i < n; i++)
        {
            b[i] = rng.NextDouble();
            c[i] = b[i] + shift + (noise * (rng.NextDouble() - 0.5));
            if (clusters is not null)
            {
                clusters[i] = "c" + (i / clusterSize);
            }
        }

        return (Frame("base", b, clusters), Frame("cand", c, clusters));
    }

    private static GateReport Gate(RunFrame b, RunFrame c, double minDelta = 0, InferenceMethod method = InferenceMethod.Auto, GateDecision decision = GateDecision.Superiority, double? margin = null)
        => EvalGate.Decide(b, c, new GateOptions
        {
            MinDelta = minDelta,
            Decision = decision,
            Margin = margin,
            Inference = new InferenceOptions { Method = method, Alternative = Alternative.Greater },
        });

    [Fact]
    public void Gate_WithClearImprovementAboveMinDelta_Allows()
    {
        var (b, c) = Shifted(400, 0.05, 0.1, 1);
        var r = Gate(b, c, minDelta: 0.01);
        Assert.Equal(GateVerdict.ALLOW, r.Verdict);
        Assert.Equal(0, r.ExitCode);
        Assert.Null(r.Suggestion);
    }

    [Fact]
    public void Gate_WithRealImprovementBelowMinDelta_RejectsWithSuggestion()
    {
        var (b, c) = Shifted(2000, 0.01, 0.05, 2);
        var r = Gate(b, c, minDelta: 0.05);
        Assert.True(r.Comparison.Significant);
        Assert.Equal(GateVerdict.REJECT, r.Verdict);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("below min-delta", r.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_SensitiveEnoughAndFindingNothing_Rejects()
    {
        var (b, c) = Shifted(5000, 0.0, 0.05, 3);
        var r = Gate(b, c, minDelta: 0.02);
        Assert.False(r.Comparison.Significant);
        Assert.True(r.Comparison.Mde <= 0.02);
        Assert.Equal(GateVerdict.REJECT, r.Verdict);
    }

    [Fact]
    public void Gate_UnderpoweredAndNotSignificant_IsInconclusive_WithRequiredPairs()
    {
        var (b, c) = Shifted(40, 0.0, 0.5, 4);
        var r = Gate(b, c, minDelta: 0.01);
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Equal(2, r.ExitCode);
        var need = (long)Math.Ceiling(40 * Math.Pow(r.Comparison.Mde / 0.01, 2));
        Assert.Contains($"about {need} paired items", r.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_InconclusiveWithMinDeltaZero_DoesNotDivideByZero()
    {
        var (b, c) = Shifted(40, 0.0, 0.5, 5);
        var r = Gate(b, c, minDelta: 0);
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Null(EvalGate.RequiredPairs(40, r.Comparison.Mde, 0));
        Assert.Contains("min-delta 0", r.Suggestion, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", r.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_WithTooFewPairs_IsInconclusive()
    {
        var r = Gate(Frame("b", new[] { 0.5 }), Frame("c", new[] { 0.7 }));
        Assert.Equal(GateVerdict.INCONCLUSIVE, r.Verdict);
        Assert.Contains(r.Comparison.Notes, n => n.Contains("Only 1 paired item", StringComparison.Ordinal));
        Assert.DoesNotContain("NaN", GateReportJson.Serialize(r), StringComparison.Ordinal);
    }

    [Fact]
    public void OneSidedGate_NegativeDelta_IsNeverSignificant()
    {
        var (b, c) = Shifted(400, -0.05, 0.1, 6);
        var r = Gate(b, c);
        Assert.False(r.Comparison.Significant);
        Assert.True(r.Comparison.PValue > 0.5);
        Assert.NotEqual(GateVerdict.ALLOW, r.Verdict);
    }

    [Fact]
    public void NonInferiority_SmallLossWithinMargin_Allows_AndLargeLossRejects()
    {
        var (b, c) = Shifted(3000, -0.002, 0.05, 7);
        Assert.Equal(GateVerdict.ALLOW, Gate(b, c, decision: GateDecision.NonInferiority, margin: 0.01).Verdict);
        var (b2, c2) = Shifted(3000, -0.05, 0.05, 8);
        Assert.Equal(GateVerdict.REJECT, Gate(b2, c2, decision: GateDecision.NonInferiority, margin: 0.01).Verdict);
        var (b3, c3) = Shifted(20, -0.005, 0.6, 9);
        Assert.Equal(GateVerdict.INCONCLUSIVE, Gate(b3, c3, decision: GateDecision.NonInferiority, margin: 0.01).Verdict);
    }

    [Fact]
    public void NonInferiority_AllowsExactlyWhenTheOneSidedTestRejects()
    {
        var (b, c) = Shifted(500, -0.004, 0.2, 10);
        var r = Gate(b, c, method: InferenceMethod.PairedT, decision: GateDecision.NonInferiority, margin: 0.01);
        var cmp = r.Comparison;
        var p = Distributions.StudentTUpper((cmp.Delta + 0.01) / cmp.Se, cmp.Df);
        Assert.Equal(p < 0.05, r.Verdict == GateVerdict.ALLOW);
    }

    [Theory]
    [InlineData(double.NaN, EvalSigError.InvalidAlpha)]
    [InlineData(0.0, EvalSigError.InvalidAlpha)]
    [InlineData(1.0, EvalSigError.InvalidAlpha)]
    public void InvalidAlpha_IsRejected(double alpha, EvalSigError id)
    {
        var (b, c) = Shifted(10, 0, 0.1, 1);
        var ex = Assert.Throws<EvalSigException>(() => EvalGate.Decide(b, c, new GateOptions { Inference = new InferenceOptions { Alpha = alpha } }));
        Assert.Equal(id, ex.Error);
    }

    [Fact]
    public void EveryOptionError_HasItsOwnId()
    {
        var (b, c) = Shifted(10, 0, 0.1, 1);
        EvalSigError Err(GateOptions o) => Assert.Throws<EvalSigException>(() => EvalGate.Decide(b, c, o)).Error;
        Assert.Equal(EvalSigError.InvalidPower, Err(new GateOptions { Inference = new InferenceOptions { Power = 1.2 } }));
        Assert.Equal(EvalSigError.InvalidMinDelta, Err(new GateOptions { MinDelta = -0.1 }));
        Assert.Equal(EvalSigError.InvalidMargin, Err(new GateOptions { Decision = GateDecision.NonInferiority }));
        Assert.Equal(EvalSigError.InvalidMargin, Err(new GateOptions { Decision = GateDecision.NonInferiority, Margin = 0 }));
        Assert.Equal(EvalSigError.InvalidMargin, Err(new GateOptions { Margin = 0.1 }));
        Assert.Equal(EvalSigError.InvalidResamples, Err(new GateOptions { Inference = new InferenceOptions { Resamples = 5 } }));
        Assert.Equal(EvalSigError.InvalidMethod, Err(new GateOptions { Inference = new InferenceOptions { NoCluster = true, ClusterKey = "x" } }));
        Assert.Equal(EvalSigError.MethodNotApplicable, Err(new GateOptions { Inference = new InferenceOptions { Method = InferenceMethod.ClusteredT } }));
        Assert.Equal(EvalSigError.MethodNotApplicable, Err(new GateOptions { Inference = new InferenceOptions { Method = InferenceMethod.McNemarExact } }));
        Assert.Equal(EvalSigError.ClusterKeyNotFound, Err(new GateOptions { Inference = new InferenceOptions { ClusterKey = "passage_id" } }));
    }

    [Fact]
    public void NoSharedItems_WithAPairedMethod_IsNoOverlappingItems_NotNaN()
    {
        var ex = Assert.Throws<EvalSigException>(() => EvalGate.Decide(Frame("b", new[] { 1.0, 0.0 }), Frame("c", new[] { 1.0, 0.0 }, prefix: "other"), new GateOptions { Inference = new InferenceOptions { Method = InferenceMethod.PairedT, Alternative = Alternative.Greater } }));
        Assert.Equal(EvalSigError.NoOverlappingItems, ex.Error);
    }

    [Fact]
    public void NoSharedItems_UnderAuto_IsAnUnpairedComparison()
    {
        var report = Gate(Frame("b", new[] { 1.0, 0.0 }), Frame("c", new[] { 1.0, 0.0 }, prefix: "other"));
        Assert.True(report.Comparison.Unpaired);
        Assert.Equal("newcombe", report.Comparison.Method);
        Assert.Equal(GateVerdict.INCONCLUSIVE, report.Verdict);
    }

    [Fact]
    public void Pairing_NotesIgnoredEpochs_LowCoverage_AndClusterDisagreement()
    {
        var b = RunFrame.Create("b", "m", "t", "acc", new[] { "a", "b", "c", "d", "a" }, new[] { 1.0, 0, 1, 0, 1 }, new[] { "x", "x", "y", "y", "x" }, new[] { 0, 0, 0, 0, 1 });
        var c = RunFrame.Create("c", "m", "t", "acc", new[] { "a", "b", "e" }, new[] { 1.0, 1, 0 }, new[] { "x", "z", "q" });
        var cmp = EvalComparer.Compare(b, c, new InferenceOptions { Method = InferenceMethod.PairedT });
        Assert.Equal(2, cmp.NPairs);
        Assert.Equal(2, cmp.OnlyInBaseline);
        Assert.Equal(1, cmp.OnlyInCandidate);
        Assert.Contains(cmp.Notes, n => n.Contains("epoch other than 0", StringComparison.Ordinal));
        Assert.Contains(cmp.Notes, n => n.Contains("Low coverage: 2 items paired; 2 only in baseline, 1 only in candidate", StringComparison.Ordinal));
        Assert.Contains(cmp.Notes, n => n.Contains("disagree on 'cluster_id' for 1", StringComparison.Ordinal));
        Assert.Contains(cmp.Notes, n => n.Contains("ignores the 1 clusters", StringComparison.Ordinal));
    }

    [Fact]
    public void Auto_PicksByTheDocumentedRules()
    {
        string Method(RunFrame b, RunFrame c) => EvalComparer.Compare(b, c, new InferenceOptions { Resamples = 200 }).Method;
        var (b1, c1) = Shifted(2 * SampleLimits.MinClustersForCr2, 0.01, 0.1, 1, clusterSize: 2);
        Assert.Equal("clustered_cr2", Method(b1, c1));
        var (b2, c2) = Shifted(100, 0.01, 0.1, 1, clusterSize: 10);
        Assert.Equal("wild_cluster_bootstrap", Method(b2, c2)); // 10 clusters
        var bin = Frame("b", Enumerable.Range(0, 50).Select(i => (double)(i % 2)).ToArray());
        var bin2 = Frame("c", Enumerable.Range(0, 50).Select(i => (double)(i % 3 == 0 ? 1 : 0)).ToArray());
        Assert.Equal("mcnemar_exact", Method(bin, bin2));
        var (b3, c3) = Shifted(SampleLimits.MinPairsForPairedT, 0.01, 0.1, 1);
        Assert.Equal("paired_t", Method(b3, c3));
        var (b4, c4) = Shifted(SampleLimits.MinPairsForPairedT - 1, 0.01, 0.1, 1);
        Assert.Equal("paired_permutation", Method(b4, c4));
    }

    [Fact]
    public void Clusters_AreUsedByDefault_AndNoClusterIgnoresThemWithANote()
    {
        var (b, c) = Shifted(300, 0.01, 0.1, 11, clusterSize: 5);
        Assert.Equal(60, EvalComparer.Compare(b, c, new InferenceOptions()).NClusters);
        var flat = EvalComparer.Compare(b, c, new InferenceOptions { NoCluster = true });
        Assert.Equal(0, flat.NClusters);
        Assert.Contains(flat.Notes, n => n.Contains("-NoCluster", StringComparison.Ordinal));
    }

    [Fact]
    public void ClusterKey_CanBeAMetadataKey()
    {
        var meta = Enumerable.Range(0, 120).Select(i => "{\"passage_id\":\"p" + (i / 2) + "\"}").ToArray();
        var ids = Enumerable.Range(0, 120).Select(i => "q" + i).ToArray();
        var rng = new Random(3);
        var bs = ids.Select(_ => rng.NextDouble()).ToArray();
        var cs = bs.Select(x => x + 0.01).ToArray();
        var b = RunFrame.Create("b", "m", "t", "acc", ids, bs, metadataJson: meta);
        var c = RunFrame.Create("c", "m", "t", "acc", ids, cs, metadataJson: meta);
        var cmp = EvalComparer.Compare(b, c, new InferenceOptions { ClusterKey = "passage_id" });
        Assert.Equal(60, cmp.NClusters);
        Assert.Equal("passage_id", cmp.ClusterKey);
        Assert.Equal("wild_cluster_bootstrap", cmp.Method);
    }

    [Theory]
    [InlineData(InferenceMethod.PairedBootstrap)]
    [InlineData(InferenceMethod.PairedPermutation)]
    [InlineData(InferenceMethod.ClusterBootstrap)]
    public void Resampling_SameSeed_IsIdenticalWhateverTheCoreCount(InferenceMethod method)
    {
        var (b, c) = Shifted(3000, 0.005, 0.2, 12, clusterSize: 10);
        var o = new InferenceOptions { Method = method, Resamples = 2000, Seed = 42 };
        Comparison Run(int cores)
        {
            Resampling.MaxParallelism = cores;
            try
            {
                return EvalComparer.Compare(b, c, o);
            }
            finally
            {
                Resampling.MaxParallelism = -1;
            }
        }

        var one = Run(1);
        var all = Run(-1);
        Assert.Equal(BitConverter.DoubleToInt64Bits(one.PValue), BitConverter.DoubleToInt64Bits(all.PValue));
        Assert.Equal(BitConverter.DoubleToInt64Bits(one.CiLower), BitConverter.DoubleToInt64Bits(all.CiLower));
        Assert.Equal(BitConverter.DoubleToInt64Bits(one.CiUpper), BitConverter.DoubleToInt64Bits(all.CiUpper));
        var other = EvalComparer.Compare(b, c, o with { Seed = 43 });
        Assert.NotEqual(one.CiLower, other.CiLower);
    }

    [Fact]
    public void Resampling_AgreesWithAnalyticMethods_OnLargeSamples()
    {
        var (b, c) = Shifted(4000, 0.004, 0.3, 13, clusterSize: 4);
        var o = new InferenceOptions { Resamples = 4000, Seed = 1, Alternative = Alternative.TwoSided };
        var t = EvalComparer.Compare(b, c, o with { Method = InferenceMethod.PairedT, NoCluster = true });
        var boot = EvalComparer.Compare(b, c, o with { Method = InferenceMethod.PairedBootstrap, NoCluster = true });
        var perm = EvalComparer.Compare(b, c, o with { Method = InferenceMethod.PairedPermutation, NoCluster = true });
        var ct = EvalComparer.Compare(b, c, o with { Method = InferenceMethod.ClusteredT });
        var cb = EvalComparer.Compare(b, c, o with { Method = InferenceMethod.ClusterBootstrap });
        Assert.InRange(boot.Se / t.Se, 0.93, 1.07);
        Assert.InRange(cb.Se / ct.Se, 0.9, 1.1);
        Assert.InRange(boot.CiLower - t.CiLower, -0.2 * t.Se, 0.2 * t.Se);
        Assert.InRange(perm.PValue - t.PValue, -0.03, 0.03);
        Assert.InRange(cb.PValue - ct.PValue, -0.04, 0.04);
    }

    [Fact]
    public void JsonReport_IsEvalsigShaped_AndHasNoBareInfinity()
    {
        var (b, c) = Shifted(100, 0.05, 0.1, 14);
        var r = Gate(b, c, minDelta: 0.01);
        var json = GateReportJson.Serialize(r);
        Assert.DoesNotContain("Infinity", json, StringComparison.Ordinal);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("ALLOW", root.GetProperty("verdict").GetString());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        var cmp = root.GetProperty("comparison");
        Assert.Equal(JsonValueKind.Number, cmp.GetProperty("ci")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, cmp.GetProperty("ci")[1].ValueKind);
        foreach (var key in new[] { "delta", "ci_level", "p_value", "significant", "n_pairs", "n_clusters", "method", "mde", "notes", "se", "df", "statistic" })
        {
            Assert.True(cmp.TryGetProperty(key, out _), key);
        }

        foreach (var key in new[] { "min_delta", "alpha", "power", "suggestion", "decision", "baseline_run_id", "candidate_run_id", "evaluated_at", "tool_version" })
        {
            Assert.True(root.TryGetProperty(key, out _), key);
        }

        Assert.EndsWith("Z", root.GetProperty("evaluated_at").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MarkdownReport_PutsTheVerdictFirst()
    {
        var (b, c) = Shifted(40, 0.0, 0.5, 4);
        var r = Gate(b, c, minDelta: 0.01);
        var md = GateReportText.Markdown(r);
        Assert.StartsWith("## EvalSig gate: **INCONCLUSIVE**", md, StringComparison.Ordinal);
        Assert.Contains("| Delta |", md, StringComparison.Ordinal);
        Assert.Contains("**Suggestion:**", md, StringComparison.Ordinal);
        Assert.True(md.IndexOf("| Delta |", StringComparison.Ordinal) < md.IndexOf("| p-value |", StringComparison.Ordinal));
    }
}
