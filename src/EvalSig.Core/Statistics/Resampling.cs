using System;
using System.Threading;
using System.Threading.Tasks;

namespace EvalSig.Core.Statistics;

/// <summary>
/// Paired bootstrap, sign-flip permutation and cluster bootstrap. Every resample draws from its
/// own generator (seed, method, index), and the resamples are spread over cores in fixed chunks,
/// so a seed gives bit-identical results on any machine.
/// </summary>
internal static class Resampling
{
    private const ulong BootstrapStream = 1;
    private const ulong PermutationStream = 2;
    private const ulong ClusterStream = 3;
    private const int Chunk = 64;

    /// <summary>Caps the cores used (tests prove results do not depend on it); -1 means all.</summary>
    internal static int MaxParallelism { get; set; } = -1;

    /// <summary>Percentile CI; p from the bootstrap distribution centred on delta, floored at 1/(R+1).</summary>
    public static TestResult PairedBootstrap(double[] d, double alpha, Alternative alt, int resamples, long seed, IProgress<double>? progress, CancellationToken cancel)
    {
        var delta = Summation.Mean(d);
        var boot = BootstrapMeans(d, resamples, seed, progress, cancel);
        return FromDistribution(delta, boot, alpha, alt, CentredP(boot, delta, alt));
    }

    /// <summary>Random sign flips of d: p = (k + 1)/(R + 1); the CI comes from the paired bootstrap.</summary>
    public static TestResult PairedPermutation(double[] d, double alpha, Alternative alt, int resamples, long seed, IProgress<double>? progress, CancellationToken cancel)
    {
        var delta = Summation.Mean(d);
        var n = d.Length;
        var half = progress is null ? null : new ScaledProgress(progress, 0, 0.5);
        var flips = Run(resamples, r =>
        {
            var rng = Rng.ForResample(seed, PermutationStream, r);
            double s = 0;
            for (var i = 0; i < n; i += 64)
            {
                var bits = rng.Next();
                var m = Math.Min(64, n - i);
                for (var j = 0; j < m; j++)
                {
                    // Flip the sign bit of d[i+j] when bit j is set.
                    s += BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(d[i + j]) ^ (long)((bits >> j) << 63));
                }
            }

            return s / n;
        }, half, cancel);

        var tol = Tolerance(delta);
        long k = 0;
        foreach (var f in flips)
        {
            if (alt == Alternative.Greater ? f >= delta - tol : Math.Abs(f) >= Math.Abs(delta) - tol)
            {
                k++;
            }
        }

        var p = (k + 1.0) / (resamples + 1.0);
        var rest = progress is null ? null : new ScaledProgress(progress, 0.5, 0.5);
        var boot = BootstrapMeans(d, resamples, seed, rest, cancel);
        return FromDistribution(delta, boot, alpha, alt, p);
    }

    /// <summary>
    /// Whole clusters resampled with replacement; each resample's mean is sum of the drawn
    /// clusters' sums over the sum of their sizes, O(G) per resample.
    /// </summary>
    public static TestResult ClusterBootstrap(double[] d, int[] cluster, int clusterCount, double alpha, Alternative alt, int resamples, long seed, IProgress<double>? progress, CancellationToken cancel)
    {
        var delta = Summation.Mean(d);
        var sums = new double[clusterCount];
        var sizes = new long[clusterCount];
        for (var i = 0; i < d.Length; i++)
        {
            sums[cluster[i]] += d[i];
            sizes[cluster[i]]++;
        }

        var g = clusterCount;
        var boot = Run(resamples, r =>
        {
            var rng = Rng.ForResample(seed, ClusterStream, r);
            double s = 0;
            long m = 0;
            for (var i = 0; i < g; i++)
            {
                var c = rng.NextIndex(g);
                s += sums[c];
                m += sizes[c];
            }

            return s / m;
        }, progress, cancel);
        return FromDistribution(delta, boot, alpha, alt, CentredP(boot, delta, alt));
    }

    private static double[] BootstrapMeans(double[] d, int resamples, long seed, IProgress<double>? progress, CancellationToken cancel)
    {
        var n = d.Length;
        return Run(resamples, r =>
        {
            var rng = Rng.ForResample(seed, BootstrapStream, r);
            double s = 0;
            for (var i = 0; i < n; i++)
            {
                s += d[rng.NextIndex(n)];
            }

            return s / n;
        }, progress, cancel);
    }

    private static double[] Run(int resamples, Func<long, double> one, IProgress<double>? progress, CancellationToken cancel)
    {
        var results = new double[resamples];
        var chunks = (resamples + Chunk - 1) / Chunk;
        var done = 0;
        Parallel.For(0, chunks, new ParallelOptions { CancellationToken = cancel, MaxDegreeOfParallelism = MaxParallelism }, c =>
        {
            var end = Math.Min(resamples, (c + 1) * Chunk);
            for (var r = c * Chunk; r < end; r++)
            {
                results[r] = one(r);
            }

            cancel.ThrowIfCancellationRequested();
            var finished = Interlocked.Add(ref done, end - (c * Chunk));
            progress?.Report(finished / (double)resamples);
        });
        return results;
    }

    private static double CentredP(double[] boot, double delta, Alternative alt)
    {
        var tol = Tolerance(delta);
        long k = 0;
        foreach (var b in boot)
        {
            var centred = b - delta;
            if (alt == Alternative.Greater ? centred >= delta - tol : Math.Abs(centred) >= Math.Abs(delta) - tol)
            {
                k++;
            }
        }

        return Math.Max(k / (double)boot.Length, 1.0 / (boot.Length + 1));
    }

    private static TestResult FromDistribution(double delta, double[] boot, double alpha, Alternative alt, double p)
    {
        var sorted = (double[])boot.Clone();
        Array.Sort(sorted);
        var mean = Summation.Mean(sorted);
        var se = Math.Sqrt(Summation.SumSquaredDeviations(sorted, mean) / (sorted.Length - 1));
        var oneSidedLower = Quantile(sorted, alpha);
        var oneSidedUpper = Quantile(sorted, 1 - alpha);
        return alt == Alternative.Greater
            ? new TestResult(delta, se, double.NaN, double.NaN, p, oneSidedLower, double.PositiveInfinity, oneSidedLower, oneSidedUpper)
            : new TestResult(delta, se, double.NaN, double.NaN, p, Quantile(sorted, alpha / 2), Quantile(sorted, 1 - (alpha / 2)), oneSidedLower, oneSidedUpper);
    }

    /// <summary>Linear interpolation between order statistics (numpy's default, Hyndman-Fan type 7).</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }

    /// <summary>Ties within a few ulps of the observed statistic count as "at least as extreme".</summary>
    private static double Tolerance(double delta) => 1e-12 * Math.Max(Math.Abs(delta), 1e-300);
}

/// <summary>Reports a sub-task's progress as a slice of the whole, synchronously (never posted).</summary>
internal sealed class ScaledProgress : IProgress<double>
{
    private readonly IProgress<double> _inner;
    private readonly double _offset;
    private readonly double _scale;

    public ScaledProgress(IProgress<double> inner, double offset, double scale) => (_inner, _offset, _scale) = (inner, offset, scale);

    public void Report(double value) => _inner.Report(_offset + (value * _scale));
}
