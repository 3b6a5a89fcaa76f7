using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Release;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Holm, Benjamini-Hochberg and Bonferroni against R's p.adjust (tests/data/multitest, made by p_adjust.R).</summary>
public class PValueAdjustmentTests
{
    internal static JsonElement Reference() => JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "multitest", "p_adjust.json"))).RootElement;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var v in Reference().EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
        {
            foreach (var method in new[] { "holm", "BH", "bonferroni" })
            {
                data.Add(v.Name, method);
            }
        }

        return data;
    }

    internal static MultipleTestingCorrection Correction(string rName) => rName switch
    {
        "holm" => MultipleTestingCorrection.Holm,
        "BH" => MultipleTestingCorrection.BenjaminiHochberg,
        _ => MultipleTestingCorrection.Bonferroni,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Adjust_MatchesRsPAdjust(string vector, string method)
    {
        var v = Reference().GetProperty(vector);
        var p = v.GetProperty("p").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var expected = v.GetProperty(method).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var actual = PValueAdjustment.Adjust(p, Correction(method));
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // p_adjust.json carries 15 significant digits.
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-13 * Math.Max(1e-300, Math.Abs(expected[i])) + 1e-300, $"{vector} {method} [{i}]: {actual[i]:R} vs R {expected[i]:R}");
        }
    }

    [Fact]
    public void Adjust_KeepsNaN_AndCountsItAsOneInTheFamily()
    {
        var adjusted = PValueAdjustment.Adjust(new[] { 0.01, double.NaN }, MultipleTestingCorrection.Bonferroni);
        Assert.Equal(0.02, adjusted[0], 15);
        Assert.True(double.IsNaN(adjusted[1]));
        Assert.Equal(new[] { 0.01, 0.04 }, PValueAdjustment.Adjust(new[] { 0.01, 0.04 }, MultipleTestingCorrection.None));
    }

    [Fact]
    public void Adjust_RejectsAPValueOutsideZeroOne()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PValueAdjustment.Adjust(new[] { 1.5 }, MultipleTestingCorrection.Holm));
}
