using System;
using System.Collections.Generic;
using System.Threading;

namespace EvalSig.Core.Audit;

/// <summary>A record to append: schema key, project and the payload as canonical JSON.</summary>
public sealed record AuditAppend(string SchemaKey, string? ProjectId, string PayloadCanonical);

/// <summary>
/// Where audit records live. The local ledger is the embedded default; cloud backends (Azure Blob,
/// S3, GCS, R2) implement the same contract and must pass the same contract test suite.
/// </summary>
public interface IAuditBackend
{
    /// <summary>"local", "azure-blob", ...</summary>
    string Name { get; }

    /// <summary>A human-readable location (directory, container URL).</summary>
    string Location { get; }

    /// <summary>
    /// Appends a batch all-or-nothing: positions continue the chain, each record links to the one
    /// before, and nothing returns before the batch is durable.
    /// </summary>
    IReadOnlyList<AuditRecord> Append(IReadOnlyList<AuditAppend> batch, AuditKey key, CancellationToken cancel = default);

    /// <summary>Records matching the query, in chain order; only committed records (never part of an unfinished batch).</summary>
    IEnumerable<AuditRecord> Query(AuditQuery query, CancellationToken cancel = default);

    /// <summary>Every complete committed line in storage order, for verification (a batch still being written, or cut by a crash, is not committed).</summary>
    IEnumerable<LedgerLine> ReadLines(CancellationToken cancel = default);

    AuditStatus GetStatus();
}

/// <summary>The state of a ledger.</summary>
public sealed record AuditStatus
{
    /// <summary>"ok"; "degraded" (index unusable or rebuilt, torn tail, interrupted batch, a format-1 ledger); "missing" (no ledger at the location).</summary>
    public required string Status { get; init; }

    public required string Backend { get; init; }

    public required long RecordCount { get; init; }

    /// <summary>Head position + 1.</summary>
    public required long ChainLength { get; init; }

    public DateTimeOffset? LastAppendAt { get; init; }

    public string? HeadHmac { get; init; }

    public required bool IndexHealthy { get; init; }

    /// <summary>True when the index was checked against its MACs (a key was given); false for a keyless reader.</summary>
    public bool IndexAuthenticated { get; init; }

    /// <summary>The record format of the head: 2, or 1 for a ledger that still needs Update-AuditLedger.</summary>
    public int RecordFormat { get; init; }

    /// <summary>Bytes of an interrupted batch, invisible to readers until Repair-AuditLedger removes them.</summary>
    public long UncommittedBytes { get; init; }

    public required bool TornTail { get; init; }

    public long TornBytes { get; init; }

    public required int SchemaCount { get; init; }

    public required string LedgerPath { get; init; }

    public IReadOnlyList<string> Problems { get; init; } = Array.Empty<string>();

    /// <summary>The ledger as given: a directory, or az://container/prefix (no credentials).</summary>
    public string? Location { get; init; }

    /// <summary>Object storage: the container or bucket.</summary>
    public string? Container { get; init; }

    /// <summary>Object storage: the service endpoint (no credentials).</summary>
    public string? Endpoint { get; init; }

    /// <summary>Object storage: whether the service refuses a second create of one name (probed); null when unknown.</summary>
    public bool? ConditionalWrites { get; init; }

    /// <summary>Object storage: "multiple" or "single".</summary>
    public string? WriterMode { get; init; }

    /// <summary>Object storage: whether the container or bucket enforces write-once retention; null when unknown.</summary>
    public bool? RetentionEnforced { get; init; }

    /// <summary>Object storage: what the service says about retention (Object Lock, immutability policies).</summary>
    public string? Retention { get; init; }
}
