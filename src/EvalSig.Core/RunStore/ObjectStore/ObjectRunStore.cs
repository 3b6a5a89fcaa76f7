using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.ObjectStorage;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Time;

namespace EvalSig.Core.RunStore;

/// <summary>
/// The run store in object storage, with the layout of the local store - so DuckDB, Spark, Synapse and
/// Databricks read the bucket directly with hive partitioning:
/// <c>{prefix}/{project}/year=YYYY/month=MM/run_id={id}.parquet</c> and <c>{prefix}/{project}/manifest.json</c>.
/// A run's object is created only if absent (If-None-Match: *); the manifest is replaced only if
/// unchanged since it was read (If-Match its entity tag), and a save that loses re-reads it and applies
/// its change again, so two concurrent saves never lose one. A forced new version keeps the old object
/// as <c>...parquet.vN.superseded</c>, which *.parquet globs do not match. Both conditions are probed:
/// a service that ignores them is refused unless single-writer mode is declared.
/// </summary>
public sealed class ObjectRunStore : IRunStore, IDisposable
{
    private const int MaxRounds = 40;
    private readonly ObjectStoreClient _client;
    private readonly bool _singleWriter;
    private bool _checked;

    private ObjectRunStore(ObjectStoreClient client, bool singleWriter)
    {
        _client = client;
        _singleWriter = singleWriter;
    }

    public string Root => _client.Location.ToString();

    public ObjectStoreLocation Location => _client.Location;

    /// <summary>Writers: the location's ?writers=single, else EVALSIG_AUDIT_WRITERS, else multiple.</summary>
    public static ObjectRunStore Open(string root)
    {
        var location = ObjectStoreLocation.Parse(root);
        var writers = location.Option("writers") ?? Environment.GetEnvironmentVariable(Audit.ObjectLedger.WritersEnvironmentVariable);
        return new ObjectRunStore(ObjectStoreClient.Connect(location), writers == "single");
    }

    /// <summary>A run read back from its object URI (a history object's Path).</summary>
    public static RunFrame ReadObject(string objectUri, CancellationToken cancel = default)
    {
        var location = ObjectStoreLocation.Parse(objectUri);
        using var client = ObjectStoreClient.Connect(location);
        var content = client.Read(location.Prefix, cancel)
            ?? throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"There is no object '{location}'.", objectUri);
        return Parse(content.Bytes, location.ToString(), cancel);
    }

    public IReadOnlyList<string> Projects()
    {
        var projects = new SortedSet<string>(StringComparer.Ordinal);
        var root = Location.KeyRoot;
        foreach (var o in _client.List(root, null, default))
        {
            var rest = o.Name[root.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && rest[(slash + 1)..] == EvalRunStore.ManifestFileName)
            {
                projects.Add(rest[..slash]);
            }
        }

        return projects.ToList();
    }

    public IReadOnlyList<SaveResult> SaveReport(string project, GateReport report, bool force, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.GetBaseline() is not { } baseline || report.GetCandidate() is not { } candidate)
        {
            throw new EvalSigException(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidArgument, "This gate report carries no runs (it was read back from JSON): save the RunFrames themselves, or pipe the report straight from Invoke-EvalGate.", report.CandidateRunId);
        }

        return new[] { Save(project, baseline, force, null, cancel), Save(project, candidate, force, report, cancel) };
    }

    public SaveResult Save(string project, RunFrame frame, bool force, GateReport? gate = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        StoreIdentifier.Check(project, "project id");
        StoreIdentifier.Check(frame.RunId, "run id");
        EnsureWritable(cancel);
        var hash = EvalRunStore.ContentHash(frame);
        var ts = IsoTime.ToMicroseconds(frame.Timestamp ?? DateTimeOffset.UtcNow);
        var relative = string.Create(CultureInfo.InvariantCulture, $"year={ts.UtcDateTime.Year:D4}/month={ts.UtcDateTime.Month:D2}/run_id={frame.RunId}.parquet");
        var stored = frame.WithHeader(frame.Header with { ProjectId = project, Timestamp = ts });
        byte[] bytes;
        using (var ms = new MemoryStream())
        {
            RunFrameParquet.Write(stored, ms, cancel);
            bytes = ms.ToArray();
        }

        for (var round = 0; round < MaxRounds; round++)
        {
            cancel.ThrowIfCancellationRequested();
            var (runs, manifestETag) = ReadManifest(project, cancel);
            var current = runs.FindIndex(r => r.RunId == frame.RunId && !r.Superseded);
            var outcome = SaveOutcome.Saved;
            var version = 1;
            if (current >= 0)
            {
                var existing = runs[current];
                if (existing.ContentSha256 == hash)
                {
                    if (gate is null || existing.Verdict is not null)
                    {
                        return new SaveResult(SaveOutcome.Unchanged, existing);
                    }

                    runs[current] = existing with { Delta = gate.Comparison.Delta, PValue = gate.Comparison.PValue, Verdict = gate.Verdict.ToString(), ParentRunId = gate.BaselineRunId };
                    if (WriteManifest(project, runs, manifestETag, cancel))
                    {
                        return new SaveResult(SaveOutcome.Unchanged, runs[current]);
                    }

                    continue;
                }

                if (!force)
                {
                    throw Exists(project, frame.RunId, existing.Path);
                }

                // A forced new version: keep the current object under its superseded name (which
                // *.parquet globs do not match), then put the new one in place - replacing the old
                // object only if it is still the version the manifest names.
                var oldKey = ObjectKey(existing.Path);
                var newKey = Location.KeyRoot + project + "/" + relative;
                var currentObject = _client.Read(oldKey, cancel);
                if (currentObject is not null && HashOf(currentObject.Bytes, oldKey, cancel) != hash)
                {
                    _client.TryCreate(oldKey + string.Create(CultureInfo.InvariantCulture, $".v{existing.Version}.superseded"), currentObject.Bytes, null, cancel);
                    if (oldKey == newKey)
                    {
                        if (_client.TryReplace(newKey, bytes, currentObject.ETag, cancel) is null)
                        {
                            continue; // another save replaced it in between: start over from the manifest
                        }
                    }
                    else
                    {
                        PutNew(project, frame.RunId, newKey, bytes, hash, cancel);
                        _client.Delete(oldKey, cancel);
                    }
                }
                else if (currentObject is null || oldKey != newKey)
                {
                    PutNew(project, frame.RunId, newKey, bytes, hash, cancel);
                }

                runs[current] = existing with { Superseded = true, Path = PathOfKey(oldKey + string.Create(CultureInfo.InvariantCulture, $".v{existing.Version}.superseded")) };
                version = existing.Version + 1;
                outcome = SaveOutcome.NewVersion;
            }
            else
            {
                PutNew(project, frame.RunId, Location.KeyRoot + project + "/" + relative, bytes, hash, cancel);
            }

            var entry = StoredRun.Create(project, frame, ts, gate, PathOf(project, relative), version, hash);
            runs.Add(entry);
            if (WriteManifest(project, runs, manifestETag, cancel))
            {
                return new SaveResult(outcome, entry);
            }

            Thread.Sleep(Random.Shared.Next(0, 4 * Math.Min(round + 1, 8)));
        }

        throw new EvalSigException(EvalSigError.AuditLedgerBusy, EvalSigErrorKind.InvalidOperation, $"The manifest of project '{project}' at '{Root}' kept changing under this save ({MaxRounds} rounds); try again.", project);
    }

    public IReadOnlyList<StoredRun> History(string project, HistoryQuery? query = null)
    {
        StoreIdentifier.Check(project, "project id");
        var q = query ?? new HistoryQuery();
        var (runs, etag) = ReadManifest(project, default);
        if (etag is null)
        {
            var projects = Projects();
            throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"There is no project '{project}' in the run store '{Root}'.{(projects.Count > 0 ? " Projects: " + string.Join(", ", projects) + "." : string.Empty)}", project);
        }

        return q.Apply(runs);
    }

    public RunFrame Load(string project, string runId, CancellationToken cancel = default)
    {
        StoreIdentifier.Check(runId, "run id");
        var run = History(project).LastOrDefault(r => r.RunId == runId)
            ?? throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"Run '{runId}' is not in project '{project}' (Get-EvalHistory lists the runs).", runId);
        var key = ObjectKey(run.Path);
        var content = _client.Read(key, cancel)
            ?? throw new EvalSigException(EvalSigError.RunNotFound, EvalSigErrorKind.ObjectNotFound, $"The manifest lists run '{runId}' at '{run.Path}', but the object is missing.", runId);
        return Parse(content.Bytes, run.Path, cancel);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Creates a run's object only if the name is free. Taken, but not listed by the manifest: a
    /// concurrent save of this run id in progress, or an earlier save cut off before its manifest
    /// update. Identical content is adopted; anything else is not ours to overwrite.
    /// </summary>
    private void PutNew(string project, string runId, string key, byte[] bytes, string hash, CancellationToken cancel)
    {
        if (_client.TryCreate(key, bytes, null, cancel))
        {
            return;
        }

        var there = _client.Read(key, cancel);
        if (there is not null && HashOf(there.Bytes, key, cancel) != hash)
        {
            throw Exists(project, runId, Location.ObjectUri(key));
        }
    }

    private static RunFrame Parse(byte[] bytes, string source, CancellationToken cancel)
    {
        var builder = new RunFrameBuilder(source, 0);
        using var ms = new MemoryStream(bytes, writable: false);
        RunFrameParquet.Read(ms, builder, cancel);
        return builder.Build();
    }

    private static string HashOf(byte[] parquet, string source, CancellationToken cancel)
        => EvalRunStore.ContentHash(Parse(parquet, source, cancel));

    private static EvalSigException Exists(string project, string runId, string path) => new(
        EvalSigError.RunAlreadyExists,
        EvalSigErrorKind.ResourceExists,
        $"Run '{runId}' is already in project '{project}' with different content ({path}). Runs are never changed in place: use a new run id, or -Force to save a new version (the old object is kept).",
        runId);

    /// <summary>Checks once that the service enforces both conditions the store relies on.</summary>
    private void EnsureWritable(CancellationToken cancel)
    {
        if (_checked || _singleWriter)
        {
            return;
        }

        if (!_client.EnforcesConditionalCreate(cancel) || !_client.EnforcesConditionalReplace(cancel))
        {
            throw new EvalSigException(
                EvalSigError.StorageUnsafe,
                EvalSigErrorKind.InvalidOperation,
                $"The service behind '{Root}' ({_client.Endpoint}) does not enforce conditional writes (If-None-Match: * on create, If-Match on replace): two concurrent saves could lose one. Nothing was written. Use a service that does (Azure Blob, AWS S3, Cloudflare R2, MinIO), or, only if one process at a time saves into this store, declare single-writer mode ({Root}?writers=single).",
                Root);
        }

        _checked = true;
    }

    /// <summary>A stored run's Path: its object URI, with the location's settings so it can be read back.</summary>
    private string PathOf(string project, string relative) => PathOfKey(Location.KeyRoot + project + "/" + relative);

    private string PathOfKey(string key)
    {
        var uri = Location.ObjectUri(key);
        return Location.Options.Count == 0 ? uri : uri + "?" + string.Join("&", Location.Options.Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value)));
    }

    /// <summary>The object key of a stored Path (which carries this store's scheme, container and settings).</summary>
    private string ObjectKey(string path)
    {
        var l = ObjectStoreLocation.Parse(path);
        if (l.Container != Location.Container || !l.Prefix.StartsWith(Location.KeyRoot, StringComparison.Ordinal))
        {
            throw new EvalSigException(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidData, $"The manifest names '{l}', outside the store '{Root}'.", path);
        }

        return l.Prefix;
    }

    private string ManifestKey(string project) => Location.KeyRoot + project + "/" + EvalRunStore.ManifestFileName;

    /// <summary>The manifest's runs (paths as object URIs) and its entity tag; no manifest is (empty, null).</summary>
    private (List<StoredRun> Runs, string? ETag) ReadManifest(string project, CancellationToken cancel)
    {
        var key = ManifestKey(project);
        var content = _client.Read(key, cancel);
        if (content is null)
        {
            return (new List<StoredRun>(), null);
        }

        try
        {
            using var doc = JsonDocument.Parse(content.Bytes);
            var list = new List<StoredRun>();
            foreach (var r in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                string? S(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                double? D(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
                var relative = S("path")!;
                if (!RelativePathIsInside(relative))
                {
                    throw new FormatException($"run path '{relative}' is not a year=/month=/run_id= path inside the project");
                }

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
                    Path = PathOf(project, relative),
                    Version = r.TryGetProperty("version", out var ver) ? ver.GetInt32() : 1,
                    Superseded = r.TryGetProperty("superseded", out var sup) && sup.ValueKind == JsonValueKind.True,
                    ContentSha256 = S("content_sha256") ?? string.Empty,
                    SavedAt = IsoTime.TryParse(S("saved_at"), out var saved) ? saved : default,
                });
            }

            return (list, content.ETag);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EvalSigException(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidData, $"The manifest '{Location.ObjectUri(key)}' is not valid: {ex.Message}", key, ex);
        }
    }

    private static bool RelativePathIsInside(string relative)
        => relative.StartsWith("year=", StringComparison.Ordinal) && !relative.Contains("..", StringComparison.Ordinal) && !relative.Contains('\\', StringComparison.Ordinal)
           && relative.Split('/').Length == 3 && relative.Split('/')[2].StartsWith("run_id=", StringComparison.Ordinal);

    /// <summary>Writes the manifest only if it is still the one read (If-Match; If-None-Match when there was none). False when it changed.</summary>
    private bool WriteManifest(string project, List<StoredRun> runs, string? etag, CancellationToken cancel)
    {
        var projectRoot = Location.ObjectUri(Location.KeyRoot + project + "/");
        var json = JsonValues.Serialize(new OrderedStringDictionary
        {
            ["project_id"] = project,
            ["version"] = 1,
            ["runs"] = runs.Select(r => new OrderedStringDictionary
            {
                ["run_id"] = r.RunId,
                ["model_id"] = r.Model,
                ["task_id"] = r.Task,
                ["metric_name"] = r.Metric,
                ["ts"] = IsoTime.Format(r.Timestamp),
                ["path"] = RelativeOf(r.Path, projectRoot),
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
        var key = ManifestKey(project);
        return etag is null ? _client.TryCreate(key, bytes, null, cancel) : _client.TryReplace(key, bytes, etag, cancel) is not null;
    }

    private static string RelativeOf(string path, string projectRoot)
    {
        var q = path.IndexOf('?', StringComparison.Ordinal);
        var plain = q < 0 ? path : path[..q];
        return plain.StartsWith(projectRoot, StringComparison.Ordinal) ? plain[projectRoot.Length..] : plain;
    }
}
