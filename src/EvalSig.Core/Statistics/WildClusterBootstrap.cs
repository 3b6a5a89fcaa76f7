using System;
using System.Threading;
using System.Threading.Tasks;

namespace EvalSig.Core.Statistics;

/// <summary>The weights a wild cluster bootstrap multiplies each cluster's residuals by.</summary>
internal enum WildWeights
{
    /// <summary>+1 or -1 with probability 1/2 each (2^G distinct weight vectors).</summary>
    Rademacher,

    /// <summary>
    /// Webb's six-point distribution, +-sqrt(1/2), +-1, +-sqrt(3/2) with probability 1/6 each
    /// (Webb 2023, "Reworking wild bootstrap-based inference for clustered errors", Can. J. Econ.):
    /// 6^G vectors, so p-values are far less discrete than Rademacher's when G is small.
    /// </summary>
    Webb,
}

/// <summary>
/// Wild cluster bootstrap-t with the null imposed (WCR; Cameron, Gelbach &amp; Miller 2008; Roodman,
/// MacKinnon, Nielsen &amp; Webb 2019, "Fast and wild", Stata J.) for the mean of the paired differences.
/// Under H0: delta = delta0 the restricted residuals are r_i = d_i - delta0; a bootstrap sample is
/// d*_i = delta0 + w_g r_i with one weight per cluster, and its statistic t* is the CR1 t of d*
/// against delta0. Everything depends on the data only through the cluster sums S_g and sizes n_g,
/// and for each weight vector w, t*(delta0) = (A - delta0 B) / (c sqrt(P0 - 2 delta0 P1 + delta0^2 P2))
/// with A = sum w_g S_g, B = sum w_g n_g and P0, P1, P2 the sums of squares and products of
/// alpha_g = w_g S_g - n_g A / n and beta_g = w_g n_g - n_g B / n (c = sqrt(G / (G - 1))). So the five
/// numbers per draw are computed once, in O(G), and every later test of any delta0 costs O(1) per draw:
/// the confidence bounds come from inverting the test (bisection on delta0) at no extra resampling.
/// When there are at most max(R, 8,000) weight vectors, all of them are enumerated: the p-value is then
/// exact (with Rademacher weights, an exact randomization test under sign-symmetric cluster sums) and
/// does not depend on the seed.
/// </summary>
internal static class WildClusterBootstrap
{
    /// <summary>Enumerate every weight vector when there are at most max(R, this) of them.</summary>
    public const int MinEnumerationLimit = 8_000;

    private const ulong WildStream = 4;
    private const int Chunk = 64;

    private static readonly double[] WebbPoints =
    {
        -Math.Sqrt(1.5), -1, -Math.Sqrt(0.5), Math.Sqrt(0.5), 1, Math.Sqrt(1.5),
    };

    /// <summary>
    /// Rademacher weights whenever their exact enumeration can reach p &lt; alpha (G &gt;= 5 one-sided,
    /// G &gt;= 6 two-sided at alpha 0.05): the test is then an exact randomization test. Below that,
    /// Webb's six-point weights, whose p-values can fall below alpha with 3 or 4 clusters but are only
    /// approximate (docs/methodology.md: up to 6.5% at 4 clusters).
    /// </summary>
    public static WildWeights DefaultWeights(int clusterCount, double alpha, Alternative alt)
        => clusterCount >= Gating.SampleLimits.MinUnitsForSignFlip(alpha, alt) ? WildWeights.Rademacher : WildWeights.Webb;

    /// <summary>Whether all weight vectors are enumerated for G clusters, and how many draws are used.</summary>
    public static (bool Enumerated, int Draws) Plan(int clusterCount, WildWeights weights, int resamples)
    {
        var limit = Math.Max(resamples, MinEnumerationLimit);
        var points = weights == WildWeights.Rademacher ? 2.0 : 6.0;
        var count = Math.Pow(points, clusterCount);
        return count <= limit ? (true, (int)Math.Round(count)) : (false, resamples);
    }

    /// <summary>The smallest p-value the test can give: one draw (the identity, always at least as extreme) out of all.</summary>
    public static double SmallestP(int clusterCount, WildWeights weights, int resamples, Alternative alt)
    {
        var (enumerated, draws) = Plan(clusterCount, weights, resamples);
        var one = enumerated ? 1.0 / draws : 1.0 / (draws + 1.0);

        // Rademacher's vectors come in pairs w, -w with t* of opposite sign: two-sided, both count.
        return alt == Alternative.TwoSided && weights == WildWeights.Rademacher && enumerated ? 2 * one : one;
    }

    public static TestResult Test(double[] d, int[] cluster, int clusterCount, double alpha, Alternative alt, WildWeights weights, int resamples, long seed, IProgress<double>? progress, CancellationToken cancel, bool bounds = true)
    {
        var g = clusterCount;
        var n = d.Length;
        var delta = Summation.Mean(d);
        var sums = new double[g];
        var sizes = new double[g];
        for (var i = 0; i < n; i++)
        {
            sums[cluster[i]] += d[i];
            sizes[cluster[i]]++;
        }

        var se = AnalyticTests.ClusteredSe(d, cluster, g);
        var c = Math.Sqrt(g / (g - 1.0));
        var (enumerated, draws) = Plan(g, weights, resamples);
        var stats = Draws(sums, sizes, n, weights, enumerated, draws, seed, progress, cancel);
        var test = new Inverter(stats, delta, se, c, enumerated);

        var p = alt == Alternative.Greater ? test.UpperP(0) : test.TwoSidedP(0);
        var t = se > 0 ? delta / se : double.NaN;
        if (!bounds)
        {
            return new TestResult(delta, se, double.NaN, t, p, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var oneSidedLower = test.LowerBound(alpha);
        var oneSidedUpper = test.UpperBound(alpha);
        return alt == Alternative.Greater
            ? new TestResult(delta, se, double.NaN, t, p, oneSidedLower, double.PositiveInfinity, oneSidedLower, oneSidedUpper)
            : new TestResult(delta, se, double.NaN, t, p, test.LowerBound(alpha / 2), test.UpperBound(alpha / 2), oneSidedLower, oneSidedUpper);
    }

    /// <summary>Per draw: A, B, P0, P1, P2 (see the class comment), in draw order.</summary>
    private static double[] Draws(double[] sums, double[] sizes, int n, WildWeights weights, bool enumerated, int draws, long seed, IProgress<double>? progress, CancellationToken cancel)
    {
        var g = sums.Length;
        var share = new double[g];
        for (var j = 0; j < g; j++)
        {
            share[j] = sizes[j] / n;
        }

        var stats = new double[draws * 5];
        var chunks = (draws + Chunk - 1) / Chunk;
        var done = 0;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = Resampling.MaxParallelism }, k =>
        {
            var w = new double[g];
            var digits = new int[g];
            var end = Math.Min(draws, (k + 1) * Chunk);
            for (var r = k * Chunk; r < end; r++)
            {
                if (enumerated)
                {
                    Enumerate(w, digits, r, r == k * Chunk, weights);
                }
                else
                {
                    Draw(w, r, weights, seed);
                }

                double a = 0, b = 0;
                for (var j = 0; j < g; j++)
                {
                    a += w[j] * sums[j];
                    b += w[j] * sizes[j];
                }

                double p0 = 0, p1 = 0, p2 = 0;
                for (var j = 0; j < g; j++)
                {
                    var al = (w[j] * sums[j]) - (share[j] * a);
                    var be = (w[j] * sizes[j]) - (share[j] * b);
                    p0 += al * al;
                    p1 += al * be;
                    p2 += be * be;
                }

                var o = r * 5;
                (stats[o], stats[o + 1], stats[o + 2], stats[o + 3], stats[o + 4]) = (a, b, p0, p1, p2);
            }

            cancel.ThrowIfCancellationRequested();
            var finished = Interlocked.Add(ref done, end - (k * Chunk));
            progress?.Report(finished / (double)draws);
        });
        return stats;
    }

    /// <summary>
    /// Weight vector number r of all 2^G (or 6^G): its digits in base 2 (or 6). The first vector of a
    /// chunk is decoded from r, the following ones by counting up like an odometer.
    /// </summary>
    private static void Enumerate(double[] w, int[] digits, long r, bool first, WildWeights weights)
    {
        var radix = weights == WildWeights.Rademacher ? 2 : 6;
        if (first)
        {
            var rest = r;
            for (var j = 0; j < w.Length; j++)
            {
                digits[j] = (int)(rest % radix);
                rest /= radix;
                w[j] = Point(digits[j], weights);
            }

            return;
        }

        for (var j = 0; j < w.Length; j++)
        {
            if (++digits[j] < radix)
            {
                w[j] = Point(digits[j], weights);
                return;
            }

            digits[j] = 0;
            w[j] = Point(0, weights);
        }
    }

    private static double Point(int digit, WildWeights weights)
        => weights == WildWeights.Rademacher ? (digit == 0 ? 1 : -1) : WebbPoints[(digit + 3) % 6];

    /// <summary>A seeded random weight vector, from its own generator per draw (identical on any number of cores).</summary>
    private static void Draw(double[] w, long r, WildWeights weights, long seed)
    {
        var rng = Rng.ForResample(seed, WildStream, r);
        if (weights == WildWeights.Rademacher)
        {
            for (var j = 0; j < w.Length; j += 64)
            {
                var bits = rng.Next();
                var m = Math.Min(64, w.Length - j);
                for (var k = 0; k < m; k++)
                {
                    w[j + k] = ((bits >> k) & 1) == 0 ? 1 : -1;
                }
            }
        }
        else
        {
            for (var j = 0; j < w.Length; j++)
            {
                w[j] = WebbPoints[rng.NextIndex(6)];
            }
        }
    }

    /// <summary>Tests H0: delta = delta0 for any delta0 from the stored draws, and inverts the tests into bounds.</summary>
    private sealed class Inverter
    {
        private readonly double[] _stats;
        private readonly double _delta;
        private readonly double _se;
        private readonly double _c;
        private readonly bool _enumerated;
        private readonly int _draws;

        public Inverter(double[] stats, double delta, double se, double c, bool enumerated)
            => (_stats, _delta, _se, _c, _enumerated, _draws) = (stats, delta, se, c, enumerated, stats.Length / 5);

        /// <summary>P(t* &gt;= t) for H1: delta &gt; delta0.</summary>
        public double UpperP(double delta0) => P(delta0, +1);

        /// <summary>P(t* &lt;= t) for H1: delta &lt; delta0.</summary>
        public double LowerP(double delta0) => P(delta0, -1);

        /// <summary>P(|t*| &gt;= |t|).</summary>
        public double TwoSidedP(double delta0) => P(delta0, 0);

        /// <summary>The one-sided (1 - a) lower bound: the smallest delta0 the upper-tail test does not reject at a.</summary>
        public double LowerBound(double a) => Bound(a, -1);

        /// <summary>The one-sided (1 - a) upper bound: the largest delta0 the lower-tail test does not reject at a.</summary>
        public double UpperBound(double a) => Bound(a, +1);

        private double T(double delta0) => (_delta - delta0) / _se;

        private double P(double delta0, int tail)
        {
            var t = _se > 0 ? T(delta0) : _delta == delta0 ? 0 : Math.CopySign(double.PositiveInfinity, _delta - delta0);
            var tol = 1e-10 * Math.Max(1, Math.Abs(t));
            long k = 0;
            for (var r = 0; r < _draws; r++)
            {
                var o = r * 5;
                var num = _stats[o] - (delta0 * _stats[o + 1]);
                var q = _stats[o + 2] - (2 * delta0 * _stats[o + 3]) + (delta0 * delta0 * _stats[o + 4]);
                var star = q > 0 ? num / (_c * Math.Sqrt(q)) : num == 0 ? 0 : Math.CopySign(double.PositiveInfinity, num);
                var extreme = tail switch
                {
                    > 0 => star >= t - tol,
                    < 0 => star <= t + tol,
                    _ => Math.Abs(star) >= Math.Abs(t) - tol,
                };
                if (extreme)
                {
                    k++;
                }
            }

            // Enumerated: the exact share (the identity vector always counts). Sampled: (k + 1) / (R + 1).
            return _enumerated ? k / (double)_draws : (k + 1.0) / (_draws + 1.0);
        }

        /// <summary>
        /// Bisection on delta0 for the point where the one-sided test's p crosses a. Infinite when even
        /// a delta0 far away is not rejected (too few weight vectors for this level).
        /// </summary>
        private double Bound(double a, int side)
        {
            if (!(_se > 0))
            {
                return _delta;
            }

            Func<double, double> p = side < 0 ? UpperP : LowerP;
            double inside = _delta, outside = _delta + (side * 2 * _se);
            var step = 2 * _se;
            for (var i = 0; p(outside) > a; i++)
            {
                if (i >= 60)
                {
                    return side < 0 ? double.NegativeInfinity : double.PositiveInfinity;
                }

                inside = outside;
                step *= 2;
                outside = _delta + (side * step);
            }

            for (var i = 0; i < 200 && Math.Abs(outside - inside) > 1e-12 * Math.Max(_se, Math.Abs(_delta)); i++)
            {
                var mid = 0.5 * (inside + outside);
                if (p(mid) > a)
                {
                    inside = mid;
                }
                else
                {
                    outside = mid;
                }
            }

            return 0.5 * (inside + outside);
        }
    }
}
