using System;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>Argument conversions shared by the commands.</summary>
internal static class CliArgs
{
    /// <summary>ISO-8601 text as an instant (UTC unless it says otherwise); anything else is AuditQueryInvalid.</summary>
    public static DateTimeOffset? Instant(string? text, string option)
        => text is null ? null : DateBound.TryParseLower(text, out var t) ? t : throw NotADate(text, option);

    /// <summary>An upper bound (--until, --to, --as-of): a plain date includes that whole UTC day (see DateBound).</summary>
    public static DateTimeOffset? UpperBound(string? text, string option)
        => text is null ? null : DateBound.TryParseUpper(text, out var t) ? t : throw NotADate(text, option);

    private static EvalSigException NotADate(string text, string option)
        => new(EvalSigError.AuditQueryInvalid, EvalSigErrorKind.InvalidArgument, $"{option} '{text}' is not a date and time (ISO-8601, such as 2026-01-01 for a whole UTC day, or 2026-01-01T09:30:00Z).");
}
