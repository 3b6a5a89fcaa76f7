using System;

namespace EvalSig.Core.Statistics;

/// <summary>Effect sizes for a run pair.</summary>
internal static class EffectSizes
{
    /// <summary>Paired Cohen's d (d_z): mean of the differences over their standard deviation.</summary>
    public static double CohensDz(ReadOnlySpan<double> d)
    {
        if (d.Length < 2)
        {
            return double.NaN;
        }

        var mean = Summation.Mean(d);
        var sd = Math.Sqrt(Summation.SumSquaredDeviations(d, mean) / (d.Length - 1));
        return sd > 0 ? mean / sd : double.NaN;
    }

    /// <summary>Cohen's d for two independent samples: difference of means over the pooled standard deviation.</summary>
    public static double CohensDPooled(ReadOnlySpan<double> baseline, ReadOnlySpan<double> candidate)
    {
        if (baseline.Length < 2 || candidate.Length < 2)
        {
            return double.NaN;
        }

        var mb = Summation.Mean(baseline);
        var mc = Summation.Mean(candidate);
        var pooled = (Summation.SumSquaredDeviations(baseline, mb) + Summation.SumSquaredDeviations(candidate, mc)) / (baseline.Length + candidate.Length - 2);
        return pooled > 0 ? (mc - mb) / Math.Sqrt(pooled) : double.NaN;
    }

    /// <summary>
    /// Cliff's delta P(C &gt; B) - P(C &lt; B) over all (candidate, baseline) score pairs, by sorting
    /// and binary search: O(n log n) rather than O(n^2).
    /// </summary>
    public static double CliffsDelta(ReadOnlySpan<double> candidate, ReadOnlySpan<double> baseline)
    {
        var sorted = baseline.ToArray();
        Array.Sort(sorted);
        long greater = 0, less = 0;
        foreach (var c in candidate)
        {
            var lo = LowerBound(sorted, c);
            var hi = UpperBound(sorted, c);
            less += sorted.Length - hi;
            greater += lo;
        }

        return (greater - less) / ((double)candidate.Length * baseline.Length);
    }

    private static int LowerBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (a[mid] < v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int UpperBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (a[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
