using System;
using EvalSig.Bridge;

namespace EvalSig.Core.Statistics;

/// <summary>
/// Exact power of the one-sample (paired) t test, as R's pwr.t.test(type = "paired") computes
/// it: the non-central t tail P(T'(df, ncp) &gt; t_crit), here as the one-dimensional integral
/// E_s[Phi(ncp - t_crit s)] over s = sqrt(chi2_df / df), by composite Simpson.
/// </summary>
internal static class TTestPower
{
    /// <summary>Power to detect a standardized effect d (delta / sd) with n units: ncp = d sqrt(n), df = n - 1.</summary>
    public static double Power(double d, double n, double alpha, Alternative alt)
        => n - 1 > 0 ? PowerAt(d * Math.Sqrt(n), n - 1, alpha, alt) : double.NaN;

    /// <summary>
    /// Power of a t test with df degrees of freedom when the true effect is ncp standard errors:
    /// P(T'(df, ncp) &gt; t_{1-alpha, df}), plus the lower tail two-sided. For clustered designs
    /// df is the cluster-level df (G - 1, or Bell-McCaffrey's), not n - 1.
    /// </summary>
    public static double PowerAt(double ncp, double df, double alpha, Alternative alt)
    {
        if (!(df > 0))
        {
            return double.NaN;
        }

        if (alt == Alternative.Greater)
        {
            return UpperTail(Distributions.StudentTQuantile(1 - alpha, df), df, ncp);
        }

        var crit = Distributions.StudentTQuantile(1 - (alpha / 2), df);
        return UpperTail(crit, df, ncp) + UpperTail(crit, df, -ncp);
    }

    /// <summary>The standardized effect detectable with the given power (solved by bisection).</summary>
    public static double DetectableEffect(double n, double alpha, double power, Alternative alt)
        => DetectableNcp(n - 1, alpha, power, alt) / Math.Sqrt(n);

    /// <summary>The effect, in standard errors, that a t test with df degrees of freedom detects with the given power.</summary>
    public static double DetectableNcp(double df, double alpha, double power, Alternative alt)
    {
        if (!(df > 0))
        {
            return double.PositiveInfinity;
        }

        double lo = 0, hi = 4;
        while (PowerAt(hi, df, alpha, alt) < power)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1e9)
            {
                return double.PositiveInfinity;
            }
        }

        for (var i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (PowerAt(mid, df, alpha, alt) < power)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>The (fractional) number of units giving the power for effect d, as pwr reports it.</summary>
    public static double RequiredN(double d, double alpha, double power, Alternative alt)
    {
        double lo = 2, hi = 4;
        while (Power(d, hi, alpha, alt) < power)
        {
            lo = hi;
            hi *= 2;
            if (hi > 1e12)
            {
                return double.PositiveInfinity;
            }
        }

        for (var i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Power(d, mid, alpha, alt) < power)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    /// <summary>P(T' &gt; c) for non-central t with df degrees of freedom and non-centrality ncp.</summary>
    internal static double UpperTail(double c, double df, double ncp)
    {
        // s = sqrt(V / df), V ~ chi2(df): density 2 df s f_V(df s^2); concentrated near 1 with sd ~ 1/sqrt(2 df).
        var spread = 1 / Math.Sqrt(2 * df);
        var lo = Math.Max(0, 1 - (14 * spread));
        var hi = 1 + (14 * spread) + (df < 30 ? 30.0 / df : 0);
        const int Panels = 4000;
        var h = (hi - lo) / Panels;
        var logConst = Math.Log(2 * df) - ((df / 2) * Math.Log(2)) - SpecialMath.GammaLn(df / 2);
        double F(double s)
        {
            if (s <= 0)
            {
                return 0;
            }

            var v = df * s * s;
            var logDensity = logConst + Math.Log(s) + (((df / 2) - 1) * Math.Log(v)) - (v / 2);
            return Math.Exp(logDensity) * SpecialMath.NormalCdf(ncp - (c * s));
        }

        var sum = F(lo) + F(hi);
        for (var i = 1; i < Panels; i++)
        {
            sum += (i % 2 == 1 ? 4 : 2) * F(lo + (i * h));
        }

        return sum * h / 3;
    }
}
