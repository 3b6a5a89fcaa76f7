using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Every verdict carries a machine-readable reason and a sentence that agrees with delta, CI and p.</summary>
public class GateReasonTests
{
    private static RunFrame Frame(string run, double[] scores, string?[]? clusters = null)
        => RunFrame.Create(run, "m-" + run, "task", "acc", scores.Select((_, i) => "i" + i).ToArray(), scores, clusters);

    private static (RunFrame, RunFrame) Shifted(int n, double shift, double noise, int seed)
    {
        var rng = new Random(seed);
        var b = new double[n];
        var c = new double[n];
        for (var i = 0; i < n; i++)
        {
            b[i] = rng.NextDouble();
            c[i] = b[i] + shift + (noise * (rng.NextDouble() - 0.5));
        }

        return (Frame("base", b), Frame("cand", c));
    }

    private static GateReport Gate(RunFrame b, RunFrame c, double minDelta = 0, Alternative alt = Alternative.Greater, InferenceMethod method = InferenceMethod.Auto, GateDecision decision = GateDecision.Superiority, double? margin = null)
        => EvalGate.Decide(b, c, new GateOptions
        {
            MinDelta = minDelta,
            Decision = decision,
            Margin = margin,
            Inference = new InferenceOptions { Method = method, Alternative = alt },
        });

    [Theory]
    [InlineData(Alternative.Greater)]
    [InlineData(Alternative.TwoSided)]
    public void SignificantRegression_IsRejectRegressed_WhateverTheAlternative(Alternative alt)
    {
        var (b, c) = Shifted(400, -0.05, 0.1, 6);
        var r = Gate(b, c, alt: alt);
        Assert.Equal(GateVerdict.REJECT, r.Verdict);
        Assert.Equal(GateReason.Regressed, r.Reason);
        Assert.True(r.Comparison.OneSidedUpper < 0);
        Assert.False(r.Comparison.Significant && alt == Alternative.Greater);
        Assert.Contains("significantly worse", r.Explanation, StringComparison.Ordinal);
        Assert.DoesNotContain("improvement is real", r.Explanation + r.Suggestion, StringComparison.Ordinal);
        Assert.DoesNotContain("Not enough evidence", r.Explanation + r.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void BundledExample_CandidateScoringZeroEverywhere_IsRegressed()
    {
        var b = RunFrameFile.Read(Path.Combine(TestPaths.RepoRoot, "examples", "baseline.json"));
        var zero = RunFrame.Create("zero", "m", b.TaskId, b.MetricName, b.ItemIds, new double[b.Count], b.ClusterIds);
        foreach (var alt in new[] { Alternative.Greater, Alternative.TwoSided })
        {
            var r = Gate(b, zero, minDelta: 0.01, alt: alt);
            Assert.Equal(GateVerdict.REJECT, r.Verdict);
            Assert.Equal(GateReason.Regressed, r.Reason);
            Assert.Equal(1, r.ExitCode);
        }
    }

    [Fact]
    public void EachSuperiorityOutcome_HasItsReason()
    {
        var (b1, c1) = Shifted(400, 0.05, 0.1, 1);
        Assert.Equal(GateReason.Improved, Gate(b1, c1, minDelta: 0.01).Reason);
        var (b2, c2) = Shifted(2000, 0.01, 0.05, 2);
        var below = Gate(b2, c2, minDelta: 0.05);
        Assert.Equal((GateVerdict.REJECT, GateReason.BelowMinDelta), (below.Verdict, below.Reason));
        var (b3, c3) = Shifted(5000, 0.0, 0.05, 3);
        var nothing = Gate(b3, c3, minDelta: 0.02);
        Assert.Equal((GateVerdict.REJECT, GateReason.NotSignificant), (nothing.Verdict, nothing.Reason));
        var (b4, c4) = Shifted(40, 0.0, 0.5, 4);
        var weak = Gate(b4, c4, minDelta: 0.01);
        Assert.Equal((GateVerdict.INCONCLUSIVE, GateReason.Underpowered), (weak.Verdict, weak.Reason));
        var one = Gate(Frame("b", new[] { 0.5 }), Frame("c", new[] { 0.7 }));
        Assert.Equal((GateVerdict.INCONCLUSIVE, GateReason.TooFewPairs), (one.Verdict, one.Reason));
    }

    [Fact]
    public void EachNonInferiorityOutcome_HasItsReason()
    {
        var (b, c) = Shifted(3000, -0.002, 0.05, 7);
        var ok = Gate(b, c, decision: GateDecision.NonInferiority, margin: 0.01);
        Assert.Equal((GateVerdict.ALLOW, GateReason.NonInferior), (ok.Verdict, ok.Reason));
        Assert.True(ok.Comparison.OneSidedUpper < 0, "a small significant loss within the margin is still non-inferior");
        var (b2, c2) = Shifted(3000, -0.05, 0.05, 8);
        Assert.Equal(GateReason.Regressed, Gate(b2, c2, decision: GateDecision.NonInferiority, margin: 0.01).Reason);
        var (b3, c3) = Shifted(20, -0.005, 0.6, 9);
        Assert.Equal(GateReason.Underpowered, Gate(b3, c3, decision: GateDecision.NonInferiority, margin: 0.01).Reason);
        var (b4, c4) = Shifted(20000, -0.0098, 0.3, 10);
        var miss = Gate(b4, c4, method: InferenceMethod.PairedT, decision: GateDecision.NonInferiority, margin: 0.01);
        Assert.Equal(GateVerdict.REJECT, miss.Verdict);
        Assert.True(miss.Reason is GateReason.MarginNotMet or GateReason.Regressed);
    }

    [Fact]
    public void Explanation_QuotesTheReportedNumbers()
    {
        var (b, c) = Shifted(400, 0.05, 0.1, 1);
        var r = Gate(b, c, minDelta: 0.01, alt: Alternative.TwoSided, method: InferenceMethod.PairedT);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Contains(r.Comparison.Delta.ToString("+0.######", inv), r.Explanation, StringComparison.Ordinal);
        Assert.Contains(r.Comparison.CiLower.ToString("+0.######", inv), r.Explanation, StringComparison.Ordinal);
        Assert.Contains(r.Comparison.CiUpper.ToString("+0.######", inv), r.Explanation, StringComparison.Ordinal);
        Assert.Contains("p = " + r.Comparison.PValue.ToString("G4", inv), r.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonAndText_CarryTheReason()
    {
        var (b, c) = Shifted(400, -0.05, 0.1, 6);
        var r = Gate(b, c);
        var root = JsonDocument.Parse(GateReportJson.Serialize(r)).RootElement;
        Assert.Equal("regressed", root.GetProperty("reason").GetString());
        Assert.Equal(r.Explanation, root.GetProperty("explanation").GetString());
        Assert.True(root.GetProperty("comparison").GetProperty("one_sided_upper").GetDouble() < 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("comparison").GetProperty("limitation").ValueKind);
        Assert.Contains("Reason       Regressed: ", GateReportText.Text(r), StringComparison.Ordinal);
        Assert.Contains("reason `regressed`", GateReportText.Markdown(r), StringComparison.Ordinal);
        Assert.Contains("significantly worse than the baseline", GateReportText.Markdown(r), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryReason_HasAJsonName()
    {
        var names = Enum.GetValues<GateReason>().Select(GateReportJson.ReasonName).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.All(names, n => Assert.Matches("^[a-z_]+$", n));
    }
}
