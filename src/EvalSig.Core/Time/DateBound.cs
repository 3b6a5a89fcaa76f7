using System;
using System.Globalization;

namespace EvalSig.Core.Time;

/// <summary>
/// One rule for the ends of a time window (history, audit queries, scorecards, Article 30 periods),
/// shared by the cmdlets and the CLI so "--until 2026-06-30" and "-Until 2026-06-30" mean the same.
/// </summary>
/// <remarks>
/// A bound written as a plain calendar date (yyyy-MM-dd, no time, no offset) names a whole UTC day:
/// as a lower bound it starts at that day's 00:00:00Z, as an upper bound it includes the whole day,
/// up to but not including the next midnight (00:00:00Z of the following day). Every window in
/// EvalSig compares inclusively (timestamp &lt;= upper), so the exclusive next midnight is stored as the
/// last representable instant before it (next midnight minus one tick, shown as 23:59:59.999999Z):
/// for any DateTimeOffset, t &lt;= midnight - 1 tick exactly when t &lt; midnight.
/// Time zones: a plain date is a UTC day, like every other unzoned time in EvalSig (timestamps are
/// written in UTC). A bound with a time of day is an exact instant and is never widened; it is UTC
/// unless it carries an offset (2026-06-30T18:00:00+02:00). To mean a local day, give the time and
/// offset explicitly (e.g. --until 2026-07-01T00:00:00+02:00).
/// </remarks>
public static class DateBound
{
    private const string DateOnlyPattern = "yyyy-MM-dd";

    /// <summary>True when the text is a calendar date with no time of day and no offset.</summary>
    public static bool IsPlainDate(string? text, out DateOnly date)
        => DateOnly.TryParseExact(text?.Trim(), DateOnlyPattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>The first instant of a UTC calendar day.</summary>
    public static DateTimeOffset StartOfDay(DateOnly date)
        => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The last instant before the next UTC midnight: the inclusive form of the exclusive end of the day.</summary>
    public static DateTimeOffset EndOfDay(DateOnly date)
        => StartOfDay(date).AddDays(1).AddTicks(-1);

    /// <summary>A lower bound (since/from): a plain date is the start of that UTC day; other ISO-8601 text is its instant (UTC unless it says otherwise).</summary>
    public static bool TryParseLower(string? text, out DateTimeOffset value)
    {
        if (IsPlainDate(text, out var d))
        {
            value = StartOfDay(d);
            return true;
        }

        return IsoTime.TryParse(text, out value);
    }

    /// <summary>An upper bound (until/to): a plain date includes that whole UTC day; other ISO-8601 text is its exact instant.</summary>
    public static bool TryParseUpper(string? text, out DateTimeOffset value)
    {
        if (IsPlainDate(text, out var d))
        {
            value = EndOfDay(d);
            return true;
        }

        return IsoTime.TryParse(text, out value);
    }

    /// <summary>
    /// A bound given as an object (what a PowerShell parameter receives): DateOnly is a whole UTC day;
    /// DateTimeOffset is exact; DateTime is exact, with an unspecified kind taken as UTC; text follows
    /// <see cref="TryParseLower"/> or <see cref="TryParseUpper"/>. Anything else returns false.
    /// </summary>
    public static bool TryConvert(object? value, bool upper, out DateTimeOffset? result)
    {
        switch (value)
        {
            case null:
                result = null;
                return true;
            case DateOnly d:
                result = upper ? EndOfDay(d) : StartOfDay(d);
                return true;
            case DateTimeOffset dto:
                result = dto;
                return true;
            case DateTime dt:
                result = dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)) : new DateTimeOffset(dt.ToUniversalTime());
                return true;
            case string s when upper ? TryParseUpper(s, out var u) : TryParseLower(s, out u):
                result = u;
                return true;
            default:
                result = null;
                return false;
        }
    }
}
