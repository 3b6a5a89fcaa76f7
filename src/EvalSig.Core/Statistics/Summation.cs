using System;

namespace EvalSig.Core.Statistics;

/// <summary>
/// Compensated (Neumaier) sums, so that a mean over a million scores is correct to the last
/// digit rather than to the order the scores happened to arrive in.
/// </summary>
internal static class Summation
{
    public static double Sum(ReadOnlySpan<double> values)
    {
        double sum = 0, c = 0;
        foreach (var v in values)
        {
            var t = sum + v;
            c += Math.Abs(sum) >= Math.Abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }

        return sum + c;
    }

    public static double Mean(ReadOnlySpan<double> values) => Sum(values) / values.Length;

    /// <summary>Sum of squared deviations from <paramref name="mean"/>, compensated.</summary>
    public static double SumSquaredDeviations(ReadOnlySpan<double> values, double mean)
    {
        double sum = 0, c = 0, dsum = 0;
        foreach (var v in values)
        {
            var d = v - mean;
            dsum += d;
            var sq = d * d;
            var t = sum + sq;
            c += sum >= sq ? (sum - t) + sq : (sq - t) + sum;
            sum = t;
        }

        // Corrected two-pass formula (Chan, Golub & LeVeque 1983): removes the error left in the mean.
        return (sum + c) - (dsum * dsum / values.Length);
    }
}

/// <summary>Elementary functions .NET does not provide accurately.</summary>
internal static class MathExtra
{
    /// <summary>ln(1 + x) accurate for small x (Goldberg 1991, "What every computer scientist...", Thm 4).</summary>
    public static double Log1P(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
