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

    /// <summary>The runs this query selects, oldest first (ties by save time); one rule for every store.</summary>
    public IReadOnlyList<StoredRun> Apply(IEnumerable<StoredRun> runs)
        => runs
            .Where(r => (IncludeSuperseded || !r.Superseded)
                && (Since is not { } s || r.Timestamp >= s)
                && (Until is not { } u || r.Timestamp <= u)
                && (Model is null || string.Equals(r.Model, Model, StringComparison.Ordinal))
                && (Task is null || string.Equals(r.Task, Task, StringComparison.Ordinal))
                && (Metric is null || string.Equals(r.Metric, Metric, StringComparison.Ordinal))
                && (Verdict is null || string.Equals(r.Verdict, Verdict, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(r => r.Timestamp)
            .ThenBy(r => r.SavedAt)
            .ToList();
}

/// <summary>
/// The run store: every RunFrame as snappy Parquet at
/// <c>{root}/{project}/year=YYYY/month=MM/run_id={id}.parquet</c> (a layout DuckDB, Spark, Synapse
/// and Databricks read directly with hive partitioning), and a manifest per project. Append, never
/// mutate: a run id saved again with other content is refused unless forced, and a forced save keeps
/// the old file (renamed so that *.parquet globs see only current versions).
/// </summary>
public sealed class EvalRunStore : IRunStore
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
        var created = new List<string>();
        try
        {
            Storage(() => CreateDirectories(projectDir, created), projectDir, "creating the project directory");
        }
        catch
        {
            Undo(null, null, null, null, created);
            throw;
        }

        var hash = ContentHash(frame);
        var ts = IsoTime.ToMicroseconds(frame.Timestamp ?? DateTimeOffset.UtcNow);
        var relative = string.Create(CultureInfo.InvariantCulture, $"year={ts.UtcDateTime.Year:D4}/month={ts.UtcDateTime.Month:D2}/run_id={frame.RunId}.parquet");
        var target = Contained(projectDir, relative, frame.RunId);

        LedgerLock lockHeld;
        try
        {
            lockHeld = LedgerLock.Acquire(Path.Combine(projectDir, ".manifest.lock"), TimeSpan.FromSeconds(60), cancel);
        }
        catch
        {
            Undo(null, null, null, null, created);
            throw;
        }

        using var guard = lockHeld;
        var changed = !File.Exists(Path.Combine(projectDir, ManifestFileName)); // a lost manifest is rebuilt from the files
        var runs = ReadManifest(project).ToList();
        changed &= runs.Count > 0;
        var current = runs.FindIndex(r => r.RunId == frame.RunId && !r.Superseded);
        if (File.Exists(target) && (current < 0 || runs[current].Path != target))
        {
            // A Parquet file the manifest does not list (it was lost, or is out of step): it is a
            // stored run all the same, never overwritten without -Force. Take it into the manifest.
            runs.Add(FromFile(project, target, superseded: false, version: 1 + runs.Where(r => r.RunId == frame.RunId).Select(r => r.Version).DefaultIfEmpty(0).Max()));
            if (current >= 0)
            {
                runs[current] = runs[current] with { Superseded = true };
            }

            current = runs.Count - 1;
            changed = true;
        }

        var version = 1;
        if (current >= 0)
        {
            var existing = runs[current];
            if (existing.ContentSha256 == hash)
            {
                if (gate is not null && existing.Verdict is null)
                {
                    runs[current] = existing with { Delta = gate.Comparison.Delta, PValue = gate.Comparison.PValue, Verdict = gate.Verdict.ToString(), ParentRunId = gate.BaselineRunId };
                    changed = true;
                }

                if (changed)
                {
                    WriteManifest(project, runs);
                }

                return new SaveResult(SaveOutcome.Unchanged, runs[current]);
            }

            if (!force)
            {
                if (changed)
                {
                    WriteManifest(project, runs); // keep what was learnt from the files
                }

                throw new EvalSigException(
                    EvalSigError.RunAlreadyExists,
                    EvalSigErrorKind.ResourceExists,
                    $"Run '{frame.RunId}' is already in project '{project}' with different content ({existing.Path}). Runs are never changed in place: use a new run id, or " + Diagnostics.Surface.Say("-Force", "--force") + $" to save a new version (the old file is kept).",
                    frame.RunId);
            }

            version = existing.Version + 1;
        }

        var stored = Stored(frame, project, ts);
        var directory = Path.GetDirectoryName(target)!;
        var staging = Path.Combine(directory, "." + Path.GetFileName(target) + ".new");
        string? kept = null;
        string? oldPath = null;
        var placing = false;
        try
        {
            Storage(() => CreateDirectories(directory, created), directory, "creating the partition directory");
            RunFrameFile.Write(stored, staging, RunFrameFormat.Parquet, noClobber: false, cancel);
            if (current >= 0)
            {
                // Keep the superseded version under a name that *.parquet globs do not match.
                var old = runs[current];
                oldPath = old.Path;
                kept = old.Path + string.Create(CultureInfo.InvariantCulture, $".v{old.Version}.superseded");
                if (File.Exists(old.Path))
                {
                    Storage(() => FileOps.Rename(old.Path, kept, overwrite: false), kept, "keeping the superseded version as");
                }
                else
                {
                    kept = null;
                }

                runs[current] = old with { Superseded = true, Path = kept ?? old.Path + string.Create(CultureInfo.InvariantCulture, $".v{old.Version}.superseded") };
            }

            placing = true;
            Storage(() => FileOps.Rename(staging, target, overwrite: false), target, "placing the new run at");
            var entry = StoredRun.Create(project, frame, ts, gate, target, version, hash);
            runs.Add(entry);
            WriteManifest(project, runs);
            return new SaveResult(current >= 0 ? SaveOutcome.NewVersion : SaveOutcome.Saved, entry);
        }
        catch (Exception ex) when (ex is EvalSigException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            // The manifest's rename is the commit point: once the manifest lists the new version,
            // only its directory flush can have failed, and the save stands (the error still says so).
            // Before it, nothing half-done stays: the new file goes, the old one comes back, new
            // empty directories go.
            if (!Committed(project, target, hash, version))
            {
                // The new file is ours to remove once its staging name is gone (the rename happened).
                Undo(staging, placing && !File.Exists(staging) ? target : null, kept, oldPath, created);
            }

            if (ex is EvalSigException or OperationCanceledException)
            {
                throw;
            }

            throw StorageFault.Classify(ex, target, "saving") ?? new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Saving '{target}' failed: {ex.Message}", target, ex);
        }
    }

    /// <summary>A project's runs, oldest first; current versions only unless asked.</summary>
    public IReadOnlyList<StoredRun> History(string project, HistoryQuery? query = null)
    {
        StoreIdentifier.Check(project, "project id");
        var q = query ?? new HistoryQuery();
        if (!File.Exists(Path.Combine(Root, project, ManifestFileName)) && !Directory.Exists(Path.Combine(Root, project)))
        {
            throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"There is no project '{project}' in the run store '{Root}'.{(Projects() is { Count: > 0 } p ? " Projects: " + string.Join(", ", p) + "." : string.Empty)}", project);
        }

        return q.Apply(ReadManifest(project));
    }

    /// <summary>The current version of a run, exactly as saved: its content must still match the manifest's content_sha256.</summary>
    public RunFrame Load(string project, string runId, CancellationToken cancel = default)
    {
        StoreIdentifier.Check(runId, "run id");
        var run = History(project).LastOrDefault(r => r.RunId == runId)
            ?? throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"Run '{runId}' is not in project '{project}' (" + Diagnostics.Surface.Say("Get-EvalHistory", "`evalsig history`") + " lists the runs).", runId);
        return ReadVerified(run.Path, run.ContentSha256, cancel);
    }

    /// <summary>
    /// A stored Parquet file, checked against <paramref name="expectedSha256"/> - or, when none is
    /// given and the file lies in a store, against its manifest entry. A file outside any store is
    /// read as it is.
    /// </summary>
    public static RunFrame ReadFile(string path, string? expectedSha256 = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (string.IsNullOrEmpty(expectedSha256))
        {
            // {root}/{project}/year=YYYY/month=MM/run_id=ID.parquet: the manifest is two levels up.
            var projectDir = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(full) ?? string.Empty) ?? string.Empty);
            if (!string.IsNullOrEmpty(projectDir) && File.Exists(Path.Combine(projectDir, ManifestFileName)))
            {
                var store = new EvalRunStore(Path.GetDirectoryName(projectDir)!);
                var entry = store.ReadManifest(Path.GetFileName(projectDir)).FirstOrDefault(r => string.Equals(r.Path, full, StringComparison.Ordinal))
                    ?? throw new EvalSigException(EvalSigError.RunStoreCorrupt, EvalSigErrorKind.InvalidData, $"'{full}' lies in the run store project '{projectDir}' but its manifest does not list it, so it cannot be checked: it was not saved by Save-EvalRun.", full);
                expectedSha256 = entry.ContentSha256;
            }
            else
            {
                return RunFrameFile.Read(full, new RunFrameReadOptions { Format = RunFrameFormat.Parquet }, cancel);
            }
        }

        return ReadVerified(full, expectedSha256!, cancel);
    }

    private static RunFrame ReadVerified(string path, string expectedSha256, CancellationToken cancel)
    {
        var frame = RunFrameFile.Read(path, new RunFrameReadOptions { Format = RunFrameFormat.Parquet }, cancel);
        var actual = ContentHash(frame);
        if (!string.Equals(actual, expectedSha256, StringComparison.Ordinal))
        {
            throw new EvalSigException(
                EvalSigError.RunStoreCorrupt,
                EvalSigErrorKind.InvalidData,
                $"The stored run '{path}' does not match the content_sha256 its manifest recorded ({(string.IsNullOrEmpty(expectedSha256) ? "none" : expectedSha256)}; the file hashes to {actual}): it was changed after it was saved. Restore it from a backup.",
                path);
        }

        return frame;
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
            Str(frame.ItemId(i));
            BitConverter.TryWriteBytes(n, BitConverter.DoubleToInt64Bits(frame.ScoreArray[i]));
            h.AppendData(n);
            Str(frame.ClusterId(i));
            BitConverter.TryWriteBytes(n, (long)frame.Epoch(i));
            h.AppendData(n);
            Str(frame.Metadata(i));
        }

        return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
    }

    private static RunFrame Stored(RunFrame f, string project, DateTimeOffset ts)
        => f.WithHeader(f.Header with { ProjectId = project, Timestamp = ts });

    /// <summary>
    /// A project's manifest entries. Every entry is checked - fields of the right type, a path that
    /// stays inside the project (no rooted path, no "..", no symbolic link) - and any fault is
    /// RunStoreCorrupt naming the entry. With the manifest lost, the entries are rebuilt from the
    /// Parquet files themselves.
    /// </summary>
    private List<StoredRun> ReadManifest(string project)
    {
        var projectDir = Path.Combine(Root, project);
        var path = Path.Combine(projectDir, ManifestFileName);
        if (!File.Exists(path))
        {
            return Directory.Exists(projectDir) ? RebuildFromFiles(project) : new List<StoredRun>();
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw Corrupt(path, $"it is not valid JSON ({ex.Message})", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("runs", out var runsElement) || runsElement.ValueKind != JsonValueKind.Array)
            {
                throw Corrupt(path, "it has no \"runs\" array");
            }

            var list = new List<StoredRun>();
            var index = 0;
            foreach (var r in runsElement.EnumerateArray())
            {
                var at = string.Create(CultureInfo.InvariantCulture, $"entry {index++}");
                if (r.ValueKind != JsonValueKind.Object)
                {
                    throw Corrupt(path, at + " is not an object");
                }

                string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                string Required(string name) => S(name) ?? throw Corrupt(path, $"{at} has no \"{name}\" string");
                double? D(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : null;
                int Int(string name, int fallback) => !r.TryGetProperty(name, out var v) ? fallback
                    : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= 0 ? i : throw Corrupt(path, $"{at} has a \"{name}\" that is not a whole number");
                var runId = Required("run_id");
                if (!StoreIdentifier.IsValid(runId))
                {
                    throw Corrupt(path, $"{at} names the run id '{runId}', which is not a valid identifier");
                }

                var relative = Required("path");
                list.Add(new StoredRun
                {
                    ProjectId = project,
                    RunId = runId,
                    Model = S("model_id") ?? string.Empty,
                    Task = S("task_id") ?? string.Empty,
                    Metric = S("metric_name") ?? string.Empty,
                    Timestamp = IsoTime.TryParse(S("ts"), out var ts) ? ts : default,
                    NItems = Int("n_items", -1) is var n and >= 0 ? n : throw Corrupt(path, $"{at} has no \"n_items\""),
                    ConfigHash = S("config_hash"),
                    Delta = D("delta"),
                    PValue = D("p_value"),
                    Verdict = S("verdict"),
                    ParentRunId = S("parent_run_id"),
                    Path = Contained(projectDir, relative, runId, path),
                    Version = Math.Max(1, Int("version", 1)),
                    Superseded = r.TryGetProperty("superseded", out var sup) && sup.ValueKind == JsonValueKind.True,
                    ContentSha256 = S("content_sha256") ?? string.Empty,
                    SavedAt = IsoTime.TryParse(S("saved_at"), out var saved) ? saved : default,
                });
            }

            return list;
        }
    }

    /// <summary>The manifest's entries again, from the Parquet files (current and superseded) of a project whose manifest is lost.</summary>
    private List<StoredRun> RebuildFromFiles(string project)
    {
        var projectDir = Path.Combine(Root, project);
        var runs = new List<StoredRun>();
        foreach (var file in Directory.EnumerateFiles(projectDir, "run_id=*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            var superseded = name.EndsWith(".superseded", StringComparison.Ordinal);
            if (!superseded && !name.EndsWith(".parquet", StringComparison.Ordinal))
            {
                continue;
            }

            var version = 0;
            if (superseded)
            {
                var v = name[..^".superseded".Length];
                var dot = v.LastIndexOf(".v", StringComparison.Ordinal);
                if (dot < 0 || !int.TryParse(v.AsSpan(dot + 2), NumberStyles.None, CultureInfo.InvariantCulture, out version))
                {
                    continue;
                }
            }

            runs.Add(FromFile(project, file, superseded, version));
        }

        // A current file's version follows its superseded ones.
        foreach (var i in Enumerable.Range(0, runs.Count).Where(i => !runs[i].Superseded))
        {
            var id = runs[i].RunId;
            runs[i] = runs[i] with { Version = 1 + runs.Where(r => r.RunId == id && r.Superseded).Select(r => r.Version).DefaultIfEmpty(0).Max() };
        }

        return runs;
    }

    /// <summary>A manifest entry for a stored file, from its own content (gate fields are not in the file, so they stay empty).</summary>
    private static StoredRun FromFile(string project, string file, bool superseded, int version)
    {
        RunFrame frame;
        try
        {
            frame = RunFrameFile.Read(file, new RunFrameReadOptions { Format = RunFrameFormat.Parquet });
        }
        catch (EvalSigException ex)
        {
            throw new EvalSigException(EvalSigError.RunStoreCorrupt, EvalSigErrorKind.InvalidData, $"The stored file '{file}' cannot be read, so the manifest of project '{project}' cannot be rebuilt: {ex.Message}", file, ex);
        }

        return new StoredRun
        {
            ProjectId = project,
            RunId = frame.RunId,
            Model = frame.ModelId,
            Task = frame.TaskId,
            Metric = frame.MetricName,
            Timestamp = frame.Timestamp ?? default,
            NItems = frame.Count,
            ConfigHash = string.IsNullOrEmpty(frame.ConfigHash) ? null : frame.ConfigHash,
            Path = Path.GetFullPath(file),
            Version = Math.Max(1, version),
            Superseded = superseded,
            ContentSha256 = ContentHash(frame),
            SavedAt = new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero),
        };
    }

    /// <summary>
    /// A path from the manifest (or built for a run), resolved under the project directory; one that
    /// leaves it, is rooted, climbs with "..", or runs through a symbolic link is RunStoreCorrupt.
    /// </summary>
    private static string Contained(string projectDir, string relative, string runId, string? manifest = null)
    {
        var root = Path.GetFullPath(projectDir);
        var problem = Path.IsPathRooted(relative) || relative.Contains('\\', StringComparison.Ordinal)
            || relative.Split('/').Any(seg => seg is "" or "." or "..")
            ? "is not a plain relative path" : null;
        var full = Path.GetFullPath(Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (problem is null && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            problem = "leads outside the project directory";
        }

        if (problem is null)
        {
            for (var p = full; p.Length > root.Length; p = Path.GetDirectoryName(p)!)
            {
                var info = Directory.Exists(p) ? (FileSystemInfo)new DirectoryInfo(p) : new FileInfo(p);
                if (info.Exists && info.LinkTarget is not null)
                {
                    problem = $"runs through the symbolic link '{p}'";
                    break;
                }
            }
        }

        if (problem is not null)
        {
            throw new EvalSigException(EvalSigError.RunStoreCorrupt, EvalSigErrorKind.InvalidData, $"The path '{relative}' of run '{runId}'{(manifest is null ? string.Empty : $" in '{manifest}'")} {problem}; the store only reads and writes inside '{root}'. Fix or restore the manifest.", manifest ?? relative);
        }

        return full;
    }

    private static EvalSigException Corrupt(string manifest, string what, Exception? inner = null)
        => new(EvalSigError.RunStoreCorrupt, EvalSigErrorKind.InvalidData, $"The manifest '{manifest}' is damaged: {what}. Restore it from a backup, or delete it and save again (the manifest is then rebuilt from the Parquet files).", manifest, inner);

    /// <summary>Creates a directory and its missing parents (each flushed), remembering which were new.</summary>
    private static void CreateDirectories(string directory, List<string> created)
    {
        // Remembered before they are made: a fault half-way still leaves them to be removed.
        for (var d = Path.GetFullPath(directory); !Directory.Exists(d); d = Path.GetDirectoryName(d)!)
        {
            created.Add(d);
        }

        FileOps.CreateDirectory(directory);
    }

    private bool Committed(string project, string target, string hash, int version)
    {
        try
        {
            return File.Exists(Path.Combine(Root, project, ManifestFileName))
                && ReadManifest(project).Any(r => !r.Superseded && r.Path == target && r.ContentSha256 == hash && r.Version == version);
        }
        catch (EvalSigException)
        {
            return false;
        }
    }

    private static void Undo(string? staging, string? placed, string? kept, string? original, List<string> created)
    {
        void Quietly(Action a)
        {
            try
            {
                a();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the original error is reported; what could not be undone is named by it.
            }
        }

        if (staging is not null)
        {
            Quietly(() => FileOps.Delete(staging));
        }

        if (placed is not null)
        {
            Quietly(() => FileOps.Delete(placed));
        }

        if (kept is not null && original is not null && File.Exists(kept) && !File.Exists(original))
        {
            Quietly(() => FileOps.Rename(kept, original, overwrite: false));
        }

        foreach (var d in created.OrderByDescending(d => d.Length))
        {
            Quietly(() =>
            {
                if (Directory.Exists(d) && !Directory.EnumerateFileSystemEntries(d).Any())
                {
                    Directory.Delete(d);
                }
            });
        }
    }

    private static void Storage(Action action, string path, string doing)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageFault.Classify(ex, path, doing)
                ?? new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Failed while {doing} '{path}': {ex.Message}", path, ex);
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
