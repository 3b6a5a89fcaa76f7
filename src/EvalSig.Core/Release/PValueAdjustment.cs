using System;
using System.Linq;

namespace EvalSig.Core.Release;

/// <summary>
/// Adjusted p-values for m tests, exactly as R's <c>p.adjust</c> (stats package) computes them, so a
/// task is significant after the correction when its adjusted p is below alpha.
/// </summary>
public static class PValueAdjustment
{
    /// <summary>
    /// Adjusts <paramref name="p"/> (each in [0, 1]). A NaN p (a task whose data could not give one)
    /// counts as 1 - it stays in the family, so m is the number of tasks - and its adjusted value is NaN.
    /// </summary>
    public static double[] Adjust(ReadOnlySpan<double> p, MultipleTestingCorrection correction)
    {
        var m = p.Length;
        var q = new double[m];
        for (var i = 0; i < m; i++)
        {
            q[i] = double.IsNaN(p[i]) ? 1.0 : p[i];
            if (q[i] < 0 || q[i] > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(p), p[i], "A p-value must lie in [0, 1].");
            }
        }

        var adjusted = correction switch
        {
            MultipleTestingCorrection.None => q,
            MultipleTestingCorrection.Bonferroni => q.Select(x => Math.Min(1.0, m * x)).ToArray(),
            MultipleTestingCorrection.Holm => Holm(q),
            MultipleTestingCorrection.BenjaminiHochberg => BenjaminiHochberg(q),
            _ => throw new ArgumentOutOfRangeException(nameof(correction), correction, "Unknown correction."),
        };

        for (var i = 0; i < m; i++)
        {
            if (double.IsNaN(p[i]))
            {
                adjusted[i] = double.NaN;
            }
        }

        return adjusted;
    }

    /// <summary>
    /// Holm (1979): with p sorted ascending, adj_(i) = max_{j &lt;= i} min(1, (m - j + 1) p_(j))
    /// (p.adjust: <c>pmin(1, cummax((n - i + 1L) * p[o]))[ro]</c>).
    /// </summary>
    private static double[] Holm(double[] p)
    {
        var m = p.Length;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var k = 0; k < m; k++)
        {
            running = Math.Max(running, (m - k) * p[order[k]]);
            adjusted[order[k]] = Math.Min(1.0, running);
        }

        return adjusted;
    }

    /// <summary>
    /// Benjamini-Hochberg (1995): with p sorted descending, adj_(i) = min_{j &gt;= i} min(1, m / j p_(j))
    /// (p.adjust: <c>pmin(1, cummin(n / i * p[o]))[ro]</c>, i = n..1).
    /// </summary>
    private static double[] BenjaminiHochberg(double[] p)
    {
        var m = p.Length;
        var order = Enumerable.Range(0, m).OrderByDescending(i => p[i]).ToArray();
        var adjusted = new double[m];
        var running = double.PositiveInfinity;
        for (var k = 0; k < m; k++)
        {
            var rank = m - k; // rank of this p among the ascending p-values
            running = Math.Min(running, (double)m / rank * p[order[k]]);
            adjusted[order[k]] = Math.Min(1.0, running);
        }

        return adjusted;
    }
}
