using System;

namespace EvalSig.Core.Statistics;

/// <summary>
/// Exact McNemar test for paired 0/1 scores. b = baseline right and candidate wrong, c = the
/// reverse; under H0 the discordant pairs split as Binomial(b + c, 1/2).
/// </summary>
internal static class McNemar
{
    public static (long B, long C) Discordant(ReadOnlySpan<double> baseline, ReadOnlySpan<double> candidate)
    {
        long b = 0, c = 0;
        for (var i = 0; i < baseline.Length; i++)
        {
            if (baseline[i] == 1 && candidate[i] == 0)
            {
                b++;
            }
            else if (baseline[i] == 0 && candidate[i] == 1)
            {
                c++;
            }
        }

        return (b, c);
    }

    /// <summary>Two-sided min(1, 2 * BinomCDF(min(b, c))); one-sided (candidate better) P(X &gt;= c) = BinomCDF(b).</summary>
    public static double PValue(long b, long c, Alternative alt)
    {
        var n = b + c;
        if (n == 0)
        {
            return 1;
        }

        return alt == Alternative.Greater
            ? Distributions.BinomialHalfCdf(b, n)
            : Math.Min(1, 2 * Distributions.BinomialHalfCdf(Math.Min(b, c), n));
    }

    public static bool IsBinary(ReadOnlySpan<double> scores)
    {
        foreach (var s in scores)
        {
            if (s != 0 && s != 1)
            {
                return false;
            }
        }

        return true;
    }
}
