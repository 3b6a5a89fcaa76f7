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
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var v))
        {
            value = v.ToUniversalTime();
            return true;
        }

        value = default;
        return false;
    }
}
