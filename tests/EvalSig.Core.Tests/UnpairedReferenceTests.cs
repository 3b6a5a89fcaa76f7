using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Welch's t and Newcombe's interval against scipy/statsmodels values in tests/data/reference/unpaired.json.</summary>
public class UnpairedReferenceTests
{
    private const double Tol = 1e-9;

    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "reference", "unpaired.json"))).RootElement;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Root.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()! + "|" + c.GetProperty("method").GetString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unpaired_MatchesScipyAndStatsmodels(string key)
    {
        var c = Root.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() + "|" + x.GetProperty("method").GetString() == key);
        var (baseline, candidate) = Frames(c);
        foreach (var alt in new[] { Alternative.Greater, Alternative.TwoSided })
        {
            var r = EvalComparer.Compare(baseline, candidate, new InferenceOptions { Method = InferenceMethod.Auto, Alternative = alt });
            Assert.True(r.Unpaired);
            Assert.Equal(c.GetProperty("method").GetString(), r.Method);
            Close(c.GetProperty("delta").GetDouble(), r.Delta);
            Close(c.GetProperty(alt == Alternative.Greater ? "p_greater" : "p_two_sided").GetDouble(), r.PValue);
            Close(c.GetProperty("one_sided_lower").GetDouble(), r.OneSidedLower);
            if (alt == Alternative.TwoSided)
            {
                Close(c.GetProperty("ci_two_sided")[0].GetDouble(), r.CiLower);
                Close(c.GetProperty("ci_two_sided")[1].GetDouble(), r.CiUpper);
            }

            if (r.Method == "welch_t")
            {
                Close(c.GetProperty("se").GetDouble(), r.Se);
                Close(c.GetProperty("df").GetDouble(), r.Df);
                Close(c.GetProperty("t").GetDouble(), r.Statistic);
            }

            Assert.Contains(r.Notes, n => n.Contains("less powerful than a paired comparison", StringComparison.Ordinal));
            Assert.Contains(r.Notes, n => n.StartsWith("auto: the runs share no item_id", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ExplicitWelch_OnRunsThatShareItems_UsesAllItemsOfEachRun()
    {
        var c = Root.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == "equal-n-normal");
        var b = c.GetProperty("baseline").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var k = c.GetProperty("candidate").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var ids = Enumerable.Range(0, b.Length).Select(i => "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var r = EvalComparer.Compare(RunFrame.Create("b", "m", "t", "s", ids, b), RunFrame.Create("c", "m", "t", "s", ids, k), new InferenceOptions { Method = InferenceMethod.WelchT, Alternative = Alternative.TwoSided });
        Assert.True(r.Unpaired);
        Close(c.GetProperty("p_two_sided").GetDouble(), r.PValue);
        Assert.DoesNotContain(r.Notes, n => n.StartsWith("auto:", StringComparison.Ordinal));
    }

    [Fact]
    public void Newcombe_OnNonBinaryScores_IsNotApplicable()
    {
        var ex = Assert.Throws<Diagnostics.EvalSigException>(() => EvalComparer.Compare(
            RunFrame.Create("b", "m", "t", "s", new[] { "a", "b" }, new[] { 0.5, 1 }),
            RunFrame.Create("c", "m", "t", "s", new[] { "x", "y" }, new[] { 0.0, 1 }),
            new InferenceOptions { Method = InferenceMethod.Newcombe }));
        Assert.Equal(Diagnostics.EvalSigError.MethodNotApplicable, ex.Error);
    }

    [Fact]
    public void Gate_OnRunsWithoutSharedItems_SaysUnpairedInTheReport()
    {
        var c = Root.GetProperty("cases").EnumerateArray().First(x => x.GetProperty("name").GetString() == "large");
        var (b, k) = Frames(c);
        var report = EvalGate.Decide(b, k, new GateOptions());
        Assert.Equal(GateVerdict.ALLOW, report.Verdict);
        Assert.Equal("newcombe", report.Comparison.Method);
        var json = JsonDocument.Parse(GateReportJson.Serialize(report)).RootElement.GetProperty("comparison");
        Assert.False(json.GetProperty("paired").GetBoolean());
        Assert.Equal(10000, json.GetProperty("n_baseline").GetInt32());
        Assert.Contains("unpaired", GateReportText.Text(report), StringComparison.Ordinal);
    }

    private static (RunFrame Baseline, RunFrame Candidate) Frames(JsonElement c)
    {
        double[] b, k;
        if (c.GetProperty("method").GetString() == "welch_t")
        {
            b = c.GetProperty("baseline").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            k = c.GetProperty("candidate").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        }
        else
        {
            b = Binary(c.GetProperty("baseline_successes").GetInt32(), c.GetProperty("baseline_n").GetInt32());
            k = Binary(c.GetProperty("candidate_successes").GetInt32(), c.GetProperty("candidate_n").GetInt32());
        }

        // Disjoint item ids: a benchmark revised between releases.
        return (RunFrame.Create("base", "m", "t", "s", b.Select((_, i) => "old-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), b),
                RunFrame.Create("cand", "m", "t", "s", k.Select((_, i) => "new-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), k));
    }

    private static double[] Binary(int successes, int n) => Enumerable.Range(0, n).Select(i => i < successes ? 1.0 : 0.0).ToArray();

    private static void Close(double expected, double actual)
    {
        var tol = Tol * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol, $"expected {expected:R}, got {actual:R} (diff {Math.Abs(expected - actual):G3})");
    }
}
