using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Time;

namespace EvalSig.Core.RunStore;

/// <summary>Filters for a project's history; Since and Until are inclusive instants.</summary>
public sealed record HistoryQuery
{
    public DateTimeOffset? Since { get; init; }

    public DateTimeOffset? Until { get; init; }

    public string? Model { get; init; }

    public string? Task { get; init; }

    public string? Metric { get; init; }

    public string? Verdict { get; init; }

    public bool IncludeSuperseded { get; init; }
}

/// <summary>
/// The run store: every RunFrame as snappy Parquet at
/// <c>{root}/{project}/year=YYYY/month=MM/run_id={id}.parquet</c> (a layout DuckDB, Spark, Synapse
/// and Databricks read directly with hive partitioning), and a manifest per project. Append, never
/// mutate: a run id saved again with other content is refused unless forced, and a forced save keeps
/// the old file (renamed so that *.parquet globs see only current versions).
/// </summary>
public sealed class EvalRunStore
{
    public const string ManifestFileName = "manifest.json";
    private const int ManifestVersion = 1;

    public EvalRunStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Projects with a manifest, for completion and listing.</summary>
    public IReadOnlyList<string> Projects()
        => Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, ManifestFileName))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : Array.Empty<string>();

    /// <summary>Saves both runs of a gate report; the candidate records delta, p-value, verdict and its parent.</summary>
    public IReadOnlyList<SaveResult> SaveReport(string project, GateReport report, bool force, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.BaselineRun is null || report.CandidateRun is null)
        {
            throw new EvalSigException(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidArgument, "This gate report carries no runs (it was read back from JSON): save the RunFrames themselves, or " + Diagnostics.Surface.Say("pipe the report straight from Invoke-EvalGate.", "save the run files."), report.CandidateRunId);
        }

        var b = Save(project, report.BaselineRun, force, null, cancel);
        var c = Save(project, report.CandidateRun, force, report, cancel);
        return new[] { b, c };
    }

    public SaveResult Save(string project, RunFrame frame, bool force, GateReport? gate = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        StoreIdentifier.Check(project, "project id");
        StoreIdentifier.Check(frame.RunId, "run id");
        var projectDir = Path.Combine(Root, project);
        Directory.CreateDirectory(projectDir);
        var hash = ContentHash(frame);
        var ts = IsoTime.ToMicroseconds(frame.Timestamp ?? DateTimeOffset.UtcNow);
        var relative = string.Create(CultureInfo.InvariantCulture, $"year={ts.UtcDateTime.Year:D4}/month={ts.UtcDateTime.Month:D2}/run_id={frame.RunId}.parquet");
        var target = Path.Combine(projectDir, relative.Replace('/', Path.DirectorySeparatorChar));

        using var guard = LedgerLock.Acquire(Path.Combine(projectDir, ".manifest.lock"), TimeSpan.FromSeconds(60), cancel);
        var runs = ReadManifest(project).ToList();
        var current = runs.FindIndex(r => r.RunId == frame.RunId && !r.Superseded);
        var version = 1;
        if (current >= 0)
        {
            var existing = runs[current];
            if (existing.ContentSha256 == hash)
            {
                if (gate is not null && existing.Verdict is null)
                {
                    runs[current] = existing with { Delta = gate.Comparison.Delta, PValue = gate.Comparison.PValue, Verdict = gate.Verdict.ToString(), ParentRunId = gate.BaselineRunId };
                    WriteManifest(project, runs);
                }

                return new SaveResult(SaveOutcome.Unchanged, runs[current]);
            }

            if (!force)
            {
                throw new EvalSigException(
                    EvalSigError.RunAlreadyExists,
                    EvalSigErrorKind.ResourceExists,
                    $"Run '{frame.RunId}' is already in project '{project}' with different content ({existing.Path}). Runs are never changed in place: use a new run id, or " + Diagnostics.Surface.Say("-Force", "--force") + $" to save a new version (the old file is kept).",
                    frame.RunId);
            }

            version = existing.Version + 1;
        }

        var stored = Stored(frame, project, ts);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var staging = Path.Combine(Path.GetDirectoryName(target)!, "." + Path.GetFileName(target) + ".new");
        RunFrameFile.Write(stored, staging, RunFrameFormat.Parquet, noClobber: false, cancel);
        if (current >= 0)
        {
            // Keep the superseded version under a name that *.parquet globs do not match.
            var old = runs[current];
            var kept = old.Path + string.Create(CultureInfo.InvariantCulture, $".v{old.Version}.superseded");
            if (File.Exists(old.Path))
            {
                File.Move(old.Path, kept, overwrite: false);
            }

            runs[current] = old with { Superseded = true, Path = kept };
        }

        File.Move(staging, target, overwrite: true);
        var entry = new StoredRun
        {
            ProjectId = project,
            RunId = frame.RunId,
            Model = frame.ModelId,
            Task = frame.TaskId,
            Metric = frame.MetricName,
            Timestamp = ts,
            NItems = frame.Count,
            ConfigHash = string.IsNullOrEmpty(frame.ConfigHash) ? null : frame.ConfigHash,
            Delta = gate?.Comparison.Delta,
            PValue = gate?.Comparison.PValue,
            Verdict = gate?.Verdict.ToString(),
            ParentRunId = gate?.BaselineRunId,
            Path = target,
            Version = version,
            Superseded = false,
            ContentSha256 = hash,
            SavedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
        };
        runs.Add(entry);
        WriteManifest(project, runs);
        return new SaveResult(current >= 0 ? SaveOutcome.NewVersion : SaveOutcome.Saved, entry);
    }

    /// <summary>A project's runs, oldest first; current versions only unless asked.</summary>
    public IReadOnlyList<StoredRun> History(string project, HistoryQuery? query = null)
    {
        StoreIdentifier.Check(project, "project id");
        var q = query ?? new HistoryQuery();
        if (!File.Exists(Path.Combine(Root, project, ManifestFileName)))
        {
            throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"There is no project '{project}' in the run store '{Root}'.{(Projects() is { Count: > 0 } p ? " Projects: " + string.Join(", ", p) + "." : string.Empty)}", project);
        }

        return ReadManifest(project)
            .Where(r => (q.IncludeSuperseded || !r.Superseded)
                && (q.Since is not { } s || r.Timestamp >= s)
                && (q.Until is not { } u || r.Timestamp <= u)
                && (q.Model is null || string.Equals(r.Model, q.Model, StringComparison.Ordinal))
                && (q.Task is null || string.Equals(r.Task, q.Task, StringComparison.Ordinal))
                && (q.Metric is null || string.Equals(r.Metric, q.Metric, StringComparison.Ordinal))
                && (q.Verdict is null || string.Equals(r.Verdict, q.Verdict, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(r => r.Timestamp)
            .ThenBy(r => r.SavedAt)
            .ToList();
    }

    /// <summary>The current version of a run, exactly as saved.</summary>
    public RunFrame Load(string project, string runId, CancellationToken cancel = default)
    {
        StoreIdentifier.Check(runId, "run id");
        var run = History(project).LastOrDefault(r => r.RunId == runId)
            ?? throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"Run '{runId}' is not in project '{project}' (" + Diagnostics.Surface.Say("Get-EvalHistory", "`evalsig history`") + " lists the runs).", runId);
        return RunFrameFile.Read(run.Path, new RunFrameReadOptions { Format = RunFrameFormat.Parquet }, cancel);
    }

    /// <summary>
    /// SHA-256 over the run fields and every item (id, score bits, cluster, epoch, metadata), each
    /// length-prefixed. Independent of the save time and project, so a re-save is recognised.
    /// </summary>
    public static string ContentHash(RunFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var n = new byte[8];
        void Str(string? s)
        {
            if (s is null)
            {
                BitConverter.TryWriteBytes(n, -1L);
                h.AppendData(n);
                return;
            }

            var bytes = Encoding.UTF8.GetBytes(s);
            BitConverter.TryWriteBytes(n, (long)bytes.Length);
            h.AppendData(n);
            h.AppendData(bytes);
        }

        Str(frame.RunId);
        Str(frame.ModelId);
        Str(frame.TaskId);
        Str(frame.MetricName);
        Str(string.IsNullOrEmpty(frame.ConfigHash) ? null : frame.ConfigHash);
        for (var i = 0; i < frame.Count; i++)
        {
            Str(frame.ItemIdArray[i]);
            BitConverter.TryWriteBytes(n, BitConverter.DoubleToInt64Bits(frame.ScoreArray[i]));
            h.AppendData(n);
            Str(frame.ClusterIdArray[i]);
            BitConverter.TryWriteBytes(n, (long)frame.EpochArray[i]);
            h.AppendData(n);
            Str(frame.MetadataArray[i]);
        }

        return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
    }

    private static RunFrame Stored(RunFrame f, string project, DateTimeOffset ts)
        => new(f.Header with { ProjectId = project, Timestamp = ts }, f.ItemIdArray, f.ScoreArray, f.ClusterIdArray, f.EpochArray, f.MetadataArray, f.SourcePath);

    private List<StoredRun> ReadManifest(string project)
    {
        var path = Path.Combine(Root, project, ManifestFileName);
        if (!File.Exists(path))
        {
            return new List<StoredRun>();
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var projectDir = Path.Combine(Root, project);
            var list = new List<StoredRun>();
            foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                double? D(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
                list.Add(new StoredRun
                {
                    ProjectId = project,
                    RunId = S("run_id")!,
                    Model = S("model_id") ?? string.Empty,
                    Task = S("task_id") ?? string.Empty,
                    Metric = S("metric_name") ?? string.Empty,
                    Timestamp = IsoTime.TryParse(S("ts"), out var ts) ? ts : default,
                    NItems = r.GetProperty("n_items").GetInt32(),
                    ConfigHash = S("config_hash"),
                    Delta = D("delta"),
                    PValue = D("p_value"),
                    Verdict = S("verdict"),
                    ParentRunId = S("parent_run_id"),
                    Path = Path.GetFullPath(Path.Combine(projectDir, S("path")!.Replace('/', Path.DirectorySeparatorChar))),
                    Version = r.TryGetProperty("version", out var ver) ? ver.GetInt32() : 1,
                    Superseded = r.TryGetProperty("superseded", out var sup) && sup.ValueKind == JsonValueKind.True,
                    ContentSha256 = S("content_sha256") ?? string.Empty,
                    SavedAt = IsoTime.TryParse(S("saved_at"), out var saved) ? saved : default,
                });
            }

            return list;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EvalSigException(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidData, $"The manifest '{path}' is not valid: {ex.Message}", path, ex);
        }
    }

    private void WriteManifest(string project, List<StoredRun> runs)
    {
        var projectDir = Path.Combine(Root, project);
        var json = JsonValues.Serialize(new OrderedStringDictionary
        {
            ["project_id"] = project,
            ["version"] = ManifestVersion,
            ["runs"] = runs.Select(r => new OrderedStringDictionary
            {
                ["run_id"] = r.RunId,
                ["model_id"] = r.Model,
                ["task_id"] = r.Task,
                ["metric_name"] = r.Metric,
                ["ts"] = IsoTime.Format(r.Timestamp),
                ["path"] = Path.GetRelativePath(projectDir, r.Path).Replace(Path.DirectorySeparatorChar, '/'),
                ["n_items"] = r.NItems,
                ["config_hash"] = r.ConfigHash,
                ["delta"] = r.Delta,
                ["p_value"] = r.PValue,
                ["verdict"] = r.Verdict,
                ["parent_run_id"] = r.ParentRunId,
                ["version"] = r.Version,
                ["superseded"] = r.Superseded,
                ["content_sha256"] = r.ContentSha256,
                ["saved_at"] = IsoTime.Format(r.SavedAt),
            }).ToList(),
        }, indented: true);
        var bytes = Encoding.UTF8.GetBytes(json + "\n");
        AtomicFile.Write(Path.Combine(projectDir, ManifestFileName), s => s.Write(bytes), noClobber: false);
    }
}
