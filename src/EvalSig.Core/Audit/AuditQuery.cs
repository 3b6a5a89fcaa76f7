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
            throw new Diagnostics.EvalSigException(Diagnostics.EvalSigError.AuditQueryInvalid, Diagnostics.EvalSigErrorKind.InvalidArgument, $"-From ({Time.IsoTime.Format(f)}) is after -To ({Time.IsoTime.Format(t)}).", this);
        }

        if (First is < 0 || Skip < 0)
        {
            throw new Diagnostics.EvalSigException(Diagnostics.EvalSigError.AuditQueryInvalid, Diagnostics.EvalSigErrorKind.InvalidArgument, "-First and -Skip must be 0 or more.", this);
        }
    }
}
