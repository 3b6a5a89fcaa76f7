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

    /// <summary>The manifest entry of a newly saved version of <paramref name="frame"/> (one shape for every store).</summary>
    internal static StoredRun Create(string project, RunFrames.RunFrame frame, DateTimeOffset timestamp, Gating.GateReport? gate, string path, int version, string contentSha256)
        => new()
        {
            ProjectId = project,
            RunId = frame.RunId,
            Model = frame.ModelId,
            Task = frame.TaskId,
            Metric = frame.MetricName,
            Timestamp = timestamp,
            NItems = frame.Count,
            ConfigHash = string.IsNullOrEmpty(frame.ConfigHash) ? null : frame.ConfigHash,
            Delta = gate?.Comparison.Delta,
            PValue = gate?.Comparison.PValue,
            Verdict = gate?.Verdict.ToString(),
            ParentRunId = gate?.BaselineRunId,
            Path = path,
            Version = version,
            Superseded = false,
            ContentSha256 = contentSha256,
            SavedAt = Time.IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
        };
}

/// <summary>What a save did.</summary>
public enum SaveOutcome
{
    Saved,
    Unchanged,
    NewVersion,
}

public sealed record SaveResult(SaveOutcome Outcome, StoredRun Run);
