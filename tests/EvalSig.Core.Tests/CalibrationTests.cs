using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// A seeded slice of the validation study (docs/methodology.md) that runs in CI: under true nulls, how
/// often the gate says ALLOW (Auto, min-delta 0). Each cell's bound is the count that a correctly
/// calibrated method (true rate exactly alpha = 5%) exceeds with probability at most 1 in 1,000 -
/// the documented false-alarm rate per cell, about 0.6% for the whole test. The data are seeded, so the
/// test is deterministic; the bound only says how unlucky a calibrated gate would have to be to fail.
/// A detector check proves the bound has teeth: the percentile cluster bootstrap, which the study
/// shows over-rejecting with ten unequal clusters, exceeds it.
/// </summary>
public class CalibrationTests
{
    private const int Sims = 1000;
    private const double Alpha = 0.05;
    private const double FalseAlarm = 0.001;

    /// <summary>The smallest K with P(Binomial(Sims, alpha) &gt; K) &lt;= FalseAlarm.</summary>
    private static readonly int Bound = Enumerable.Range(0, Sims).First(k => 1 - MathNet.Numerics.Distributions.Binomial.CDF(Alpha, Sims, k) <= FalseAlarm);

    public static TheoryData<string, int[], double, bool, Alternative> NullCells() => new()
    {
        { "continuous", Unequal(10, 4), 0.3, false, Alternative.Greater },
        { "continuous", Unequal(10, 4), 0.3, false, Alternative.TwoSided },
        { "binary", Enumerable.Repeat(40, 5).ToArray(), 0.6, true, Alternative.Greater },
        { "binary", Unequal(30, 2), 0.3, true, Alternative.Greater },
        { "continuous", Unequal(60, 2), 0.6, false, Alternative.Greater },
        { "continuous", Array.Empty<int>(), 0, false, Alternative.Greater },
    };

    [Theory]
    [MemberData(nameof(NullCells))]
    public void Auto_UnderTheNull_AllowsAtMostAlpha(string name, int[] sizes, double icc, bool binary, Alternative alt)
    {
        var allowed = Count(InferenceMethod.Auto, sizes, icc, binary, alt, seed: name.Length + sizes.Length);
        Assert.True(allowed <= Bound, $"{name}, {sizes.Length} clusters: ALLOW {allowed} times in {Sims} nulls, bound {Bound}");
    }

    [Fact]
    public void Bound_DetectsAnUncalibratedMethod()
    {
        var rejected = Count(InferenceMethod.ClusterBootstrap, Unequal(10, 4), 0.3, binary: false, Alternative.Greater, seed: 7, raw: true);
        Assert.True(rejected > Bound, $"the percentile cluster bootstrap rejected {rejected} of {Sims} nulls; the bound {Bound} should catch it");
    }

    /// <summary>ceil(G/5) clusters of 20 m items and the rest of m: the study's 20:1 design.</summary>
    private static int[] Unequal(int g, int m)
    {
        var big = (int)Math.Ceiling(g / 5.0);
        return Enumerable.Range(0, g).Select(i => i < big ? 20 * m : m).ToArray();
    }

    /// <summary>How often the method rejects (Auto: the gate's Significant, i.e. ALLOW at min-delta 0; raw: p &lt; alpha).</summary>
    private static int Count(InferenceMethod method, int[] sizes, double icc, bool binary, Alternative alt, int seed, bool raw = false)
    {
        var n = sizes.Length == 0 ? 12 : sizes.Sum();
        var cluster = sizes.SelectMany((m, g) => Enumerable.Repeat(g, m)).ToArray();
        var rng = new Random(seed);
        var d = new double[n];
        var b = new double[n];
        var c = new double[n];
        var tau = MathNet.Numerics.Distributions.Normal.InvCDF(0, 1, 0.8);
        var count = 0;
        for (var s = 0; s < Sims; s++)
        {
            var u = sizes.Select(_ => Math.Sqrt(icc) * Gaussian(rng)).ToArray();
            for (var i = 0; i < n; i++)
            {
                var z = (sizes.Length == 0 ? 0 : u[cluster[i]]) + (Math.Sqrt(1 - icc) * Gaussian(rng));
                if (binary)
                {
                    (b[i], c[i]) = z > tau ? (0, 1) : z < -tau ? (1, 0) : (i % 2, i % 2);
                }
                else
                {
                    (b[i], c[i]) = (0.5, 0.5 + z);
                }

                d[i] = c[i] - b[i];
            }

            var paired = new PairedRuns
            {
                Baseline = b,
                Candidate = c,
                Differences = d,
                Cluster = sizes.Length == 0 ? null : cluster,
                ClusterCount = sizes.Length,
                ClusterKey = sizes.Length == 0 ? null : "cluster_id",
                DataHasClusters = sizes.Length > 0,
                Notes = new List<string>(),
            };
            var options = new InferenceOptions { Method = method, Alternative = alt, Alpha = Alpha, Resamples = 1999, Seed = s, PValuesOnly = true };
            var r = EvalComparer.Compare(paired, options, null, CancellationToken.None);
            if (raw ? r.PValue < Alpha && (alt != Alternative.Greater || r.Delta > 0) : r.Significant)
            {
                count++;
            }
        }

        return count;
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
