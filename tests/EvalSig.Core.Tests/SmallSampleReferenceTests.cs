using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// CR2 / Bell-McCaffrey, the enumerated wild cluster bootstrap and the t-test power against
/// tests/data/reference/clubsandwich/reference.json (R 4.2.2: clubSandwich 0.5.8, sandwich 3.0.2,
/// pwr 1.3.0, and an enumeration written from the definition), all to 1e-9 relative.
/// </summary>
public class SmallSampleReferenceTests
{
    private const double Tolerance = 1e-9;

    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "reference", "clubsandwich", "reference.json"))).RootElement;

    public static TheoryData<string> Cr2Cases() => Names("cr2");

    public static TheoryData<string> WildCases() => Names("wild");

    [Theory]
    [MemberData(nameof(Cr2Cases))]
    public void ClusteredCr2_MatchesClubSandwich(string name)
    {
        var x = Case("cr2", name);
        var (b, c) = Frames(x);
        var two = EvalComparer.Compare(b, c, new InferenceOptions { Method = InferenceMethod.ClusteredCr2, Alternative = Alternative.TwoSided });
        var one = EvalComparer.Compare(b, c, new InferenceOptions { Method = InferenceMethod.ClusteredCr2, Alternative = Alternative.Greater });
        Assert.Equal("clustered_cr2", two.Method);
        Assert.Equal(x.GetProperty("n_clusters").GetInt32(), two.NClusters);
        Close(x.GetProperty("delta").GetDouble(), two.Delta);
        Close(x.GetProperty("se").GetDouble(), two.Se);
        Close(x.GetProperty("df").GetDouble(), two.Df);
        Close(x.GetProperty("statistic").GetDouble(), two.Statistic);
        Close(x.GetProperty("p_two_sided").GetDouble(), two.PValue);
        Close(x.GetProperty("p_one_sided").GetDouble(), one.PValue);
        Close(x.GetProperty("ci_two_sided")[0].GetDouble(), two.CiLower);
        Close(x.GetProperty("ci_two_sided")[1].GetDouble(), two.CiUpper);
        Close(x.GetProperty("ci_one_sided_lower").GetDouble(), one.CiLower);
        Close(x.GetProperty("ci_one_sided_upper").GetDouble(), one.OneSidedUpper);
    }

    [Theory]
    [MemberData(nameof(WildCases))]
    public void WildClusterBootstrap_Enumerated_MatchesAnIndependentEnumeration(string name)
    {
        var x = Case("wild", name);
        var d = x.GetProperty("d").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var (cluster, g) = Dense(x.GetProperty("cluster"));
        var weights = x.GetProperty("weights").GetString() == "webb" ? WildWeights.Webb : WildWeights.Rademacher;
        var (enumerated, draws) = WildClusterBootstrap.Plan(g, weights, 1000);
        Assert.True(enumerated);
        Assert.Equal(x.GetProperty("draws").GetInt32(), draws);
        var greater = WildClusterBootstrap.Test(d, cluster, g, 0.05, Alternative.Greater, weights, 1000, 0, null, CancellationToken.None);
        var twoSided = WildClusterBootstrap.Test(d, cluster, g, 0.05, Alternative.TwoSided, weights, 1000, 0, null, CancellationToken.None);
        Close(x.GetProperty("statistic").GetDouble(), greater.Statistic);
        Close(x.GetProperty("p_greater").GetDouble(), greater.PValue);
        Close(x.GetProperty("p_two_sided").GetDouble(), twoSided.PValue);

        // The bounds invert the same tests: the one-sided upper bound is below zero exactly when the
        // lower-tail p at zero is below alpha, the lower bound above zero exactly when p_greater is.
        Assert.Equal(x.GetProperty("p_less").GetDouble() < 0.05, greater.OneSidedUpper < 0);
        Assert.Equal(x.GetProperty("p_greater").GetDouble() < 0.05, greater.OneSidedLower > 0);

        // Enumerated results need no seed.
        var other = WildClusterBootstrap.Test(d, cluster, g, 0.05, Alternative.Greater, weights, 1000, 12345, null, CancellationToken.None);
        Assert.Equal(greater, other);
    }

    [Fact]
    public void WildClusterBootstrap_ThroughTheGate_IsExactAndSeedFree()
    {
        var x = Case("wild", "wild-g10-two-big");
        var (b, c) = Frames(x);
        var r = EvalComparer.Compare(b, c, new InferenceOptions { Method = InferenceMethod.WildClusterBootstrap, Alternative = Alternative.Greater, Seed = 99 });
        Assert.Equal("wild_cluster_bootstrap", r.Method);
        Close(x.GetProperty("p_greater").GetDouble(), r.PValue);
        Assert.Equal(1024, r.Resamples);
        Assert.Null(r.Seed);
        Assert.Contains(r.Notes, n => n.Contains("all 1024 weight vectors", StringComparison.Ordinal));
    }

    [Fact]
    public void TTestPower_MatchesPwr()
    {
        foreach (var x in Root.GetProperty("planning").EnumerateArray())
        {
            var d = x.GetProperty("d").GetDouble();
            var power = x.GetProperty("power").GetDouble();
            var alpha = x.GetProperty("alpha").GetDouble();
            var n = x.GetProperty("n").GetDouble();
            var alt = x.GetProperty("alternative").GetString() == "greater" ? Alternative.Greater : Alternative.TwoSided;
            Close(x.GetProperty("power_at_n").GetDouble(), TTestPower.Power(d, n, alpha, alt));
            Close(x.GetProperty("required_n").GetDouble(), TTestPower.RequiredN(d, alpha, power, alt));
            Close(x.GetProperty("detectable_d").GetDouble(), TTestPower.DetectableEffect(n, alpha, power, alt));

            // pwr.t.test's own answers come from uniroot at its default tolerance (about 1e-4).
            Assert.InRange(TTestPower.RequiredN(d, alpha, power, alt) / x.GetProperty("pwr_required_n").GetDouble(), 1 - 1e-4, 1 + 1e-4);

            var design = PowerAnalysis.FromDesign(1.0, null, alpha, power, alt, targetMde: d);
            Assert.Equal((long)Math.Ceiling(x.GetProperty("required_n").GetDouble()), design.RequiredN);
        }
    }

    [Fact]
    public void ClusteredDesign_PlansWithClusterLevelDf()
    {
        foreach (var x in Root.GetProperty("clustered_planning").EnumerateArray())
        {
            var alt = x.GetProperty("alternative").GetString() == "greater" ? Alternative.Greater : Alternative.TwoSided;
            var e = PowerAnalysis.FromDesign(x.GetProperty("std_dev").GetDouble(), x.GetProperty("n").GetInt32(), x.GetProperty("alpha").GetDouble(), x.GetProperty("power").GetDouble(), alt, x.GetProperty("icc").GetDouble(), x.GetProperty("cluster_size").GetDouble());
            Close(x.GetProperty("df").GetDouble(), e.Df);
            Close(x.GetProperty("se").GetDouble(), e.Se);
            Close(x.GetProperty("design_effect").GetDouble(), e.DesignEffect);
            Close(x.GetProperty("mde").GetDouble(), e.Mde);
            Close(x.GetProperty("clusters").GetDouble(), e.Clusters!.Value);
            Close(x.GetProperty("power_at_mde_times_1_2").GetDouble(), TTestPower.PowerAt(1.2 * e.Mde / e.Se, e.Df, 0.05, alt));
        }
    }

    private static TheoryData<string> Names(string block)
    {
        var data = new TheoryData<string>();
        foreach (var c in Root.GetProperty(block).EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static JsonElement Case(string block, string name)
        => Root.GetProperty(block).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    /// <summary>Baseline 0 everywhere, candidate d: the paired differences are d exactly.</summary>
    private static (RunFrame B, RunFrame C) Frames(JsonElement x)
    {
        var d = x.GetProperty("d").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var clusters = x.GetProperty("cluster").EnumerateArray().Select(v => "c" + v.GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray<string?>();
        var ids = d.Select((_, i) => "i" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (RunFrame.Create("b", "m", "t", "acc", ids, new double[d.Length], clusters), RunFrame.Create("c", "m", "t", "acc", ids, d, clusters));
    }

    private static (int[] Cluster, int Count) Dense(JsonElement labels)
    {
        var map = new System.Collections.Generic.Dictionary<int, int>();
        var cluster = labels.EnumerateArray().Select(v => map.TryGetValue(v.GetInt32(), out var k) ? k : map[v.GetInt32()] = map.Count).ToArray();
        return (cluster, map.Count);
    }

    private static void Close(double expected, double actual, double tolerance = Tolerance)
    {
        var err = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(err <= tolerance, $"expected {expected:R}, got {actual:R} (relative error {err:E2})");
    }
}
