using System;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class PowerTests
{
    // R: pwr.t.test(d = d, power = 0.8, sig.level = 0.05, type = "paired", alternative = alt)$n
    [Theory]
    [InlineData(0.5, "two.sided", 33.36713)]
    [InlineData(0.5, "greater", 26.13753)]
    [InlineData(0.2, "two.sided", 198.1508)]
    [InlineData(0.3, "two.sided", 89.14938)]
    public void RequiredN_MatchesPwrTTest(double d, string alt, double expected)
    {
        var n = TTestPower.RequiredN(d, 0.05, 0.8, alt == "greater" ? Alternative.Greater : Alternative.TwoSided);
        Assert.True(Math.Abs(n - expected) / expected < 0.01, $"n = {n}, pwr says {expected}");
    }

    [Fact]
    public void Mde_FromDesign_IsTheEffectWhoseRequiredNIsN()
    {
        var e = PowerAnalysis.FromDesign(stdDev: 0.4, n: 60, alpha: 0.05, power: 0.8, alt: Alternative.TwoSided);
        var back = TTestPower.RequiredN(e.Mde / 0.4, 0.05, 0.8, Alternative.TwoSided);
        Assert.Equal(60, back, 6);
        Assert.True(e.Mde > e.MdeNormal, "the t-based MDE exceeds the normal approximation at small n");
    }

    [Fact]
    public void DesignEffect_ScalesRequiredItems_AndClusterDfAddALittleMore()
    {
        var flat = PowerAnalysis.FromDesign(0.5, 1000, 0.05, 0.8, Alternative.TwoSided, targetMde: 0.05);
        var clustered = PowerAnalysis.FromDesign(0.5, 1000, 0.05, 0.8, Alternative.TwoSided, icc: 0.1, clusterSize: 11, targetMde: 0.05);
        Assert.Equal(2.0, clustered.DesignEffect, 12);

        // Twice the items for the design effect, and a few more because the test has G - 1 df
        // (about 143 here) rather than n_eff - 1 (about 790).
        var ratio = clustered.RequiredN!.Value / (2.0 * flat.RequiredN!.Value);
        Assert.InRange(ratio, 1.0, 1.02);
        Assert.Equal((long)Math.Ceiling(clustered.RequiredN.Value / 11.0), clustered.RequiredClusters);
    }

    [Fact]
    public void Power_AtLargeN_ConvergesToTheNormalFormula()
    {
        var e = PowerAnalysis.FromDesign(0.5, 100_000, 0.05, 0.8, Alternative.Greater);
        Assert.True(Math.Abs(e.Mde - e.MdeNormal) / e.MdeNormal < 1e-4);
    }

    [Fact]
    public void InvalidInputs_HaveTheirOwnErrorIds()
    {
        Assert.Equal(Diagnostics.EvalSigError.InvalidPowerInput, Assert.Throws<Diagnostics.EvalSigException>(() => PowerAnalysis.FromDesign(-1, 10, 0.05, 0.8, Alternative.Greater)).Error);
        Assert.Equal(Diagnostics.EvalSigError.InvalidAlpha, Assert.Throws<Diagnostics.EvalSigException>(() => PowerAnalysis.FromDesign(1, 10, 1.5, 0.8, Alternative.Greater)).Error);
        Assert.Equal(Diagnostics.EvalSigError.InvalidPower, Assert.Throws<Diagnostics.EvalSigException>(() => PowerAnalysis.FromDesign(1, 10, 0.05, 0, Alternative.Greater)).Error);
    }
}
