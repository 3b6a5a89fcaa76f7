using System;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>Argument conversions shared by the commands.</summary>
internal static class CliArgs
{
    /// <summary>ISO-8601 text as an instant (UTC unless it says otherwise); anything else is AuditQueryInvalid.</summary>
    public static DateTimeOffset? Instant(string? text, string option)
        => text is null ? null : IsoTime.TryParse(text, out var t) ? t : throw new EvalSigException(EvalSigError.AuditQueryInvalid, EvalSigErrorKind.InvalidArgument, $"{option} '{text}' is not a date and time (ISO-8601, such as 2026-01-01).");
}
