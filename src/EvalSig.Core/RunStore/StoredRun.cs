using System;

namespace EvalSig.Core.RunStore;

/// <summary>One run in a project's history (a manifest entry), with the full Parquet path.</summary>
public sealed record StoredRun
{
    public required string ProjectId { get; init; }

    public required string RunId { get; init; }

    public required string Model { get; init; }

    public required string Task { get; init; }

    public required string Metric { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public required int NItems { get; init; }

    public string? ConfigHash { get; init; }

    /// <summary>For a candidate saved with its gate report: the delta, p-value and verdict.</summary>
    public double? Delta { get; init; }

    public double? PValue { get; init; }

    public string? Verdict { get; init; }

    /// <summary>For a candidate saved with its gate report: the baseline's run id.</summary>
    public string? ParentRunId { get; init; }

    /// <summary>The Parquet file, absolute.</summary>
    public required string Path { get; init; }

    /// <summary>1 for the first save; -Force saves a new version and keeps the old.</summary>
    public required int Version { get; init; }

    public required bool Superseded { get; init; }

    /// <summary>SHA-256 of the run's content (run fields and items), to tell an identical save from a conflicting one.</summary>
    public required string ContentSha256 { get; init; }

    public required DateTimeOffset SavedAt { get; init; }
}

/// <summary>What a save did.</summary>
public enum SaveOutcome
{
    Saved,
    Unchanged,
    NewVersion,
}

public sealed record SaveResult(SaveOutcome Outcome, StoredRun Run);
