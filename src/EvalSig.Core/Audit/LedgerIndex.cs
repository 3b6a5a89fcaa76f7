using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Bridge;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>The index does not match the ledger (or its own MACs): the reason, for the warning.</summary>
internal sealed class IndexMismatchException : Exception
{
    public IndexMismatchException(string reason)
        : base(reason)
    {
    }

    public IndexMismatchException()
    {
    }

    public IndexMismatchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Where a matching record's line is, and what the index says it holds.</summary>
internal readonly record struct IndexHit(long Seq, long Position, long Offset, int Length, byte[] RecordHmac);

/// <summary>
/// index.sqlite (WAL): a derived index of the committed ledger that cannot lie quietly.
/// <list type="bullet">
/// <item>Every row (one per record line, numbered 0, 1, 2, ... as <c>seq</c>) carries a MAC, under
/// the key derived for the index, over its sequence number, chain position, byte offset and length,
/// record HMAC, schema key, project, timestamp, and the sequence numbers of the previous row with the
/// same schema key and with the same project - so the rows of one schema key (or project) form a
/// chain a reader walks and checks link by link.</item>
/// <item>A groups table holds, per schema key, project and UTC day, the row count and the last row;
/// its SHA-256 is in the head.</item>
/// <item>The head - bytes covered, rows, lines skipped, groups digest, key id - is MAC'd, and its
/// last row must still match the ledger line at its offset.</item>
/// </list>
/// A reader checks the head, then the rows it uses: their MACs, their links, and that a chain ends
/// where the groups say (or, without filters, that sequence numbers are contiguous); a time range is
/// answered from whole days whose counts must match. Any mismatch throws
/// <see cref="IndexMismatchException"/>; the caller rebuilds from the ledger or scans. Without a key
/// the same structural checks run, but nothing is authenticated and nothing is written.
/// </summary>
internal sealed class LedgerIndex : IDisposable
{
    public const string FileName = "index.sqlite";
    private const int SchemaVersion = 2;
    private const long MicrosPerDay = 86_400_000_000L;
    private const int BlockSize = 16_384;

    private readonly DbConnection _db;
    private readonly AuditKey? _key;
    private readonly Dictionary<string, Group> _schemas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _projects = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Group> _days = new();

    private LedgerIndex(DbConnection db, AuditKey? key)
    {
        _db = db;
        _key = key;
    }

    private enum GroupKind
    {
        Schema = 0,
        Project = 1,
        Day = 2,
    }

    /// <summary>Bytes of the ledger the index covers (complete lines).</summary>
    public long Covered { get; private set; }

    /// <summary>Record rows: seq runs 0..Rows-1.</summary>
    public long Rows { get; private set; }

    /// <summary>Committed lines that are not canonical records: not indexed, so no query returns them.</summary>
    public long Skipped { get; private set; }

    public bool Authenticated => _key is not null;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>
    /// Opens the index and checks its head, groups and last row against the ledger. With a keyring
    /// the head MAC must verify under one of its keys; <paramref name="readOnly"/> never writes.
    /// Null when there is no index file yet (or no key matches and a fresh one must be built).
    /// </summary>
    public static LedgerIndex? Open(string directory, string ledgerPath, LedgerSnapshot snap, AuditKeyring? ring, bool readOnly)
    {
        var path = PathIn(directory);
        if (!File.Exists(path))
        {
            if (Directory.Exists(path))
            {
                throw new IndexMismatchException($"'{path}' is a directory");
            }

            return null;
        }

        DbConnection db;
        try
        {
            db = SqliteDatabase.Open(path, readOnly);
        }
        catch (DbException ex)
        {
            throw new IndexMismatchException("index.sqlite is not a usable SQLite database: " + ex.Message, ex);
        }

        LedgerIndex? index = null;
        try
        {
            Pragmas(db, readOnly);
            var head = ReadHead(db) ?? throw new IndexMismatchException("the index has no head (an older format, or an interrupted build)");
            AuditKey? key = null;
            if (ring is not null)
            {
                key = ring.Find(head.KeyId) ?? throw new IndexMismatchException($"the index was authenticated with key {head.KeyId}, which is not in the keyring");
                if (!key.Verify(KeyPurpose.Index, head.MacInput(), head.Mac))
                {
                    throw new IndexMismatchException("the index head's MAC does not verify: index.sqlite was edited");
                }
            }

            index = new LedgerIndex(db, key) { Covered = head.Covered, Rows = head.Rows, Skipped = head.Skipped };
            index.LoadGroups(head.GroupsSha256);
            index.CheckHead(ledgerPath, snap);
            return index;
        }
        catch (DbException ex)
        {
            (index as IDisposable ?? db).Dispose();
            throw new IndexMismatchException("index.sqlite is not a usable index: " + ex.Message, ex);
        }
        catch
        {
            if (index is not null)
            {
                index.Dispose();
            }
            else
            {
                db.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Builds the index from the ledger into a temporary file (no journal: nothing else sees it
    /// yet), then renames it over index.sqlite - so a reader finds the old index or the complete
    /// new one, never a half-built one - and reopens it in WAL mode.
    /// </summary>
    public static LedgerIndex Build(string directory, string ledgerPath, LedgerSnapshot snap, AuditKey key, IProgress<double>? progress, CancellationToken cancel)
    {
        var path = PathIn(directory);
        var temp = Path.Combine(directory, ".index.sqlite." + Guid.NewGuid().ToString("N")[..12] + ".build");
        try
        {
            var db = SqliteDatabase.Open(temp);
            using (var index = new LedgerIndex(db, key))
            {
                Exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;");
                Exec(db, Schema);
                index.Insert(ledgerPath, snap, progress, cancel);
                CreateSecondaryIndexes(db);
                using (var tx = db.BeginTransaction())
                {
                    index.WriteHead(tx);
                    tx.Commit();
                }
            }

            SqliteDatabase.ClearAllPools();
            Delete(path);
            Files.FileOps.Rename(temp, path, overwrite: true);
        }
        finally
        {
            SqliteDatabase.ClearAllPools();
            foreach (var p in new[] { temp, temp + "-journal" })
            {
                if (File.Exists(p))
                {
                    File.Delete(p);
                }
            }
        }

        return Open(directory, ledgerPath, snap, new AuditKeyring(new[] { key }), readOnly: false)
            ?? throw new IndexMismatchException("the rebuilt index.sqlite vanished");
    }

    private const string Schema = """
        CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE records (
            seq INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            schema_key TEXT NOT NULL,
            project_id TEXT,
            row BLOB NOT NULL);
        CREATE TABLE groups (kind INTEGER NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (kind, value)) WITHOUT ROWID;
        """;

    public static void Delete(string path)
    {
        SqliteDatabase.ClearAllPools();
        foreach (var p in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(p))
            {
                File.Delete(p);
            }
        }
    }

    /// <summary>
    /// Indexes the committed lines not yet covered, in one transaction. A large catch-up (more new
    /// bytes than the index covers) drops the secondary indexes and builds them once at the end,
    /// which is faster than maintaining them row by row.
    /// </summary>
    public void CatchUp(string ledgerPath, LedgerSnapshot snap, IProgress<double>? progress, CancellationToken cancel)
    {
        if (Covered >= snap.Complete)
        {
            return;
        }

        var bulk = snap.Complete - Covered > Covered && snap.Complete - Covered > (8 << 20);
        Exec(_db, "PRAGMA synchronous=OFF;");
        if (bulk)
        {
            Exec(_db, "DROP INDEX IF EXISTS records_schema; DROP INDEX IF EXISTS records_project; DROP INDEX IF EXISTS records_ts;");
        }

        using (var tx = _db.BeginTransaction())
        {
            Insert(ledgerPath, snap, progress, cancel, tx);
            WriteHead(tx);
            tx.Commit();
        }

        if (bulk)
        {
            CreateSecondaryIndexes(_db);
        }

        Exec(_db, "PRAGMA synchronous=NORMAL;");
    }

    /// <summary>
    /// Reads the uncovered committed lines and inserts a row for each record, as a two-stage
    /// pipeline: one stage reads a block, parses it strictly and builds and MACs its rows (in
    /// parallel, links and groups in order), while the other inserts the previous block through a
    /// positional prepared statement. Progress: the fraction of bytes done.
    /// </summary>
    private void Insert(string ledgerPath, LedgerSnapshot snap, IProgress<double>? progress, CancellationToken cancel, DbTransaction? outer = null)
    {
        var key = _key ?? throw new InvalidOperationException("indexing needs the key");
        var start = Covered;
        var total = snap.Complete - start;
        var tx = outer ?? _db.BeginTransaction();
        var dirty = new Dirty();
        using var blocks = new System.Collections.Concurrent.BlockingCollection<Prepared>(boundedCapacity: 2);
        var producer = Task.Run(
            () =>
            {
                try
                {
                    var lines = new List<LedgerLine>(BlockSize);
                    foreach (var line in LedgerFile.Lines(ledgerPath, start, snap.Complete))
                    {
                        cancel.ThrowIfCancellationRequested();
                        lines.Add(line);
                        if (lines.Count == BlockSize)
                        {
                            blocks.Add(Prepare(lines, key, dirty, cancel), cancel);
                            lines = new List<LedgerLine>(BlockSize);
                        }
                    }

                    if (lines.Count > 0)
                    {
                        blocks.Add(Prepare(lines, key, dirty, cancel), cancel);
                    }
                }
                finally
                {
                    blocks.CompleteAdding();
                }
            },
            cancel);
        try
        {
            using var insert = SqliteStatement.Prepare(_db, "INSERT INTO records(seq, ts, schema_key, project_id, row) VALUES (?1, ?2, ?3, ?4, ?5)");
            foreach (var block in blocks.GetConsumingEnumerable(cancel))
            {
                foreach (var row in block.Rows)
                {
                    insert.Bind(1, row.Seq);
                    insert.Bind(2, row.Ts);
                    insert.Bind(3, row.SchemaKey);
                    insert.Bind(4, row.ProjectId);
                    insert.Bind(5, row.Blob);
                    insert.Execute();
                }

                progress?.Report((double)(block.End - start) / Math.Max(1, total));
            }

            producer.GetAwaiter().GetResult();
            Covered = snap.Complete;
            WriteGroups(tx, dirty);
            if (outer is null)
            {
                tx.Commit();
            }

            progress?.Report(1);
        }
        catch
        {
            // Stop the reader (it may be blocked on a full queue) before the error leaves.
            while (!blocks.IsCompleted && blocks.TryTake(out _, 100))
            {
            }

            try
            {
                producer.Wait(cancel);
            }
            catch (Exception ex) when (ex is AggregateException or OperationCanceledException)
            {
                // The insert's own error is the one to report.
            }

            throw;
        }
        finally
        {
            if (outer is null)
            {
                tx.Dispose();
            }
        }
    }

    private sealed record Prepared(List<Row> Rows, long End);

    /// <summary>One block's rows: strict parse in parallel, sequence numbers and links in order, blobs and MACs in parallel.</summary>
    private Prepared Prepare(List<LedgerLine> block, AuditKey key, Dirty dirty, CancellationToken cancel)
    {
        var fields = new LineFields[block.Count];
        var ok = new bool[block.Count];
        var ts = new long[block.Count];
        Parallel.For(0, block.Count, new ParallelOptions { CancellationToken = cancel }, i =>
        {
            ok[i] = LineFields.TryRead(block[i].Utf8.Span, out fields[i]);
            ts[i] = ok[i] && IsoTime.TryParse(fields[i].Timestamp, out var t) ? Micros(t) : 0L;
        });

        var seqs = new long[block.Count];
        var prevSchema = new long[block.Count];
        var prevProject = new long[block.Count];
        var schemaBytes = new byte[block.Count][];
        var projectBytes = new byte[]?[block.Count];
        for (var i = 0; i < block.Count; i++)
        {
            if (!ok[i])
            {
                Skipped++;
                continue;
            }

            var seq = seqs[i] = Rows++;
            (prevSchema[i], schemaBytes[i]) = Advance(_schemas, fields[i].SchemaKey!, seq, dirty.Schemas);
            if (fields[i].ProjectId is { } project)
            {
                (prevProject[i], projectBytes[i]) = Advance(_projects, project, seq, dirty.Projects);
            }
            else
            {
                prevProject[i] = -1;
            }

            Advance(_days, Day(ts[i]), seq, dirty.Days);
        }

        var rows = new Row?[block.Count];
        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(0, block.Count, 1024),
            new ParallelOptions { CancellationToken = cancel },
            () => key.CreateHmac(KeyPurpose.Index),
            (range, _, h) =>
            {
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    if (!ok[i])
                    {
                        continue;
                    }

                    var f = fields[i];
                    var row = new Row(seqs[i], f.Position, ts[i], f.SchemaKey!, f.ProjectId, block[i].Offset, block[i].Utf8.Length, f.Hmac, prevSchema[i], prevProject[i], schemaBytes[i], projectBytes[i]);
                    var blob = row.Blob;
                    h.AppendData(blob.AsSpan(0, blob.Length - 32));
                    h.GetHashAndReset(blob.AsSpan(blob.Length - 32));
                    rows[i] = row;
                }

                return h;
            },
            h => h.Dispose());

        var last = block[^1];
        return new Prepared(rows.OfType<Row>().ToList(), last.Offset + last.Utf8.Length + 1);
    }

    private sealed class Dirty
    {
        public HashSet<string> Schemas { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Projects { get; } = new(StringComparer.Ordinal);

        public HashSet<long> Days { get; } = new();
    }

    private void WriteGroups(DbTransaction tx, Dirty dirty)
    {
        using var upsert = _db.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT OR REPLACE INTO groups(kind, value, count, last_seq) VALUES ($k, $v, $c, $l)";
        var k = AddParameter(upsert, "$k", DbType.Int64);
        var v = AddParameter(upsert, "$v", DbType.String);
        var c = AddParameter(upsert, "$c", DbType.Int64);
        var l = AddParameter(upsert, "$l", DbType.Int64);
        upsert.Prepare();
        void Put(GroupKind kind, string value, Group g)
        {
            k.Value = (long)kind;
            v.Value = value;
            c.Value = g.Count;
            l.Value = g.Last;
            upsert.ExecuteNonQuery();
        }

        foreach (var x in dirty.Schemas)
        {
            Put(GroupKind.Schema, x, _schemas[x]);
        }

        foreach (var x in dirty.Projects)
        {
            Put(GroupKind.Project, x, _projects[x]);
        }

        foreach (var x in dirty.Days)
        {
            Put(GroupKind.Day, x.ToString(CultureInfo.InvariantCulture), _days[x]);
        }
    }

    /// <summary>
    /// The hits for a query, every row used checked (MAC when keyed, links, the group's end or
    /// contiguity), filters applied to the checked fields, then Skip and First.
    /// </summary>
    public List<IndexHit> Find(AuditQuery q, CancellationToken cancel)
    {
        var schema = q.SchemaKey is null ? null : _schemas.GetValueOrDefault(q.SchemaKey);
        var project = q.ProjectId is null ? null : _projects.GetValueOrDefault(q.ProjectId);
        if ((q.SchemaKey is not null && schema is null) || (q.ProjectId is not null && project is null))
        {
            return new List<IndexHit>(); // the groups are authenticated: no such schema key or project
        }

        if (schema is not null || project is not null)
        {
            var bySchema = project is null || (schema is not null && schema.Count <= project.Count);
            return Chain(q, bySchema ? GroupKind.Schema : GroupKind.Project, bySchema ? q.SchemaKey! : q.ProjectId!, bySchema ? schema! : project!, cancel);
        }

        return q.From is not null || q.To is not null ? Days(q, cancel) : All(q, cancel);
    }

    /// <summary>
    /// Checks the whole index, not only the rows a query uses: every row (its MAC when keyed), the
    /// sequence contiguous, every schema-key and project chain linked, and every group's count and
    /// last row recomputed. For Get-AuditStatus, which answers for the index as a whole.
    /// </summary>
    public void VerifyAll(CancellationToken cancel)
    {
        var schemas = new Dictionary<string, (long Count, long Last)>(StringComparer.Ordinal);
        var projects = new Dictionary<string, (long Count, long Last)>(StringComparer.Ordinal);
        var days = new Dictionary<long, (long Count, long Last)>();
        long Link<T>(Dictionary<T, (long Count, long Last)> groups, T value, long seq)
            where T : notnull
        {
            var prev = groups.TryGetValue(value, out var g) ? g.Last : -1;
            groups[value] = (g.Count + 1, seq);
            return prev;
        }

        var expected = 0L;
        foreach (var row in Rows2("ORDER BY seq"))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            if (row.Seq != expected)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {expected} is missing (the next is {row.Seq})"));
            }

            expected++;
            if (Link(schemas, row.SchemaKey, row.Seq) != row.PrevSchema || (row.ProjectId is { } p ? Link(projects, p, row.Seq) : -1) != row.PrevProject)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq} does not link to the previous row of its schema key or project"));
            }

            Link(days, Day(row.Ts), row.Seq);
        }

        static bool Same<T>(Dictionary<T, (long Count, long Last)> actual, Dictionary<T, Group> recorded)
            where T : notnull
            => actual.Count == recorded.Count && actual.All(a => recorded.TryGetValue(a.Key, out var g) && g.Count == a.Value.Count && g.Last == a.Value.Last);

        if (expected != Rows)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the index holds {expected} rows, its head records {Rows}"));
        }

        if (!Same(schemas, _schemas) || !Same(projects, _projects) || !Same(days, _days))
        {
            throw new IndexMismatchException("the rows do not add up to the group counts the head records");
        }
    }

    public void Dispose() => _db.Dispose();

    internal static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long Day(long micros) => micros >= 0 ? micros / MicrosPerDay : -((-micros - 1) / MicrosPerDay) - 1;

    /// <summary>Walks one schema key's (or project's) chain from its first row to the row the group names as last.</summary>
    private List<IndexHit> Chain(AuditQuery q, GroupKind kind, string value, Group group, CancellationToken cancel)
    {
        var column = kind == GroupKind.Schema ? "schema_key" : "project_id";
        var hits = new List<IndexHit>();
        var expectedPrev = -1L;
        var seen = 0L;
        var skipped = 0;
        foreach (var row in Rows2($"WHERE {column} = $v ORDER BY seq", ("$v", value)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            var (own, prev) = kind == GroupKind.Schema ? (row.SchemaKey, row.PrevSchema) : (row.ProjectId, row.PrevProject);
            if (own != value || prev != expectedPrev)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the rows of {(kind == GroupKind.Schema ? "schema key" : "project")} '{value}' do not link up at row {row.Seq} (expected the previous row {expectedPrev}, found {prev}): rows were deleted, moved or edited"));
            }

            expectedPrev = row.Seq;
            seen++;
            if (!Matches(q, row))
            {
                continue;
            }

            if (skipped++ < q.Skip)
            {
                continue;
            }

            hits.Add(row.Hit);
            if (q.First is { } first && hits.Count >= first)
            {
                return hits; // every row so far is linked to its predecessor: nothing before it is missing
            }
        }

        if (expectedPrev != group.Last || seen != group.Count)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"{(kind == GroupKind.Schema ? "schema key" : "project")} '{value}' has {seen} rows ending at row {expectedPrev}, but the index head records {group.Count} ending at row {group.Last}: rows were deleted or edited"));
        }

        return hits;
    }

    /// <summary>A time range, answered from the whole UTC days it touches: every day's rows must all be there.</summary>
    private List<IndexHit> Days(AuditQuery q, CancellationToken cancel)
    {
        var from = q.From is { } f ? Day(Micros(f)) : long.MinValue;
        var to = q.To is { } t ? Day(Micros(t)) : long.MaxValue;
        var counts = new Dictionary<long, long>();
        var candidates = new List<(Row Row, bool Match)>();
        var lo = from == long.MinValue ? long.MinValue : from * MicrosPerDay;
        var hi = to == long.MaxValue ? long.MaxValue : checked(((to + 1) * MicrosPerDay) - 1);
        foreach (var row in Rows2("WHERE ts BETWEEN $a AND $b ORDER BY seq", ("$a", lo), ("$b", hi)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            var day = Day(row.Ts);
            if (day < from || day > to)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq} sits in the wrong day"));
            }

            counts[day] = counts.GetValueOrDefault(day) + 1;
            candidates.Add((row, Matches(q, row)));
        }

        foreach (var (day, group) in _days)
        {
            if (day >= from && day <= to && counts.GetValueOrDefault(day) != group.Count)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"day {IsoTime.Format(DateTimeOffset.UnixEpoch.AddTicks(day * MicrosPerDay * 10)).AsSpan(0, 10)} has {counts.GetValueOrDefault(day)} rows, but the index head records {group.Count}: rows were deleted, moved or edited"));
            }

            counts.Remove(day);
        }

        if (counts.Count > 0)
        {
            throw new IndexMismatchException("rows sit in days the index head does not record: rows were inserted or edited");
        }

        return candidates.Where(c => c.Match).Select(c => c.Row.Hit).Skip(q.Skip).Take(q.First ?? int.MaxValue).ToList();
    }

    /// <summary>No filter: rows Skip, Skip+1, ... by sequence number, contiguous up to the last row.</summary>
    private List<IndexHit> All(AuditQuery q, CancellationToken cancel)
    {
        var hits = new List<IndexHit>();
        var expected = (long)q.Skip;
        var limit = q.First is { } first ? (long)first : long.MaxValue;
        foreach (var row in Rows2("WHERE seq >= $s ORDER BY seq LIMIT $n", ("$s", (long)q.Skip), ("$n", q.First is { } n ? (long)n : -1L)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            if (row.Seq != expected)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {expected} is missing (the next is {row.Seq}): rows were deleted"));
            }

            expected++;
            hits.Add(row.Hit);
        }

        if (hits.Count < limit && expected < Rows)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the rows end at {expected - 1}, but the index head records {Rows}: rows were deleted"));
        }

        return hits;
    }

    private static bool Matches(AuditQuery q, Row row)
        => (q.SchemaKey is null || row.SchemaKey == q.SchemaKey)
            && (q.ProjectId is null || row.ProjectId == q.ProjectId)
            && (q.From is not { } f || row.Ts >= Micros(f))
            && (q.To is not { } t || row.Ts <= Micros(t));

    /// <summary>A row's own MAC (keyed), and that its derived day column agrees with its timestamp.</summary>
    private void Check(Row row)
    {
        if (_key is not null)
        {
            Span<byte> mac = stackalloc byte[32];
            _key.Mac(KeyPurpose.Index, row.Blob.AsSpan(0, row.Blob.Length - 32), mac);
            if (!CryptographicOperations.FixedTimeEquals(mac, row.Blob.AsSpan(row.Blob.Length - 32)))
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq}'s MAC does not verify: index.sqlite was edited"));
            }
        }

        if (row.Seq < 0 || row.Seq >= Rows)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq} lies outside the {Rows} rows the head records"));
        }
    }

    /// <summary>The last row is where the head says, and the ledger still holds its line there.</summary>
    private void CheckHead(string ledgerPath, LedgerSnapshot snap)
    {
        if (Covered > snap.Complete)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the index covers {Covered} bytes but the committed ledger has {snap.Complete}: the ledger shrank or was replaced"));
        }

        if (Rows == 0)
        {
            return;
        }

        var last = Rows2("WHERE seq = $s", ("$s", Rows - 1)).FirstOrDefault()
            ?? throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the last row ({Rows - 1}) the head records is missing"));
        Check(last);
        if (last.Offset + last.Length + 1 > Covered)
        {
            throw new IndexMismatchException("the last row lies beyond the bytes the head covers");
        }

        var bytes = LedgerFile.ReadRange(ledgerPath, last.Offset, last.Length + 1);
        if (bytes[^1] != (byte)'\n' || (last.Offset > 0 && LedgerFile.ReadRange(ledgerPath, last.Offset - 1, 1)[0] != (byte)'\n')
            || !LineFields.TryRead(bytes.AsSpan(0, last.Length), out var f) || !HmacBytes(f.Hmac).AsSpan().SequenceEqual(last.RecordHmac) || f.Position != last.Position)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the ledger no longer holds the record the index ends with at byte {last.Offset}: the ledger was rewritten or replaced"));
        }
    }

    /// <summary>Counts a row into its group; returns the group's previous last row (-1 for a new group) and the value's UTF-8 bytes.</summary>
    private static (long Previous, byte[] Utf8) Advance<T>(Dictionary<T, Group> groups, T value, long seq, HashSet<T> dirty)
        where T : notnull
    {
        var prev = -1L;
        if (groups.TryGetValue(value, out var g))
        {
            prev = g.Last;
            g.Count++;
            g.Last = seq;
        }
        else
        {
            g = new Group { Count = 1, Last = seq };
            groups[value] = g;
        }

        dirty.Add(value);
        g.Utf8 ??= value is string text ? Encoding.UTF8.GetBytes(text) : Array.Empty<byte>();
        return (prev, g.Utf8);
    }

    private void LoadGroups(string expectedSha256)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT kind, value, count, last_seq FROM groups";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var g = new Group { Count = r.GetInt64(2), Last = r.GetInt64(3) };
            var value = r.GetString(1);
            switch ((GroupKind)r.GetInt64(0))
            {
                case GroupKind.Schema:
                    _schemas[value] = g;
                    break;
                case GroupKind.Project:
                    _projects[value] = g;
                    break;
                case GroupKind.Day when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var day):
                    _days[day] = g;
                    break;
                default:
                    throw new IndexMismatchException("the index holds a group of an unknown kind: index.sqlite was edited");
            }
        }

        if (GroupsSha256() != expectedSha256)
        {
            throw new IndexMismatchException("the index's group counts do not match its head: index.sqlite was edited");
        }
    }

    /// <summary>SHA-256 over every group in a fixed order: schema keys and projects by ordinal, then days by number.</summary>
    private string GroupsSha256()
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var n = new byte[8];
        void Add(long kind, ReadOnlySpan<byte> value, Group g)
        {
            BinaryPrimitives.WriteInt64LittleEndian(n, kind);
            h.AppendData(n);
            BinaryPrimitives.WriteInt64LittleEndian(n, value.Length);
            h.AppendData(n);
            h.AppendData(value);
            BinaryPrimitives.WriteInt64LittleEndian(n, g.Count);
            h.AppendData(n);
            BinaryPrimitives.WriteInt64LittleEndian(n, g.Last);
            h.AppendData(n);
        }

        foreach (var (v, g) in _schemas.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Add(0, Encoding.UTF8.GetBytes(v), g);
        }

        foreach (var (v, g) in _projects.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Add(1, Encoding.UTF8.GetBytes(v), g);
        }

        var day = new byte[8];
        foreach (var (v, g) in _days.OrderBy(x => x.Key))
        {
            BinaryPrimitives.WriteInt64LittleEndian(day, v);
            Add(2, day, g);
        }

        return Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
    }

    private void WriteHead(DbTransaction tx)
    {
        var head = new Head(Covered, Rows, Skipped, GroupsSha256(), _key!.KeyId, string.Empty);
        var mac = _key.Sign(KeyPurpose.Index, head.MacInput());
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO meta(k, v) VALUES ('head', $h), ('head_mac', $m), ('schema_version', $v)";
        AddValue(cmd, "$h", head.Json());
        AddValue(cmd, "$m", mac);
        AddValue(cmd, "$v", SchemaVersion.ToString(CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    private static Head? ReadHead(DbConnection db)
    {
        string? Meta(string k)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT v FROM meta WHERE k = $k";
            AddValue(cmd, "$k", k);
            return cmd.ExecuteScalar() as string;
        }

        try
        {
            if (Meta("schema_version") != SchemaVersion.ToString(CultureInfo.InvariantCulture) || Meta("head") is not { } json || Meta("head_mac") is not { } mac)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new Head(r.GetProperty("covered_bytes").GetInt64(), r.GetProperty("rows").GetInt64(), r.GetProperty("skipped_lines").GetInt64(), r.GetProperty("groups_sha256").GetString()!, r.GetProperty("key_id").GetString()!, mac);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or DbException)
        {
            throw new IndexMismatchException("the index head is not readable: " + ex.Message);
        }
    }

    private IEnumerable<Row> Rows2(string where, params (string Name, object Value)[] args)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT seq, ts, schema_key, project_id, row FROM records " + where;
        foreach (var (name, value) in args)
        {
            AddValue(cmd, name, value);
        }

        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            Row row;
            try
            {
                row = Row.FromBlob(r.IsDBNull(4) ? Array.Empty<byte>() : (byte[])r.GetValue(4));
                if (row.Seq != r.GetInt64(0) || row.Ts != r.GetInt64(1) || row.SchemaKey != r.GetString(2) || row.ProjectId != (r.IsDBNull(3) ? null : r.GetString(3)))
                {
                    throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {r.GetInt64(0)}'s columns disagree with its authenticated data: index.sqlite was edited"));
                }
            }
            catch (Exception ex) when (ex is InvalidCastException or OverflowException or FormatException)
            {
                throw new IndexMismatchException("a row is not in the index's format: " + ex.Message);
            }

            yield return row;
        }
    }

    internal static byte[] HmacBytes(string? hmac)
    {
        var bytes = new byte[32];
        if (hmac is not null && hmac.StartsWith(AuditKey.HmacPrefix, StringComparison.Ordinal) && hmac.Length == AuditKey.HmacPrefix.Length + 64)
        {
            try
            {
                return Convert.FromHexString(hmac.AsSpan(AuditKey.HmacPrefix.Length));
            }
            catch (FormatException)
            {
                return bytes;
            }
        }

        return bytes;
    }

    private static void Pragmas(DbConnection db, bool readOnly)
        => Exec(db, readOnly ? "PRAGMA busy_timeout=30000;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;");

    private static void CreateSecondaryIndexes(DbConnection db) => Exec(db, """
        CREATE INDEX IF NOT EXISTS records_schema ON records(schema_key, seq);
        CREATE INDEX IF NOT EXISTS records_project ON records(project_id, seq);
        CREATE INDEX IF NOT EXISTS records_ts ON records(ts);
        """);

    private static DbParameter AddParameter(DbCommand cmd, string name, DbType type)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.DbType = type;
        cmd.Parameters.Add(p);
        return p;
    }

    private static void AddValue(DbCommand cmd, string name, object value)
        => AddParameter(cmd, name, value is string ? DbType.String : DbType.Int64).Value = value;

    private static void Exec(DbConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private sealed class Group
    {
        public long Count;
        public long Last;

        /// <summary>The group's value as UTF-8 (schema keys and projects), built once.</summary>
        public byte[]? Utf8;
    }

    /// <summary>The index head: what the MAC covers, in canonical JSON.</summary>
    private sealed record Head(long Covered, long Rows, long Skipped, string GroupsSha256, string KeyId, string Mac)
    {
        public string Json()
        {
            var sb = new StringBuilder();
            sb.Append("{\"covered_bytes\":").Append(Covered.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"groups_sha256\":");
            CanonicalJson.AppendString(sb, GroupsSha256);
            sb.Append(",\"key_id\":");
            CanonicalJson.AppendString(sb, KeyId);
            sb.Append(",\"rows\":").Append(Rows.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"schema_version\":").Append(SchemaVersion.ToString(CultureInfo.InvariantCulture));
            sb.Append(",\"skipped_lines\":").Append(Skipped.ToString(CultureInfo.InvariantCulture));
            sb.Append('}');
            return sb.ToString();
        }

        public byte[] MacInput() => Encoding.UTF8.GetBytes("evalsig.index.head\n" + Json());
    }

    /// <summary>
    /// One index row. Its authenticated data is one blob - a fixed binary layout of every field,
    /// then the MAC over it - stored beside the three columns queries filter on (which must agree
    /// with it).
    /// </summary>
    private sealed class Row
    {
        private const int Fixed = (8 * 6) + 4 + 32 + 4;

        public Row(long seq, long position, long ts, string schemaKey, string? projectId, long offset, int length, string? recordHmac, long prevSchema, long prevProject, byte[] schema, byte[]? project)
        {
            (Seq, Position, Ts, SchemaKey, ProjectId, Offset, Length, PrevSchema, PrevProject) = (seq, position, ts, schemaKey, projectId, offset, length, prevSchema, prevProject);
            project ??= Array.Empty<byte>();
            Blob = new byte[Fixed + schema.Length + 1 + 4 + project.Length + 32];
            var s = Blob.AsSpan();
            BinaryPrimitives.WriteInt64LittleEndian(s, seq);
            BinaryPrimitives.WriteInt64LittleEndian(s[8..], position);
            BinaryPrimitives.WriteInt64LittleEndian(s[16..], ts);
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], offset);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], prevSchema);
            BinaryPrimitives.WriteInt64LittleEndian(s[40..], prevProject);
            BinaryPrimitives.WriteInt32LittleEndian(s[48..], length);
            WriteHmac(recordHmac, s.Slice(52, 32));
            RecordHmac = s.Slice(52, 32).ToArray();
            BinaryPrimitives.WriteInt32LittleEndian(s[84..], schema.Length);
            schema.CopyTo(s[88..]);
            var at = 88 + schema.Length;
            s[at] = projectId is null ? (byte)0 : (byte)1;
            BinaryPrimitives.WriteInt32LittleEndian(s[(at + 1)..], project.Length);
            project.CopyTo(s[(at + 5)..]);
        }

        private Row(byte[] blob, long seq, long position, long ts, string schemaKey, string? projectId, long offset, int length, byte[] recordHmac, long prevSchema, long prevProject)
        {
            Blob = blob;
            (Seq, Position, Ts, SchemaKey, ProjectId, Offset, Length, RecordHmac, PrevSchema, PrevProject) = (seq, position, ts, schemaKey, projectId, offset, length, recordHmac, prevSchema, prevProject);
        }

        public long Seq { get; }

        public long Position { get; }

        public long Ts { get; }

        public string SchemaKey { get; }

        public string? ProjectId { get; }

        public long Offset { get; }

        public int Length { get; }

        public byte[] RecordHmac { get; }

        public long PrevSchema { get; }

        public long PrevProject { get; }

        /// <summary>The fields, then 32 bytes of MAC over them.</summary>
        public byte[] Blob { get; }

        public IndexHit Hit => new(Seq, Position, Offset, Length, RecordHmac);

        /// <summary>"hmac-sha256:&lt;64 hex&gt;" as its 32 bytes (zeros when it is not one: it then matches no line).</summary>
        private static void WriteHmac(string? hmac, Span<byte> into)
        {
            into.Clear();
            if (hmac is null || hmac.Length != AuditKey.HmacPrefix.Length + 64 || !hmac.StartsWith(AuditKey.HmacPrefix, StringComparison.Ordinal))
            {
                return;
            }

            for (var i = 0; i < 32; i++)
            {
                var hi = HexDigit(hmac[AuditKey.HmacPrefix.Length + (2 * i)]);
                var lo = HexDigit(hmac[AuditKey.HmacPrefix.Length + (2 * i) + 1]);
                if (hi < 0 || lo < 0)
                {
                    into.Clear();
                    return;
                }

                into[i] = (byte)((hi << 4) | lo);
            }
        }

        private static int HexDigit(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        public static Row FromBlob(byte[] b)
        {
            var s = b.AsSpan();
            if (s.Length < Fixed + 1 + 4 + 32)
            {
                throw new IndexMismatchException("a row's data is too short: index.sqlite was edited");
            }

            var schemaLength = BinaryPrimitives.ReadInt32LittleEndian(s[84..]);
            var at = 88 + schemaLength;
            if (schemaLength < 0 || at + 5 + 32 > s.Length)
            {
                throw new IndexMismatchException("a row's data is malformed: index.sqlite was edited");
            }

            var hasProject = s[at] == 1;
            var projectLength = BinaryPrimitives.ReadInt32LittleEndian(s[(at + 1)..]);
            if (projectLength < 0 || at + 5 + projectLength + 32 != s.Length)
            {
                throw new IndexMismatchException("a row's data is malformed: index.sqlite was edited");
            }

            return new Row(
                b,
                BinaryPrimitives.ReadInt64LittleEndian(s),
                BinaryPrimitives.ReadInt64LittleEndian(s[8..]),
                BinaryPrimitives.ReadInt64LittleEndian(s[16..]),
                Encoding.UTF8.GetString(s.Slice(88, schemaLength)),
                hasProject ? Encoding.UTF8.GetString(s.Slice(at + 5, projectLength)) : null,
                BinaryPrimitives.ReadInt64LittleEndian(s[24..]),
                BinaryPrimitives.ReadInt32LittleEndian(s[48..]),
                s.Slice(52, 32).ToArray(),
                BinaryPrimitives.ReadInt64LittleEndian(s[32..]),
                BinaryPrimitives.ReadInt64LittleEndian(s[40..]));
        }
    }
}
