using System;

namespace EvalSig.Core.Audit;

/// <summary>Filters for reading records; From and To are inclusive instants.</summary>
public sealed record AuditQuery
{
    public string? SchemaKey { get; init; }

    public string? ProjectId { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public int? First { get; init; }

    public int Skip { get; init; }

    public bool Matches(AuditRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return (SchemaKey is null || r.SchemaKey == SchemaKey)
            && (ProjectId is null || r.ProjectId == ProjectId)
            && (From is not { } f || r.Timestamp >= f)
            && (To is not { } t || r.Timestamp <= t);
    }

    public void Validate()
    {
        if (From is { } f && To is { } t && f > t)
        {
            throw new Diagnostics.EvalSigException(Diagnostics.EvalSigError.AuditQueryInvalid, Diagnostics.EvalSigErrorKind.InvalidArgument, $"The window starts ({Time.IsoTime.Format(f)}) after it ends ({Time.IsoTime.Format(t)}): swap the from and to bounds.", this);
        }

        if (First is < 0 || Skip < 0)
        {
            throw new Diagnostics.EvalSigException(Diagnostics.EvalSigError.AuditQueryInvalid, Diagnostics.EvalSigErrorKind.InvalidArgument, "The number of records to take and to skip must be 0 or more.", this);
        }
    }
}
