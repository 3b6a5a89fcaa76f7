using System;
using System.Collections.Generic;

namespace EvalSig.Core.Audit;

/// <summary>Where verification first failed.</summary>
public sealed record TamperedRecord(string? RecordId, long Position, string Reason);

/// <summary>
/// The result of verifying a chain. It never claims more than it checked: Anchored is true only
/// when a checkpoint proved the ledger still holds a head recorded elsewhere.
/// </summary>
public sealed record ChainVerification
{
    public required bool Valid { get; init; }

    /// <summary>Records whose HMAC verified and whose links held.</summary>
    public required long VerifiedCount { get; init; }

    public required long TamperedCount { get; init; }

    public TamperedRecord? FirstTampered { get; init; }

    /// <summary>Missing positions.</summary>
    public required IReadOnlyList<long> Gaps { get; init; }

    /// <summary>Positions that occur more than once.</summary>
    public required IReadOnlyList<long> Duplicates { get; init; }

    public required bool Anchored { get; init; }

    public required string Reason { get; init; }

    public required long RecordCount { get; init; }

    public long? HeadPosition { get; init; }

    public string? HeadHmac { get; init; }

    public bool TornTail { get; init; }

    /// <summary>Records in format 1 (MAC'd with the undivided key); valid only when a migration record seals them.</summary>
    public long LegacyCount { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>What was verified: the ledger directory or the export file; null for piped records.</summary>
    public string? Source { get; init; }
}
