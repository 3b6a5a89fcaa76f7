using System;

namespace EvalSig.Core.Statistics;

/// <summary>Paired t and cluster-robust t on the paired differences d = candidate - baseline.</summary>
internal static class AnalyticTests
{
    /// <summary>se = sd(d, ddof=1) / sqrt(n), Student t with n - 1 df.</summary>
    public static double PairedSe(ReadOnlySpan<double> d)
    {
        if (d.Length < 2)
        {
            return double.NaN;
        }

        var mean = Summation.Mean(d);
        return Math.Sqrt(Summation.SumSquaredDeviations(d, mean) / (d.Length - 1) / d.Length);
    }

    public static TestResult PairedT(ReadOnlySpan<double> d, double alpha, Alternative alt)
        => FromSe(Summation.Mean(d), PairedSe(d), d.Length - 1, alpha, alt);

    /// <summary>
    /// Cluster-robust se of the mean, CR1: sqrt(G/(G-1) * sum_c (sum_{i in c}(d_i - delta))^2) / n
    /// (Miller 2024, "Adding Error Bars to Evals", paired and clustered, with the finite-cluster
    /// factor statsmodels, R sandwich and inspect_ai use); Student t with G - 1 df.
    /// </summary>
    public static double ClusteredSe(ReadOnlySpan<double> d, ReadOnlySpan<int> cluster, int clusterCount)
    {
        if (clusterCount < 2)
        {
            return double.NaN;
        }

        var delta = Summation.Mean(d);
        var sums = new double[clusterCount];
        for (var i = 0; i < d.Length; i++)
        {
            sums[cluster[i]] += d[i] - delta;
        }

        double ss = 0, c = 0;
        foreach (var s in sums)
        {
            var sq = s * s;
            var t = ss + sq;
            c += ss >= sq ? (ss - t) + sq : (sq - t) + ss;
            ss = t;
        }

        return Math.Sqrt(clusterCount / (clusterCount - 1.0) * (ss + c)) / d.Length;
    }

    public static TestResult ClusteredT(ReadOnlySpan<double> d, ReadOnlySpan<int> cluster, int clusterCount, double alpha, Alternative alt)
        => FromSe(Summation.Mean(d), ClusteredSe(d, cluster, clusterCount), clusterCount - 1, alpha, alt);

    /// <summary>t statistic, p-value and t-quantile interval for an estimate with standard error se.</summary>
    public static TestResult FromSe(double delta, double se, double df, double alpha, Alternative alt)
    {
        if (!(se > 0) || !(df > 0))
        {
            return Degenerate(delta, se, df, alt);
        }

        var t = delta / se;
        var p = alt == Alternative.Greater
            ? Distributions.StudentTUpper(t, df)
            : Math.Min(1, 2 * Distributions.StudentTCdf(-Math.Abs(t), df));
        var qOne = Distributions.StudentTQuantile(1 - alpha, df);
        var oneSidedLower = delta - (qOne * se);
        var oneSidedUpper = delta + (qOne * se);
        if (alt == Alternative.Greater)
        {
            return new TestResult(delta, se, df, t, p, oneSidedLower, double.PositiveInfinity, oneSidedLower, oneSidedUpper);
        }

        var q = Distributions.StudentTQuantile(1 - (alpha / 2), df);
        return new TestResult(delta, se, df, t, p, delta - (q * se), delta + (q * se), oneSidedLower, oneSidedUpper);
    }

    /// <summary>
    /// No spread to estimate (every difference equal) or too few units: a zero se with delta 0 is
    /// "no difference" (p = 1); a zero se with delta != 0 is certain; a NaN se is unknown.
    /// </summary>
    private static TestResult Degenerate(double delta, double se, double df, Alternative alt)
    {
        if (se == 0)
        {
            var p = delta == 0 || (alt == Alternative.Greater && delta < 0) ? 1.0 : 0.0;
            var stat = delta == 0 ? 0 : Math.CopySign(double.PositiveInfinity, delta);
            return new TestResult(delta, 0, df, stat, p, delta, alt == Alternative.Greater ? double.PositiveInfinity : delta, delta, delta);
        }

        return new TestResult(delta, double.NaN, df, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
    }
}
