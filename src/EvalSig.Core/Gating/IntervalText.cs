using System.Globalization;

namespace EvalSig.Core.Gating;

/// <summary>
/// The one way EvalSig writes a confidence interval, in the list view, the table view, text,
/// Markdown, pipeline messages and explanations: "95% [+0.065455, +inf)". Bounds are signed with six
/// decimals (the resolution at which a delta of one item in a million still shows); a finite bound
/// takes a square bracket, an infinite one a parenthesis, because the interval never contains
/// infinity (a one-sided interval is [lower, +inf) in the usual notation).
/// </summary>
public static class IntervalText
{
    public static string Bound(double v)
        => double.IsPositiveInfinity(v) ? "+inf"
        : double.IsNegativeInfinity(v) ? "-inf"
        : double.IsNaN(v) ? "n/a"
        : v.ToString("+0.000000;-0.000000;0.000000", CultureInfo.InvariantCulture);

    /// <summary>"[+0.012000, +0.034000]", "[+0.065455, +inf)" or "(-inf, +0.010000]".</summary>
    public static string Format(double lower, double upper)
        => (double.IsInfinity(lower) ? "(" : "[") + Bound(lower) + ", " + Bound(upper) + (double.IsInfinity(upper) ? ")" : "]");

    /// <summary>"95% [+0.065455, +inf)".</summary>
    public static string Format(double level, double lower, double upper)
        => (level * 100).ToString("0.##", CultureInfo.InvariantCulture) + "% " + Format(lower, upper);

    /// <summary>The comparison's interval with its level.</summary>
    public static string Of(Comparison c)
    {
        System.ArgumentNullException.ThrowIfNull(c);
        return Format(c.CiLevel, c.CiLower, c.CiUpper);
    }
}
