using System;
using System.Numerics;
using EvalSig.Bridge;

namespace EvalSig.Core.Statistics;

/// <summary>
/// The few distribution functions the gate needs, accurate to the last few ulps: tails are
/// computed directly (never as 1 - CDF), quantiles are polished with Newton steps.
/// </summary>
internal static class Distributions
{
    /// <summary>P(T &lt;= t) for Student t with <paramref name="df"/> degrees of freedom.</summary>
    public static double StudentTCdf(double t, double df)
    {
        if (double.IsPositiveInfinity(t))
        {
            return 1;
        }

        if (double.IsNegativeInfinity(t))
        {
            return 0;
        }

        // Lower tail from the regularized incomplete beta: P(T <= -|t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2.
        var t2 = t * t;
        var tail = 0.5 * IncompleteBeta.Regularized(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>P(T &gt;= t), computed without cancellation for large t.</summary>
    public static double StudentTUpper(double t, double df) => StudentTCdf(-t, df);

    public static double StudentTPdf(double t, double df) => SpecialMath.StudentTPdf(t, df);

    /// <summary>The p-quantile of Student t: bracketed Newton on the lower tail, polished to ~1 ulp.</summary>
    public static double StudentTQuantile(double p, double df)
    {
        if (p <= 0)
        {
            return double.NegativeInfinity;
        }

        if (p >= 1)
        {
            return double.PositiveInfinity;
        }

        if (p == 0.5)
        {
            return 0;
        }

        // Solve on the lower tail by symmetry, so small tail probabilities keep full precision.
        var target = Math.Min(p, 1 - p);
        double lo = -1, hi = 0;
        while (StudentTCdf(lo, df) > target)
        {
            hi = lo;
            lo *= 2;
        }

        var x = Math.Clamp(NormalQuantile(target), lo, hi);
        for (var i = 0; i < 200; i++)
        {
            var f = StudentTCdf(x, df) - target;
            if (f > 0)
            {
                hi = x;
            }
            else
            {
                lo = x;
            }

            var next = x - (f / StudentTPdf(x, df));
            if (!(next > lo && next < hi))
            {
                next = 0.5 * (lo + hi);
            }

            if (Math.Abs(next - x) <= 4e-16 * Math.Abs(x))
            {
                x = next;
                break;
            }

            x = next;
        }

        return p < 0.5 ? x : -x;
    }

    /// <summary>The p-quantile of the standard normal.</summary>
    public static double NormalQuantile(double p) => SpecialMath.NormalQuantile(p);

    /// <summary>P(Z &gt;= z) for a standard normal, from erfc so the far tail keeps its precision.</summary>
    public static double NormalUpper(double z) => 0.5 * SpecialMath.Erfc(z / Math.Sqrt(2));

    /// <summary>
    /// P(X &lt;= k) for X ~ Binomial(n, 1/2), exactly: rational arithmetic up to 10,000 trials,
    /// above that a log-space sum of the exact terms (relative error about n * 1e-16).
    /// </summary>
    public static double BinomialHalfCdf(long k, long n)
    {
        if (k < 0)
        {
            return 0;
        }

        if (k >= n)
        {
            return 1;
        }

        if (n <= 10_000)
        {
            BigInteger sum = BigInteger.Zero, term = BigInteger.One;
            for (long i = 0; i <= k; i++)
            {
                if (i > 0)
                {
                    term = term * (n - i + 1) / i;
                }

                sum += term;
            }

            return RatioToDouble(sum, BigInteger.One << (int)n);
        }

        // Terms rise with i up to the mode n/2; sum downward from i = min(k, n/2) by the exact
        // ratio C(n, i-1)/C(n, i) = i / (n - i + 1), scaled by the largest term, whose log comes
        // from Loader's saddle-point form (accurate to ~1e-15 relative at any n).
        var top = Math.Min(k, n / 2);
        var logTop = LogBinomialHalfPmf(top, n);
        double s = 0, t = 1;
        for (var i = top; i >= 0; i--)
        {
            s += t;
            if (t < 1e-18 * s)
            {
                break;
            }

            t *= i / (double)(n - i + 1);
        }

        var lower = Math.Exp(logTop + Math.Log(s));
        if (k <= top)
        {
            return lower;
        }

        // k above the mode: P(X <= k) = 1 - P(X <= n - k - 1) by symmetry.
        return 1 - BinomialHalfCdf(n - k - 1, n);
    }

    /// <summary>
    /// log P(X = x) for X ~ Binomial(n, 1/2) by Loader (2000), "Fast and accurate computation of
    /// binomial probabilities": stirlerr and bd0 avoid the cancellation of large log-gammas.
    /// </summary>
    internal static double LogBinomialHalfPmf(long x, long n)
    {
        if (x == 0 || x == n)
        {
            return -n * Math.Log(2);
        }

        var np = n * 0.5;
        var lc = StirlingError(n) - StirlingError(x) - StirlingError(n - x) - Bd0(x, np) - Bd0(n - x, np);
        var lf = Math.Log(2 * Math.PI) + Math.Log(x) + MathExtra.Log1P(-x / (double)n);
        return lc - (0.5 * lf);
    }

    /// <summary>ln Gamma(n + 1) - (n + 1/2) ln n + n - ln sqrt(2 pi).</summary>
    private static double StirlingError(double n)
    {
        const double S0 = 1.0 / 12, S1 = 1.0 / 360, S2 = 1.0 / 1260, S3 = 1.0 / 1680, S4 = 1.0 / 1188;
        if (n <= 15)
        {
            return SpecialMath.GammaLn(n + 1) - ((n + 0.5) * Math.Log(n)) + n - (0.5 * Math.Log(2 * Math.PI));
        }

        var nn = n * n;
        if (n > 500)
        {
            return (S0 - (S1 / nn)) / n;
        }

        if (n > 80)
        {
            return (S0 - ((S1 - (S2 / nn)) / nn)) / n;
        }

        if (n > 35)
        {
            return (S0 - ((S1 - ((S2 - (S3 / nn)) / nn)) / nn)) / n;
        }

        return (S0 - ((S1 - ((S2 - ((S3 - (S4 / nn)) / nn)) / nn)) / nn)) / n;
    }

    /// <summary>x ln(x / np) + np - x, without cancellation when x is near np.</summary>
    private static double Bd0(double x, double np)
    {
        if (Math.Abs(x - np) < 0.1 * (x + np))
        {
            var v = (x - np) / (x + np);
            var s = (x - np) * v;
            var ej = 2 * x * v;
            v *= v;
            for (var j = 1; j < 1000; j++)
            {
                ej *= v;
                var s1 = s + (ej / ((2 * j) + 1));
                if (s1 == s)
                {
                    return s1;
                }

                s = s1;
            }

            return s;
        }

        return (x * Math.Log(x / np)) + np - x;
    }

    private static double RatioToDouble(BigInteger num, BigInteger den)
    {
        // Scale so the quotient carries 64 significant bits, then divide in floating point.
        var shift = (long)den.GetBitLength() - (long)num.GetBitLength() + 64;
        var q = shift >= 0 ? (num << (int)shift) / den : num / (den << (int)-shift);
        return Math.ScaleB((double)q, (int)-shift);
    }
}
