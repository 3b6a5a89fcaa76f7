using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EvalSig.Bridge.Cloud;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.ObjectStorage;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// The audit ledger in object storage (Azure Blob, S3, GCS, R2): the objects under
/// <c>{prefix}/chain/</c> are the truth - one object per append, named by the first chain position it
/// holds and created only if no object has that name (<c>If-None-Match: *</c>). A writer that loses the
/// race reads the new head, links its records to it, MACs them again and retries, so any number of
/// processes on any machines append without a lock server and the chain cannot fork: every position's
/// object has exactly one creator. The service must really refuse a second create; this is probed before
/// the first append, and multi-writer mode is refused where it does not. An append returns only after
/// the service acknowledged the object. Queries use a local SQLite cache (<see cref="ObjectLedgerIndex"/>);
/// verification reads the objects.
/// </summary>
public sealed class ObjectLedger : IAuditBackend, IDisposable
{
    public const string WritersEnvironmentVariable = "EVALSIG_AUDIT_WRITERS";
    private const int ReadParallelism = 16;
    private const int WalkLimit = 16;
    private const int Lookahead = 4;
    private const string HintFileName = "head";
    private static readonly TimeSpan AppendDeadline = TimeSpan.FromMinutes(3);

    /// <summary>
    /// The newest head each location was seen at in this process, read from or acknowledged by the
    /// service (so trusted): a new instance - every Add-AuditRecord in a session - starts from it
    /// instead of listing the ledger.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SegmentHead> KnownHeads = new(StringComparer.Ordinal);

    private readonly ObjectStoreClient _client;
    private readonly string _chainPrefix;
    private readonly object _gate = new();
    private bool? _retentionChecked;

    private ObjectLedger(ObjectStoreClient client, AuditWriterMode writers, AuditRetention? retention, string cacheDirectory)
    {
        _client = client;
        _chainPrefix = ChainSegments.Prefix(client.Location.KeyRoot);
        Writers = writers;
        Retention = retention;
        CacheDirectory = cacheDirectory;
    }

    /// <summary>"azure-blob", "s3", "gcs" or "r2".</summary>
    public string Name => StoreLocation.BackendName;

    /// <summary>az://container/prefix (no settings, no credentials).</summary>
    public string Location => StoreLocation.ToString();

    public ObjectStoreLocation StoreLocation => _client.Location;

    /// <summary>The service endpoint, without credentials.</summary>
    public string Endpoint => _client.Endpoint;

    public AuditWriterMode Writers { get; }

    public AuditRetention? Retention { get; }

    /// <summary>The folder of the local query cache (index.sqlite).</summary>
    public string CacheDirectory { get; }

    /// <summary>
    /// Connects to the location. Writers: options, else the location's ?writers=, else
    /// EVALSIG_AUDIT_WRITERS, else MultiWriter. Retention: options, else EVALSIG_AUDIT_RETENTION, else none.
    /// </summary>
    public static ObjectLedger Open(ObjectStoreLocation location, AuditBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        var writers = options?.Writers
            ?? (location.Option("writers") ?? Environment.GetEnvironmentVariable(WritersEnvironmentVariable)) switch
            {
                null or "" or "multiple" => AuditWriterMode.MultiWriter,
                "single" => AuditWriterMode.SingleWriter,
                var other => throw new EvalSigException(EvalSigError.StorageLocationInvalid, EvalSigErrorKind.InvalidArgument, $"'{other}' is not a writer mode ({WritersEnvironmentVariable}): use single or multiple.", other),
            };
        var retention = options?.Retention ?? (Environment.GetEnvironmentVariable(AuditRetention.EnvironmentVariable) is { Length: > 0 } r ? AuditRetention.Parse(r) : null);
        var cache = UserCacheDirectory.For("ledgers", location.Identity, options?.CacheDirectory);
        return new ObjectLedger(ObjectStoreClient.Connect(location), writers, retention, cache);
    }

    public static ObjectLedger Open(string location, AuditBackendOptions? options = null) => Open(ObjectStoreLocation.Parse(location), options);

    public IReadOnlyList<AuditRecord> Append(IReadOnlyList<AuditAppend> batch, AuditKey key, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(key);
        if (batch.Count == 0)
        {
            return Array.Empty<AuditRecord>();
        }

        var conditional = EnsureWritable(cancel);
        lock (_gate)
        {
            var head = Current(cancel);
            var deadline = DateTime.UtcNow + AppendDeadline;
            for (var attempt = 0; ; attempt++)
            {
                cancel.ThrowIfCancellationRequested();
                var first = head.Next;
                var now = DateTimeOffset.UtcNow;
                var records = new AuditRecord[batch.Count];
                var text = new StringBuilder(batch.Count * 320);
                for (var i = 0; i < batch.Count; i++)
                {
                    var a = batch[i];
                    records[i] = RecordCodec.Create(key, first + i, i == 0 ? head.LastHmac : records[i - 1].Hmac, a.SchemaKey, a.ProjectId, a.PayloadCanonical, now, Name);
                    text.Append(records[i].Line).Append('\n');
                }

                var bytes = Encoding.UTF8.GetBytes(text.ToString());
                var name = ChainSegments.Name(StoreLocation.KeyRoot, first);
                var retention = Retention is null ? null : new ObjectRetention(Retention.Mode.ToString().ToLowerInvariant(), now + Retention.Period);

                // Without an enforced If-None-Match (single-writer mode only) a look first keeps a
                // stale head from overwriting a segment; with it, the service alone decides.
                var created = (conditional || _client.Head(name, cancel) is null) && _client.TryCreate(name, bytes, retention, cancel);
                if (created)
                {
                    Remember(new SegmentHead(name, first, first + records.Length - 1, records[^1].Hmac));
                    return records;
                }

                // The position is taken. Read the winner's segment and the names after it in one round
                // trip: a loser that only read the winner would chase the head one segment per round
                // while the others advance it, and starve.
                var window = Enumerable.Range(0, Lookahead).Select(k => ChainSegments.Name(StoreLocation.KeyRoot, first + k)).ToList();
                var seen = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                var w = 0;
                foreach (var c in _client.ReadMany(window, Lookahead, cancel))
                {
                    if (c is not null)
                    {
                        seen[window[w]] = c.Bytes;
                    }

                    w++;
                }

                // By us, when a retried request's first answer was lost?
                var existing = seen.TryGetValue(name, out var mine) ? mine : null;
                if (existing is not null && existing.AsSpan().SequenceEqual(bytes))
                {
                    Remember(new SegmentHead(name, first, first + records.Length - 1, records[^1].Hmac));
                    return records;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new EvalSigException(
                        EvalSigError.AuditLedgerBusy,
                        EvalSigErrorKind.InvalidOperation,
                        string.Create(CultureInfo.InvariantCulture, $"Other writers took every position this append tried for {AppendDeadline.TotalMinutes:0} minutes ({attempt + 1} attempts) at '{Location}'. Nothing was recorded; try again."),
                        Location);
                }

                // Lost the race: try the position after the newest segment at once. Between two rounds a
                // loser makes one round trip (the reads above) and the last winner one too (its look at
                // the next position, in Current): neither starts ahead. No wait: a loser that waited
                // would fall behind every round.
                if (existing is null)
                {
                    head = Advance(head, cancel);
                }
                else
                {
                    head = HeadOf(name, existing);
                    while (seen.TryGetValue(ChainSegments.Name(StoreLocation.KeyRoot, head.Next), out var after))
                    {
                        head = HeadOf(ChainSegments.Name(StoreLocation.KeyRoot, head.Next), after);
                    }

                    if (head.Next >= first + Lookahead)
                    {
                        head = Advance(head, cancel); // the chain may go on past the window
                    }
                }
            }
        }
    }

    public IEnumerable<AuditRecord> Query(AuditQuery query, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        List<string>? lines = null;
        try
        {
            using var index = ObjectLedgerIndex.OpenCurrent(CacheDirectory, _client, _chainPrefix, cancel);
            lines = index.Find(query);
        }
        catch (Exception ex) when (ex is DbException or IOException or UnauthorizedAccessException || (ex is EvalSigException e && e.Error == EvalSigError.AuditLedgerBusy))
        {
            lines = null; // the cache is unusable: read the objects themselves
        }

        return lines is null ? Scan(query, cancel) : lines.Select(l => Parse(Encoding.UTF8.GetBytes(l)));
    }

    /// <summary>Every line of every segment, in name order (which is chain order), read from the objects.</summary>
    public IEnumerable<LedgerLine> ReadLines(CancellationToken cancel = default) => ReadLines(null, cancel);

    public AuditStatus GetStatus()
    {
        var problems = new List<string>();
        SegmentHead? head = null;
        long count = 0;
        var indexHealthy = true;
        bool? conditional = null;
        RetentionSupport? retention = null;
        var schemas = AuditSchemaRegistry.BuiltIn.Count;
        try
        {
            head = Current(default);
            conditional = _client.EnforcesConditionalCreate(default);
            retention = _client.RetentionSupport(default);
            schemas = LoadSchemas().All.Count;
            try
            {
                using var index = ObjectLedgerIndex.OpenCurrent(CacheDirectory, _client, _chainPrefix, default);
                count = index.Count();
            }
            catch (Exception ex) when (ex is DbException or IOException or UnauthorizedAccessException)
            {
                indexHealthy = false;
                problems.Add($"the local cache in '{CacheDirectory}' is unusable ({ex.Message}); queries read the objects");
                count = ReadLines().LongCount();
            }
        }
        catch (EvalSigException ex) when (ex.Error is EvalSigError.StorageUnreachable or EvalSigError.StorageAccessDenied or EvalSigError.StorageContainerNotFound or EvalSigError.StorageRequestFailed or EvalSigError.AuditLedgerCorrupt)
        {
            problems.Add(ex.Message);
        }

        if (conditional == false && Writers == AuditWriterMode.MultiWriter)
        {
            problems.Add("the service does not refuse a second create of an object name (If-None-Match: *): appends are refused in multi-writer mode (single-writer mode: ?writers=single)");
        }

        if (Retention is not null && retention is { PerObjectRetention: false })
        {
            problems.Add($"write-once retention {Retention} is asked for, but the container or bucket cannot hold it ({retention.Description}): appends are refused");
        }

        return new AuditStatus
        {
            Status = problems.Count == 0 ? "ok" : "degraded",
            Backend = Name,
            RecordCount = count,
            ChainLength = head?.Next ?? 0,
            HeadHmac = head?.LastHmac,
            IndexHealthy = indexHealthy,
            TornTail = false,
            SchemaCount = schemas,
            LedgerPath = Location,
            Location = Location,
            Container = StoreLocation.Container,
            Endpoint = Endpoint,
            ConditionalWrites = conditional,
            WriterMode = Writers == AuditWriterMode.SingleWriter ? "single" : "multiple",
            RetentionEnforced = retention is null ? null : retention.PerObjectRetention || retention.DefaultRetention,
            Retention = retention?.Description,
            Problems = problems,
        };
    }

    /// <summary>Deletes the local query cache and builds it again from the objects.</summary>
    public void RebuildIndex(CancellationToken cancel = default) => ObjectLedgerIndex.Rebuild(CacheDirectory, _client, _chainPrefix, cancel);

    /// <summary>The total size of the ledger's objects, for progress.</summary>
    public long StoredBytes(CancellationToken cancel = default) => _client.List(_chainPrefix, null, cancel).Sum(o => o.Size);

    public void Dispose() => _client.Dispose();

    /// <summary>Verifies the chain from the objects (never the cache), and that each object is where its name says.</summary>
    internal ChainVerification Verify(AuditKeyring keyring, AuditCheckpoint? checkpoint, IProgress<long>? progress, CancellationToken cancel)
    {
        var layout = new List<string>();
        var v = ChainVerifier.Verify(ReadLines(layout, cancel), keyring, wholeChain: true, checkpoint, tornTail: false, progress, cancel: cancel);
        if (layout.Count == 0)
        {
            return v;
        }

        return v with
        {
            Valid = false,
            Reason = "the ledger's objects are not as the protocol writes them: " + layout[0] + (v.Valid ? string.Empty : "; " + v.Reason),
            Notes = v.Notes.Concat(layout).ToList(),
        };
    }

    /// <summary>
    /// Custom schema keys of this ledger: the object {prefix}/schemas.json, read at most every
    /// <see cref="SchemaCacheTime"/> per process (registrations in this process are seen at once;
    /// another machine's within that time).
    /// </summary>
    internal AuditSchemaRegistry LoadSchemas(CancellationToken cancel = default)
    {
        if (Schemas.TryGetValue(StoreLocation.Identity, out var cached) && DateTime.UtcNow - cached.At < SchemaCacheTime)
        {
            return cached.Registry;
        }

        var content = _client.Read(SchemasName, cancel);
        var registry = content is null ? AuditSchemaRegistry.FromJson(null, Location) : AuditSchemaRegistry.FromJson(content.Bytes, StoreLocation.ObjectUri(SchemasName));
        Schemas[StoreLocation.Identity] = (registry, DateTime.UtcNow);
        return registry;
    }

    private static readonly TimeSpan SchemaCacheTime = TimeSpan.FromSeconds(10);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (AuditSchemaRegistry Registry, DateTime At)> Schemas = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces a custom schema in {prefix}/schemas.json with a conditional write, so concurrent registrations never lose one.</summary>
    internal AuditSchema RegisterSchema(AuditSchema schema, CancellationToken cancel = default)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var content = _client.Read(SchemasName, cancel);
            var current = AuditSchemaRegistry.FromJson(content?.Bytes, Location).All.Where(s => !s.BuiltIn && s.SchemaKey != schema.SchemaKey).ToList();
            current.Add(schema);
            var bytes = AuditSchemaRegistry.ToJson(current);
            var written = content is null
                ? _client.TryCreate(SchemasName, bytes, null, cancel)
                : _client.EnforcesConditionalReplace(cancel) || Writers == AuditWriterMode.SingleWriter
                    ? _client.TryReplace(SchemasName, bytes, content.ETag, cancel) is not null
                    : throw Unsafe("replace schemas.json only if unchanged (If-Match)");
            if (written)
            {
                Schemas.TryRemove(StoreLocation.Identity, out _);
                return schema;
            }

            Thread.Sleep(Random.Shared.Next(1, 20));
        }

        throw new EvalSigException(EvalSigError.AuditLedgerBusy, EvalSigErrorKind.InvalidOperation, $"schemas.json at '{Location}' kept changing under this registration; try again.", Location);
    }

    private string SchemasName => StoreLocation.KeyRoot + AuditSchemaRegistry.FileName;

    internal IEnumerable<LedgerLine> ReadLines(List<string>? layout, CancellationToken cancel)
    {
        var names = new List<(string Name, long First)>();
        foreach (var o in _client.List(_chainPrefix, null, cancel))
        {
            if (ChainSegments.TryParse(o.Name, _chainPrefix, out var first))
            {
                names.Add((o.Name, first));
            }
            else
            {
                layout?.Add($"'{o.Name}' is under {ChainSegments.Folder} but is not named like a segment");
            }
        }

        long offset = 0;
        var i = 0;
        foreach (var content in _client.ReadMany(names.Select(n => n.Name), ReadParallelism, cancel))
        {
            var (name, first) = names[i++];
            if (content is null)
            {
                layout?.Add($"'{name}' was listed, then was gone");
                continue;
            }

            if (content.Bytes.Length == 0 || content.Bytes[^1] != (byte)'\n')
            {
                layout?.Add($"'{name}' does not end with a newline");
            }

            var isFirst = true;
            foreach (var line in ChainSegments.Lines(content.Bytes))
            {
                if (isFirst)
                {
                    isFirst = false;
                    if (LineFields.TryRead(line.Span, out var f) && f.Position != first)
                    {
                        layout?.Add(string.Create(CultureInfo.InvariantCulture, $"'{name}' is named for position {first} but holds position {f.Position} first (renamed or moved)"));
                    }
                }

                yield return new LedgerLine(offset, line);
                offset += line.Length + 1;
            }
        }
    }

    /// <summary>Checks once that this ledger may be appended to; true when the service enforces If-None-Match.</summary>
    private bool EnsureWritable(CancellationToken cancel)
    {
        var conditional = _client.EnforcesConditionalCreate(cancel);
        if (!conditional && Writers == AuditWriterMode.MultiWriter)
        {
            throw Unsafe("refuse a second create of the same object name (If-None-Match: *)");
        }

        if (Retention is not null && _retentionChecked != true)
        {
            var support = _client.RetentionSupport(cancel);
            if (!support.PerObjectRetention)
            {
                throw new EvalSigException(
                    EvalSigError.StorageRetentionUnsupported,
                    EvalSigErrorKind.InvalidOperation,
                    $"Write-once retention ({Retention}) was asked for, but '{Location}' cannot hold it: {support.Description}. Nothing was written. Use a bucket created with Object Lock, or an Azure container with version-level immutability, or append without retention.",
                    Location);
            }

            _retentionChecked = true;
        }

        return conditional;
    }

    private EvalSigException Unsafe(string what) => new(
        EvalSigError.StorageUnsafe,
        EvalSigErrorKind.InvalidOperation,
        $"The service behind '{Location}' ({Endpoint}) does not {what}: a probe object was created twice. Several writers could then fork the chain, so EvalSig refuses multi-writer mode here and wrote nothing. Use a service with conditional writes (Azure Blob, AWS S3, Cloudflare R2, MinIO, Google Cloud Storage), or, only if exactly one process ever appends, open the ledger in single-writer mode ({Location}?writers=single, or {WritersEnvironmentVariable}=single).",
        Location);

    /// <summary>
    /// The head now: from the newest head this process saw, else the local hint (the cache's newest
    /// segment name), else a listing; then walked forward over whatever other writers added since.
    /// A hint is only a name: the head itself is always read from the service.
    /// </summary>
    private SegmentHead Current(CancellationToken cancel)
    {
        if (KnownHeads.TryGetValue(StoreLocation.Identity, out var known))
        {
            // Always a look at the next position, even right after this process's own append: that
            // read is what a writer who just lost pays too, so neither starts the next round ahead
            // and no writer starves (a winner that skipped it would win every round).
            return Advance(known, cancel);
        }

        var hint = new[] { ReadHintFile(), ObjectLedgerIndex.NewestSegmentHint(CacheDirectory) }.Where(h => h is not null && ChainSegments.TryParse(h, _chainPrefix, out _)).Max(StringComparer.Ordinal);
        if (hint is null)
        {
            return Advance(Listed(null, null, cancel), cancel);
        }

        var content = _client.Read(hint, cancel);
        return Advance(content is null ? Listed(null, null, cancel) : HeadOf(hint, content.Bytes), cancel);
    }

    /// <summary>
    /// Walks forward from a head: each segment's successor is named by the position after its last
    /// record. One read when nothing follows (the common case); when something does, the next
    /// <see cref="Lookahead"/> names are read at once, so a writer far behind catches up in a few
    /// round trips. Very far behind, a listing jumps to the newest.
    /// </summary>
    private SegmentHead Advance(SegmentHead head, CancellationToken cancel)
    {
        var name = ChainSegments.Name(StoreLocation.KeyRoot, head.Next);
        var next = _client.Read(name, cancel);
        if (next is null)
        {
            return head;
        }

        head = HeadOf(name, next.Bytes);
        for (var window = 0; window < WalkLimit; window++)
        {
            var names = Enumerable.Range(0, Lookahead).Select(i => ChainSegments.Name(StoreLocation.KeyRoot, head.Next + i)).ToList();
            var found = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var i = 0;
            foreach (var c in _client.ReadMany(names, Lookahead, cancel))
            {
                if (c is not null)
                {
                    found[names[i]] = c.Bytes;
                }

                i++;
            }

            var moved = false;
            while (found.TryGetValue(ChainSegments.Name(StoreLocation.KeyRoot, head.Next), out var bytes))
            {
                head = HeadOf(ChainSegments.Name(StoreLocation.KeyRoot, head.Next), bytes);
                moved = true;
            }

            if (!moved)
            {
                return head;
            }
        }

        return Listed(head.Name, head, cancel);
    }

    /// <summary>Records a head the service acknowledged or returned, for this instance, this process and (as a hint) the next process.</summary>
    private void Remember(SegmentHead head)
    {
        KnownHeads.AddOrUpdate(StoreLocation.Identity, head, (_, old) => old.Last >= head.Last ? old : head);
        try
        {
            Directory.CreateDirectory(CacheDirectory);
            File.WriteAllText(Path.Combine(CacheDirectory, HintFileName + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), head.Name);
            File.Move(Path.Combine(CacheDirectory, HintFileName + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), Path.Combine(CacheDirectory, HintFileName), overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only a hint: the next process lists instead.
        }
    }

    private string? ReadHintFile()
    {
        try
        {
            var path = Path.Combine(CacheDirectory, HintFileName);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The head after <paramref name="startAfter"/>: the newest segment listed after it, read from the
    /// service; <paramref name="known"/> (or the object itself) when nothing follows.
    /// </summary>
    private SegmentHead Listed(string? startAfter, SegmentHead? known, CancellationToken cancel)
    {
        string? newest = null;
        foreach (var o in _client.List(_chainPrefix, startAfter, cancel))
        {
            if (ChainSegments.TryParse(o.Name, _chainPrefix, out _))
            {
                newest = o.Name;
            }
        }

        if (newest is null)
        {
            if (known is not null)
            {
                return known;
            }

            if (startAfter is null)
            {
                return SegmentHead.Empty;
            }

            var hinted = _client.Read(startAfter, cancel);
            return hinted is null ? Listed(null, null, cancel) : HeadOf(startAfter, hinted.Bytes);
        }

        var content = _client.Read(newest, cancel);
        return content is null ? Listed(null, null, cancel) : HeadOf(newest, content.Bytes);
    }

    /// <summary>The head a segment makes: its last record. A segment that does not parse stops appends.</summary>
    private SegmentHead HeadOf(string name, byte[] bytes)
    {
        ChainSegments.TryParse(name, _chainPrefix, out var first);
        var lines = ChainSegments.Lines(bytes).ToList();
        if (lines.Count == 0 || !LineFields.TryRead(lines[0].Span, out var f0) || f0.Position != first || !LineFields.TryRead(lines[^1].Span, out var last))
        {
            throw new EvalSigException(
                EvalSigError.AuditLedgerCorrupt,
                EvalSigErrorKind.InvalidData,
                $"The newest ledger object '{StoreLocation.ObjectUri(name)}' is not a segment of records starting at its position, so the chain cannot continue. Run Test-AuditChain to find the damage.",
                Location);
        }

        return new SegmentHead(name, first, last.Position, last.Hmac);
    }

    private IEnumerable<AuditRecord> Scan(AuditQuery query, CancellationToken cancel)
    {
        var skipped = 0;
        var taken = 0;
        foreach (var line in ReadLines(cancel))
        {
            if (!LineFields.TryRead(line.Utf8.Span, out _))
            {
                continue;
            }

            var r = Parse(line.Utf8.ToArray());
            if (!query.Matches(r) || skipped++ < query.Skip)
            {
                continue;
            }

            if (query.First is { } first && taken >= first)
            {
                yield break;
            }

            taken++;
            yield return r;
        }
    }

    private AuditRecord Parse(byte[] line)
    {
        try
        {
            return RecordCodec.ParseStored(line, Name);
        }
        catch (FormatException ex)
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, $"A stored line of '{Location}' is not a record: {ex.Message}. Run Test-AuditChain.", Location, ex);
        }
    }
}
