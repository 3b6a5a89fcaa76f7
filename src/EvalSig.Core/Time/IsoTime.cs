using System;
using System.Globalization;

namespace EvalSig.Core.Time;

/// <summary>Wire format for instants: UTC, ISO-8601, microseconds, trailing Z.</summary>
public static class IsoTime
{
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Truncates to whole microseconds, the precision every EvalSig file keeps.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset t)
        => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        // The wire format itself (every ledger line's timestamp) is read digit by digit: general
        // parsing costs more than the rest of indexing a record.
        if (text is { Length: 27 } && TryParseWire(text.AsSpan(), out value))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var v))
        {
            value = v.ToUniversalTime();
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>The wire format exactly (27 bytes of UTF-8: <see cref="Pattern"/>), read from bytes without a string.</summary>
    internal static bool TryParseWire(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length != 27)
        {
            return false;
        }

        Span<char> text = stackalloc char[27];
        for (var i = 0; i < 27; i++)
        {
            text[i] = (char)s[i];
        }

        return TryParseWire(text, out value);
    }

    private static bool TryParseWire(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z')
        {
            return false;
        }

        static int Digits(ReadOnlySpan<char> s, int at, int n)
        {
            var v = 0;
            for (var i = at; i < at + n; i++)
            {
                var d = s[i] - '0';
                if ((uint)d > 9)
                {
                    return -1;
                }

                v = (v * 10) + d;
            }

            return v;
        }

        int year = Digits(s, 0, 4), month = Digits(s, 5, 2), day = Digits(s, 8, 2), hour = Digits(s, 11, 2), minute = Digits(s, 14, 2), second = Digits(s, 17, 2), micros = Digits(s, 20, 6);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || micros < 0)
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(micros * 10L);
        return true;
    }
}
