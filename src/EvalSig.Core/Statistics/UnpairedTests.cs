using System;

namespace EvalSig.Core.Statistics;

/// <summary>
/// Comparisons of two independent samples (runs that share no items): Welch's t for the difference
/// of means and Newcombe's hybrid score interval for a difference of proportions. Both answer the
/// same question as the paired methods with less power: the item-to-item variation a pairing
/// cancels stays in the standard error.
/// </summary>
internal static class UnpairedTests
{
    /// <summary>
    /// Welch (1947): delta = mean(c) - mean(b), se = sqrt(s_c^2/n_c + s_b^2/n_b), Welch-Satterthwaite
    /// df = se^4 / ((s_c^2/n_c)^2/(n_c-1) + (s_b^2/n_b)^2/(n_b-1)); Student t (scipy.stats.ttest_ind, equal_var=False).
    /// </summary>
    public static TestResult Welch(ReadOnlySpan<double> baseline, ReadOnlySpan<double> candidate, double alpha, Alternative alt)
    {
        var nb = baseline.Length;
        var nc = candidate.Length;
        var mb = Summation.Mean(baseline);
        var mc = Summation.Mean(candidate);
        var delta = mc - mb;
        if (nb < 2 || nc < 2)
        {
            return AnalyticTests.FromSe(delta, double.NaN, double.NaN, alpha, alt);
        }

        var vb = Summation.SumSquaredDeviations(baseline, mb) / (nb - 1) / nb;
        var vc = Summation.SumSquaredDeviations(candidate, mc) / (nc - 1) / nc;
        var se = Math.Sqrt(vb + vc);
        var df = (vb + vc) * (vb + vc) / ((vb * vb / (nb - 1)) + (vc * vc / (nc - 1)));
        return AnalyticTests.FromSe(delta, se, df, alpha, alt);
    }

    /// <summary>
    /// Wilson score interval for x successes in n (Wilson 1927) at normal quantile z.
    /// </summary>
    public static (double Lower, double Upper) Wilson(double x, double n, double z)
    {
        var p = x / n;
        var z2 = z * z;
        var centre = (p + (z2 / (2 * n))) / (1 + (z2 / n));
        var half = z / (1 + (z2 / n)) * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Newcombe (1998, method 10, the hybrid score interval) for p_c - p_b from the two Wilson
    /// intervals: L = d - sqrt((p_c - l_c)^2 + (u_b - p_b)^2), U = d + sqrt((u_c - p_c)^2 + (p_b - l_b)^2);
    /// statsmodels confint_proportions_2indep(method="newcomb"). The interval has no p-value of its own:
    /// p is the level at which its bound reaches 0 (one-sided: the lower bound of the one-sided
    /// interval; two-sided: either bound of the two-sided one), found by bisection on z, so p &lt; alpha
    /// exactly when the (1 - alpha) interval excludes 0. se is the Wald se, used for the MDE only.
    /// </summary>
    public static TestResult Newcombe(double xb, int nb, double xc, int nc, double alpha, Alternative alt)
    {
        var pb = xb / nb;
        var pc = xc / nc;
        var delta = pc - pb;
        var se = Math.Sqrt((pc * (1 - pc) / nc) + (pb * (1 - pb) / nb));
        var zOne = Distributions.NormalQuantile(1 - alpha);
        var (oneSidedLower, oneSidedUpper) = Bounds(xb, nb, xc, nc, zOne);
        double p;
        if (delta == 0)
        {
            p = alt == Alternative.Greater ? 0.5 : 1.0;
        }
        else
        {
            // The z at which the bound nearer 0 touches 0; the bounds move away from delta as z grows.
            var zStar = Bisect(z => delta > 0 ? Bounds(xb, nb, xc, nc, z).Lower : -Bounds(xb, nb, xc, nc, z).Upper);
            var upper = Distributions.NormalUpper(zStar);
            p = alt == Alternative.Greater
                ? (delta > 0 ? upper : 1 - upper)
                : Math.Min(1, 2 * upper);
        }

        if (alt == Alternative.Greater)
        {
            return new TestResult(delta, se, double.NaN, double.NaN, p, oneSidedLower, double.PositiveInfinity, oneSidedLower, oneSidedUpper);
        }

        var (lower, upper2) = Bounds(xb, nb, xc, nc, Distributions.NormalQuantile(1 - (alpha / 2)));
        return new TestResult(delta, se, double.NaN, double.NaN, p, lower, upper2, oneSidedLower, oneSidedUpper);
    }

    private static (double Lower, double Upper) Bounds(double xb, int nb, double xc, int nc, double z)
    {
        var pb = xb / nb;
        var pc = xc / nc;
        var (lc, uc) = Wilson(xc, nc, z);
        var (lb, ub) = Wilson(xb, nb, z);
        var d = pc - pb;
        return (d - Math.Sqrt(((pc - lc) * (pc - lc)) + ((ub - pb) * (ub - pb))), d + Math.Sqrt(((uc - pc) * (uc - pc)) + ((pb - lb) * (pb - lb))));
    }

    /// <summary>The z in [0, 40] where f (decreasing in z, positive at 0) crosses 0; 40 when it never does.</summary>
    private static double Bisect(Func<double, double> f)
    {
        double lo = 0, hi = 40;
        if (f(hi) > 0)
        {
            return hi;
        }

        for (var i = 0; i < 200 && hi - lo > 1e-14; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (f(mid) > 0)
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
}
