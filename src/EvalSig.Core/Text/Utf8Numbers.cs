using System;

namespace EvalSig.Core.Text;

/// <summary>
/// The common score texts (<c>1</c>, <c>0.75</c>, <c>0.5870587362227104</c>) parsed to a double without the
/// general number parser (issue 16: a fifth of the reading time beside tokenizing): a plain decimal of at
/// most 19 digits whose digits, read as an integer m, fit in 53 bits and whose fraction has at most 22 digits
/// is exactly m / 10^k, both operands exact doubles, so one correctly rounded division gives the correctly
/// rounded value (Clinger's fast path), the same bits as <see cref="double.Parse(string)"/>. Anything else
/// (exponents, signs other than a leading minus, longer digit strings) answers false and is left to the
/// caller's general parser, which also decides what is valid. Likewise <see cref="TryParseDigit"/> for the
/// usual epoch, a single digit.
/// </summary>
internal static class Utf8Numbers
{
    private static ReadOnlySpan<double> PowersOfTen =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>True, with the value, for a plain decimal that takes the fast path; false to use the general parser.</summary>
    public static bool TryParsePlainDouble(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        ulong m = 0;
        var digits = 0;
        var fraction = -1;
        for (; i < text.Length; i++)
        {
            var d = (uint)(text[i] - '0');
            if (d <= 9)
            {
                if (++digits > 19)
                {
                    return false;
                }

                m = (m * 10) + d;
                if (fraction >= 0)
                {
                    fraction++;
                }
            }
            else if (text[i] == (byte)'.' && fraction < 0 && digits > 0)
            {
                fraction = 0;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || fraction == 0 || m > (1UL << 53) || fraction > 22)
        {
            return false;
        }

        var v = (double)m;
        if (fraction > 0)
        {
            v /= PowersOfTen[fraction];
        }

        value = negative ? -v : v;
        return true;
    }

    /// <summary>True, with the value, for a single decimal digit (the usual epoch); false to use the general parser.</summary>
    public static bool TryParseDigit(ReadOnlySpan<byte> text, out int value)
    {
        if (text is [var digit] && digit is >= (byte)'0' and <= (byte)'9')
        {
            value = digit - '0';
            return true;
        }

        value = 0;
        return false;
    }
}
