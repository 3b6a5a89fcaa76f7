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
    private readonly Dictionary<(int Kind, string Value), Group> _groups = new();

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

    /// <summary>A new, empty index authenticated with <paramref name="key"/> (any file there is deleted first).</summary>
    public static LedgerIndex Create(string directory, AuditKey key)
    {
        var path = PathIn(directory);
        Delete(path);
        var db = SqliteDatabase.Open(path);
        try
        {
            Pragmas(db, readOnly: false);
            Exec(db, """
                CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
                CREATE TABLE records (
                    seq INTEGER PRIMARY KEY,
                    position INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    day INTEGER NOT NULL,
                    schema_key TEXT NOT NULL,
                    project_id TEXT,
                    offset INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    record_hmac BLOB NOT NULL,
                    prev_schema INTEGER NOT NULL,
                    prev_project INTEGER NOT NULL,
                    mac BLOB NOT NULL);
                CREATE TABLE groups (kind INTEGER NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (kind, value)) WITHOUT ROWID;
                """);
            CreateSecondaryIndexes(db);
            var index = new LedgerIndex(db, key);
            using (var tx = db.BeginTransaction())
            {
                index.WriteHead(tx);
                tx.Commit();
            }

            Files.FileOps.SyncDirectory(directory);
            return index;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

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
    /// Indexes the committed lines not yet covered: strict parse and row MACs in parallel blocks,
    /// links and inserts in order, one transaction. Progress reports the fraction of bytes done.
    /// </summary>
    public void CatchUp(string ledgerPath, LedgerSnapshot snap, IProgress<double>? progress, CancellationToken cancel)
    {
        var key = _key ?? throw new InvalidOperationException("catching up needs the key");
        if (Covered >= snap.Complete)
        {
            return;
        }

        var start = Covered;
        var total = snap.Complete - start;

        // A large catch-up (more new bytes than the index covers) builds faster with the secondary
        // indexes created once at the end than maintained row by row.
        var bulk = total > start && total > (8 << 20);
        Exec(_db, "PRAGMA synchronous=OFF;");
        if (bulk)
        {
            Exec(_db, "DROP INDEX IF EXISTS records_schema; DROP INDEX IF EXISTS records_project; DROP INDEX IF EXISTS records_day;");
        }

        using var tx = _db.BeginTransaction();
        using var insert = _db.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO records(seq, position, ts, day, schema_key, project_id, offset, length, record_hmac, prev_schema, prev_project, mac) VALUES ($q, $p, $t, $d, $s, $j, $o, $l, $h, $ps, $pp, $m)";
        var pq = AddParameter(insert, "$q", DbType.Int64);
        var pp = AddParameter(insert, "$p", DbType.Int64);
        var pt = AddParameter(insert, "$t", DbType.Int64);
        var pd = AddParameter(insert, "$d", DbType.Int64);
        var ps = AddParameter(insert, "$s", DbType.String);
        var pj = AddParameter(insert, "$j", DbType.String);
        var po = AddParameter(insert, "$o", DbType.Int64);
        var pl = AddParameter(insert, "$l", DbType.Int64);
        var ph = AddParameter(insert, "$h", DbType.Binary);
        var pps = AddParameter(insert, "$ps", DbType.Int64);
        var ppp = AddParameter(insert, "$pp", DbType.Int64);
        var pm = AddParameter(insert, "$m", DbType.Binary);
        insert.Prepare();

        var dirty = new HashSet<(int, string)>();
        var block = new List<LedgerLine>(BlockSize);
        var rows = new Row?[BlockSize];
        void Flush()
        {
            if (block.Count == 0)
            {
                return;
            }

            var fields = new LineFields[block.Count];
            var ok = new bool[block.Count];
            Parallel.For(0, block.Count, new ParallelOptions { CancellationToken = cancel }, i => ok[i] = LineFields.TryRead(block[i].Utf8.Span, out fields[i]));
            for (var i = 0; i < block.Count; i++)
            {
                if (!ok[i])
                {
                    Skipped++;
                    rows[i] = null;
                    continue;
                }

                var f = fields[i];
                var seq = Rows++;
                var ts = IsoTime.TryParse(f.Timestamp, out var t) ? Micros(t) : 0L;
                var prevSchema = Advance(GroupKind.Schema, f.SchemaKey!, seq, dirty);
                var prevProject = f.ProjectId is null ? -1 : Advance(GroupKind.Project, f.ProjectId, seq, dirty);
                Advance(GroupKind.Day, Day(ts).ToString(CultureInfo.InvariantCulture), seq, dirty);
                rows[i] = new Row(seq, f.Position, ts, f.SchemaKey!, f.ProjectId, block[i].Offset, block[i].Utf8.Length, HmacBytes(f.Hmac), prevSchema, prevProject, new byte[32]);
            }

            Parallel.ForEach(
                System.Collections.Concurrent.Partitioner.Create(0, block.Count, 1024),
                new ParallelOptions { CancellationToken = cancel },
                () => key.CreateHmac(KeyPurpose.Index),
                (range, _, h) =>
                {
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        if (rows[i] is { } r)
                        {
                            h.AppendData(r.MacInput());
                            h.GetHashAndReset(r.Mac);
                        }
                    }

                    return h;
                },
                h => h.Dispose());

            for (var i = 0; i < block.Count; i++)
            {
                if (rows[i] is not { } r)
                {
                    continue;
                }

                pq.Value = r.Seq;
                pp.Value = r.Position;
                pt.Value = r.Ts;
                pd.Value = Day(r.Ts);
                ps.Value = r.SchemaKey;
                pj.Value = (object?)r.ProjectId ?? DBNull.Value;
                po.Value = r.Offset;
                pl.Value = (long)r.Length;
                ph.Value = r.RecordHmac;
                pps.Value = r.PrevSchema;
                ppp.Value = r.PrevProject;
                pm.Value = r.Mac;
                insert.ExecuteNonQuery();
            }

            var last = block[^1];
            progress?.Report((double)(last.Offset + last.Utf8.Length + 1 - start) / Math.Max(1, total));
            block.Clear();
        }

        foreach (var line in LedgerFile.Lines(ledgerPath, start, snap.Complete))
        {
            cancel.ThrowIfCancellationRequested();
            block.Add(line);
            if (block.Count == BlockSize)
            {
                Flush();
            }
        }

        Flush();
        Covered = snap.Complete;
        using (var upsert = _db.CreateCommand())
        {
            upsert.Transaction = tx;
            upsert.CommandText = "INSERT OR REPLACE INTO groups(kind, value, count, last_seq) VALUES ($k, $v, $c, $l)";
            var k = AddParameter(upsert, "$k", DbType.Int64);
            var v = AddParameter(upsert, "$v", DbType.String);
            var c = AddParameter(upsert, "$c", DbType.Int64);
            var l = AddParameter(upsert, "$l", DbType.Int64);
            upsert.Prepare();
            foreach (var g in dirty)
            {
                var group = _groups[g];
                k.Value = (long)g.Item1;
                v.Value = g.Item2;
                c.Value = group.Count;
                l.Value = group.Last;
                upsert.ExecuteNonQuery();
            }
        }

        WriteHead(tx);
        tx.Commit();
        if (bulk)
        {
            CreateSecondaryIndexes(_db);
        }

        Exec(_db, "PRAGMA synchronous=NORMAL;");
        progress?.Report(1);
    }

    /// <summary>
    /// The hits for a query, every row used checked (MAC when keyed, links, the group's end or
    /// contiguity), filters applied to the checked fields, then Skip and First.
    /// </summary>
    public List<IndexHit> Find(AuditQuery q, CancellationToken cancel)
    {
        var schema = q.SchemaKey is null ? null : Lookup(GroupKind.Schema, q.SchemaKey);
        var project = q.ProjectId is null ? null : Lookup(GroupKind.Project, q.ProjectId);
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
        foreach (var row in Rows2("WHERE day BETWEEN $a AND $b ORDER BY seq", ("$a", from), ("$b", to)))
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

        foreach (var ((kind, value), group) in _groups)
        {
            if (kind != (int)GroupKind.Day)
            {
                continue;
            }

            var day = long.Parse(value, CultureInfo.InvariantCulture);
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
            _key.Mac(KeyPurpose.Index, row.MacInput(), mac);
            if (!CryptographicOperations.FixedTimeEquals(mac, row.Mac))
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

    private Group? Lookup(GroupKind kind, string value) => _groups.TryGetValue(((int)kind, value), out var g) ? g : null;

    private long Advance(GroupKind kind, string value, long seq, HashSet<(int, string)> dirty)
    {
        var k = ((int)kind, value);
        var prev = -1L;
        if (_groups.TryGetValue(k, out var g))
        {
            prev = g.Last;
            g.Count++;
            g.Last = seq;
        }
        else
        {
            _groups[k] = new Group { Count = 1, Last = seq };
        }

        dirty.Add(k);
        return prev;
    }

    private void LoadGroups(string expectedSha256)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT kind, value, count, last_seq FROM groups";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            _groups[((int)r.GetInt64(0), r.GetString(1))] = new Group { Count = r.GetInt64(2), Last = r.GetInt64(3) };
        }

        if (GroupsSha256() != expectedSha256)
        {
            throw new IndexMismatchException("the index's group counts do not match its head: index.sqlite was edited");
        }
    }

    /// <summary>SHA-256 over every group in a fixed order (kind, then value by ordinal).</summary>
    private string GroupsSha256()
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> n = stackalloc byte[8];
        foreach (var ((kind, value), g) in _groups.OrderBy(x => x.Key.Kind).ThenBy(x => x.Key.Value, StringComparer.Ordinal))
        {
            var v = Encoding.UTF8.GetBytes(value);
            BinaryPrimitives.WriteInt64LittleEndian(n, kind);
            h.AppendData(n);
            BinaryPrimitives.WriteInt64LittleEndian(n, v.Length);
            h.AppendData(n);
            h.AppendData(v);
            BinaryPrimitives.WriteInt64LittleEndian(n, g.Count);
            h.AppendData(n);
            BinaryPrimitives.WriteInt64LittleEndian(n, g.Last);
            h.AppendData(n);
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
        cmd.CommandText = "SELECT seq, position, ts, day, schema_key, project_id, offset, length, record_hmac, prev_schema, prev_project, mac FROM records " + where;
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
                row = new Row(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), checked((int)r.GetInt64(7)), Blob(r, 8), r.GetInt64(9), r.GetInt64(10), Blob(r, 11));
                if (r.GetInt64(3) != Day(row.Ts))
                {
                    throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq}'s day does not match its timestamp: index.sqlite was edited"));
                }
            }
            catch (Exception ex) when (ex is InvalidCastException or OverflowException or FormatException)
            {
                throw new IndexMismatchException("a row is not in the index's format: " + ex.Message);
            }

            yield return row;
        }
    }

    private static byte[] Blob(DbDataReader r, int i)
    {
        var b = r.IsDBNull(i) ? Array.Empty<byte>() : (byte[])r.GetValue(i);
        return b.Length == 32 ? b : throw new IndexMismatchException("a row's MAC or record HMAC has the wrong length");
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
        CREATE INDEX IF NOT EXISTS records_day ON records(day, seq);
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

    /// <summary>One index row; its MAC input is a fixed binary layout of every column but the MAC (and the derived day).</summary>
    private sealed record Row(long Seq, long Position, long Ts, string SchemaKey, string? ProjectId, long Offset, int Length, byte[] RecordHmac, long PrevSchema, long PrevProject, byte[] Mac)
    {
        public IndexHit Hit => new(Seq, Position, Offset, Length, RecordHmac);

        public byte[] MacInput()
        {
            var schema = Encoding.UTF8.GetBytes(SchemaKey);
            var project = ProjectId is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(ProjectId);
            var b = new byte[(8 * 6) + 4 + 32 + 4 + schema.Length + 1 + 4 + project.Length];
            var s = b.AsSpan();
            BinaryPrimitives.WriteInt64LittleEndian(s, Seq);
            BinaryPrimitives.WriteInt64LittleEndian(s[8..], Position);
            BinaryPrimitives.WriteInt64LittleEndian(s[16..], Ts);
            BinaryPrimitives.WriteInt64LittleEndian(s[24..], Offset);
            BinaryPrimitives.WriteInt64LittleEndian(s[32..], PrevSchema);
            BinaryPrimitives.WriteInt64LittleEndian(s[40..], PrevProject);
            BinaryPrimitives.WriteInt32LittleEndian(s[48..], Length);
            RecordHmac.CopyTo(s[52..]);
            BinaryPrimitives.WriteInt32LittleEndian(s[84..], schema.Length);
            schema.CopyTo(s[88..]);
            var at = 88 + schema.Length;
            s[at] = ProjectId is null ? (byte)0 : (byte)1;
            BinaryPrimitives.WriteInt32LittleEndian(s[(at + 1)..], project.Length);
            project.CopyTo(s[(at + 5)..]);
            return b;
        }
    }
}
