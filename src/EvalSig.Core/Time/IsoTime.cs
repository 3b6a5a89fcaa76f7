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
        if (text is { Length: 27 } && TryParseWire(text, out value))
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

    private static bool TryParseWire(string s, out DateTimeOffset value)
    {
        value = default;
        if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z')
        {
            return false;
        }

        int Digits(int at, int n)
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

        int year = Digits(0, 4), month = Digits(5, 2), day = Digits(8, 2), hour = Digits(11, 2), minute = Digits(14, 2), second = Digits(17, 2), micros = Digits(20, 6);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || micros < 0)
        {
            return false;
        }

        value = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(micros * 10L);
        return true;
    }
}
