using System;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>How many processes may append to an object-storage ledger at once.</summary>
public enum AuditWriterMode
{
    /// <summary>Any number, on any machines: needs a service that refuses a second create of one name (the default).</summary>
    MultiWriter,

    /// <summary>
    /// Exactly one appender at a time, guaranteed by the caller (one pipeline with a concurrency lock).
    /// The only mode on a service without conditional writes; EvalSig cannot stop a second writer there.
    /// </summary>
    SingleWriter,
}

/// <summary>S3 Object Lock modes; on Azure, unlocked and locked immutability policies.</summary>
public enum AuditRetentionMode
{
    /// <summary>S3 GOVERNANCE, Azure Unlocked: privileged users can shorten or remove the retention.</summary>
    Governance,

    /// <summary>S3 COMPLIANCE, Azure Locked: nobody, the account owner included, can delete before it expires.</summary>
    Compliance,
}

/// <summary>Write-once retention for each new ledger object: a mode and how long from the write.</summary>
public sealed record AuditRetention(AuditRetentionMode Mode, TimeSpan Period)
{
    public const string EnvironmentVariable = "EVALSIG_AUDIT_RETENTION";

    /// <summary>"compliance:2555" or "governance:30d" (days), as in EVALSIG_AUDIT_RETENTION.</summary>
    public static AuditRetention Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(':', 2);
        if (parts.Length == 2 && Enum.TryParse<AuditRetentionMode>(parts[0], ignoreCase: true, out var mode)
            && int.TryParse(parts[1].TrimEnd('d', 'D'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days))
        {
            return Create(mode, days);
        }

        throw new EvalSigException(EvalSigError.StorageRetentionUnsupported, EvalSigErrorKind.InvalidArgument, $"'{text}' is not a retention: use mode:days, such as compliance:2555 or governance:30.", text);
    }

    public static AuditRetention Create(AuditRetentionMode mode, int days)
    {
        if (days is < 1 or > 36500)
        {
            throw new EvalSigException(EvalSigError.StorageRetentionUnsupported, EvalSigErrorKind.InvalidArgument, $"A retention of {days} days is out of range: give 1 to 36500 days.", days);
        }

        return new AuditRetention(mode, TimeSpan.FromDays(days));
    }

    public override string ToString() => $"{Mode.ToString().ToLowerInvariant()}:{Period.TotalDays:0}";
}

/// <summary>How a ledger is opened: writer mode and retention (object storage only).</summary>
public sealed record AuditBackendOptions
{
    /// <summary>Null: from the location's ?writers=, else EVALSIG_AUDIT_WRITERS, else MultiWriter.</summary>
    public AuditWriterMode? Writers { get; init; }

    /// <summary>Null: from EVALSIG_AUDIT_RETENTION, else none.</summary>
    public AuditRetention? Retention { get; init; }

    /// <summary>Where the local query cache lives; null: the user's cache folder (EVALSIG_CACHE_DIR overrides).</summary>
    public string? CacheDirectory { get; init; }
}
