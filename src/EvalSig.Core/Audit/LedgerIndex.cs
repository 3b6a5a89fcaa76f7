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
/// <item>A groups table holds, per schema key, project and UTC day, an id, the row count and the
/// first and last row; its SHA-256 is in the head. Rows name their schema key and project by id
/// (the MAC covers the names), and hold only numbers and 32-byte blobs.</item>
/// <item>The head - bytes covered, rows, lines skipped, groups digest, key id - is MAC'd, and its
/// last row must still match the ledger line at its offset.</item>
/// </list>
/// A reader checks the head, then the rows it uses: their MACs, their links, that their lines come
/// in ledger order, and that a chain starts and ends where the groups say (or, without filters,
/// that sequence numbers are contiguous); a time range is answered from the contiguous span of rows
/// between its days' first and last rows, whose per-day counts must match. Any mismatch throws
/// <see cref="IndexMismatchException"/>; the caller rebuilds from the ledger or scans. Without a key
/// the same structural checks run, but nothing is authenticated and nothing is written.
/// </summary>
internal sealed class LedgerIndex : IDisposable
{
    public const string FileName = "index.sqlite";
    private const int SchemaVersion = 3;
    private const long MicrosPerDay = 86_400_000_000L;

    private readonly DbConnection _db;
    private readonly AuditKey? _key;
    private readonly Dictionary<string, Group> _schemas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _projects = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Group> _days = new();
    private readonly List<Group> _schemaIds = new();
    private readonly List<Group> _projectIds = new();
    private IncrementalHash? _checker;

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

    // Rows name their schema key and project by group id and hold numbers and 32-byte blobs only:
    // the narrowest row that still carries everything its MAC covers.
    private const string Schema = """
        CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
        CREATE TABLE records (
            seq INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            schema_id INTEGER NOT NULL,
            project_id INTEGER,
            position INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            prev_schema INTEGER NOT NULL,
            prev_project INTEGER NOT NULL,
            record_hmac BLOB NOT NULL,
            mac BLOB NOT NULL);
        CREATE TABLE groups (kind INTEGER NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL, count INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, PRIMARY KEY (kind, value)) WITHOUT ROWID;
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
            Exec(_db, "DROP INDEX IF EXISTS records_schema; DROP INDEX IF EXISTS records_project;");
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
    /// pipeline: one stage reads a buffer of lines, parses them strictly and builds and MACs their
    /// rows (in parallel; sequence numbers, links and groups in order), while the other inserts the
    /// previous batch, many rows per statement. Nothing allocates per line: lines are slices of one
    /// reused read buffer, string values are compared as their canonical bytes, and rows are columns
    /// of reused arrays. Progress: the fraction of bytes done.
    /// </summary>
    private void Insert(string ledgerPath, LedgerSnapshot snap, IProgress<double>? progress, CancellationToken cancel, DbTransaction? outer = null)
    {
        var key = _key ?? throw new InvalidOperationException("indexing needs the key");
        var start = Covered;
        var total = snap.Complete - start;
        var tx = outer ?? _db.BeginTransaction();
        var dirty = new Dirty();
        var free = new System.Collections.Concurrent.ConcurrentBag<RowBatch>();
        using var batches = new System.Collections.Concurrent.BlockingCollection<RowBatch>(boundedCapacity: 2);
        var producer = Task.Run(
            () =>
            {
                try
                {
                    var lookup = new RawGroups(this);
                    foreach (var lines in LedgerFile.Blocks(ledgerPath, start, snap.Complete))
                    {
                        cancel.ThrowIfCancellationRequested();
                        var batch = free.TryTake(out var b) ? b : new RowBatch();
                        Prepare(lines, key, lookup, dirty, batch, cancel);
                        batches.Add(batch, cancel);
                    }
                }
                finally
                {
                    batches.CompleteAdding();
                }
            },
            cancel);
        try
        {
            using var many = SqliteStatement.Prepare(_db, InsertSql(RowsPerInsert));
            using var one = SqliteStatement.Prepare(_db, InsertSql(1));
            foreach (var batch in batches.GetConsumingEnumerable(cancel))
            {
                var i = 0;
                for (; i + RowsPerInsert <= batch.Count; i += RowsPerInsert)
                {
                    for (var k = 0; k < RowsPerInsert; k++)
                    {
                        batch.Bind(many, k * RowColumns, i + k);
                    }

                    many.Execute();
                }

                for (; i < batch.Count; i++)
                {
                    batch.Bind(one, 0, i);
                    one.Execute();
                }

                progress?.Report((double)(batch.End - start) / Math.Max(1, total));
                free.Add(batch);
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
            while (!batches.IsCompleted && batches.TryTake(out _, 100))
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

    /// <summary>Rows per multi-row INSERT: SQLite's per-statement work is shared by this many rows.</summary>
    private const int RowsPerInsert = 64;

    private const int RowColumns = 11;

    private static string InsertSql(int rows)
    {
        var sb = new StringBuilder("INSERT INTO records(seq, ts, schema_id, project_id, position, offset, length, prev_schema, prev_project, record_hmac, mac) VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sb.Append(r == 0 ? "(" : ",(");
            for (var c = 1; c <= RowColumns; c++)
            {
                sb.Append(c == 1 ? "?" : ",?").Append(((r * RowColumns) + c).ToString(CultureInfo.InvariantCulture));
            }

            sb.Append(')');
        }

        return sb.ToString();
    }

    /// <summary>One buffer's rows, column by column, reused from batch to batch.</summary>
    private sealed class RowBatch
    {
        public int Count;
        public long End;
        public long[] Seq = Array.Empty<long>();
        public long[] Ts = Array.Empty<long>();
        public long[] Schema = Array.Empty<long>();
        public long[] Project = Array.Empty<long>();
        public long[] Position = Array.Empty<long>();
        public long[] Offset = Array.Empty<long>();
        public long[] Length = Array.Empty<long>();
        public long[] PrevSchema = Array.Empty<long>();
        public long[] PrevProject = Array.Empty<long>();
        public byte[] RecordHmac = Array.Empty<byte>();
        public byte[] Mac = Array.Empty<byte>();

        public void Reset(int capacity)
        {
            Count = 0;
            if (Seq.Length < capacity)
            {
                capacity = Math.Max(capacity, Seq.Length * 2);
                Seq = new long[capacity];
                Ts = new long[capacity];
                Schema = new long[capacity];
                Project = new long[capacity];
                Position = new long[capacity];
                Offset = new long[capacity];
                Length = new long[capacity];
                PrevSchema = new long[capacity];
                PrevProject = new long[capacity];
                RecordHmac = new byte[capacity * 32];
                Mac = new byte[capacity * 32];
            }
        }

        public void Bind(SqliteStatement s, int at, int i)
        {
            s.Bind(at + 1, Seq[i]);
            s.Bind(at + 2, Ts[i]);
            s.Bind(at + 3, Schema[i]);
            if (Project[i] < 0)
            {
                s.BindNull(at + 4);
            }
            else
            {
                s.Bind(at + 4, Project[i]);
            }

            s.Bind(at + 5, Position[i]);
            s.Bind(at + 6, Offset[i]);
            s.Bind(at + 7, Length[i]);
            s.Bind(at + 8, PrevSchema[i]);
            s.Bind(at + 9, PrevProject[i]);
            s.Bind(at + 10, RecordHmac.AsSpan(i * 32, 32));
            s.Bind(at + 11, Mac.AsSpan(i * 32, 32));
        }
    }

    /// <summary>
    /// Schema keys and projects by their canonical bytes in the line (a cache in front of the
    /// groups by name): a line's value is looked up without decoding it.
    /// </summary>
    private sealed class RawGroups
    {
        private readonly LedgerIndex _index;
        private readonly Dictionary<int, List<(byte[] Raw, Group Group)>>[] _byHash = { new(), new() };

        public RawGroups(LedgerIndex index) => _index = index;

        /// <summary>The group of a schema key or project, created (with the next id) when new.</summary>
        public Group Get(GroupKind kind, ReadOnlySpan<byte> line, string? decoded, ValueRange raw)
        {
            var bytes = raw.Of(line);
            var hash = default(System.HashCode);
            hash.AddBytes(bytes);
            var h = hash.ToHashCode();
            var table = _byHash[(int)kind];
            if (table.TryGetValue(h, out var list))
            {
                foreach (var (r, g) in list)
                {
                    if (bytes.SequenceEqual(r))
                    {
                        return g;
                    }
                }
            }
            else
            {
                table[h] = list = new List<(byte[], Group)>(1);
            }

            var value = LineFields.Text(line, decoded, raw)!;
            var group = _index.GroupFor(kind, value);
            list.Add((bytes.ToArray(), group));
            return group;
        }
    }

    /// <summary>The named group of a kind, created with the next id when the index has none yet.</summary>
    private Group GroupFor(GroupKind kind, string value)
    {
        var (byName, byId) = kind == GroupKind.Schema ? (_schemas, _schemaIds) : (_projects, _projectIds);
        if (!byName.TryGetValue(value, out var g))
        {
            g = new Group(byId.Count, value);
            byName[value] = g;
            byId.Add(g);
        }

        return g;
    }

    /// <summary>
    /// One buffer's rows: strict parse in parallel, sequence numbers, groups and links in order,
    /// MACs in parallel.
    /// </summary>
    private void Prepare(List<LedgerLine> block, AuditKey key, RawGroups lookup, Dirty dirty, RowBatch batch, CancellationToken cancel)
    {
        var n = block.Count;
        var fields = new LineFields[n];
        var ok = new bool[n];
        var ts = new long[n];
        batch.Reset(n);
        var parallel = new ParallelOptions { CancellationToken = cancel };
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, n, 512), parallel, range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                var line = block[i].Utf8.Span;
                ok[i] = LineFields.TryReadRaw(line, out fields[i], out _);
                ts[i] = ok[i] ? Timestamp(line, fields[i]) : 0L;
            }
        });

        for (var i = 0; i < n; i++)
        {
            if (!ok[i])
            {
                Skipped++;
                continue;
            }

            var line = block[i].Utf8.Span;
            ref readonly var f = ref fields[i];
            var r = batch.Count++;
            var seq = batch.Seq[r] = Rows++;
            var schema = lookup.Get(GroupKind.Schema, line, f.SchemaKey, f.SchemaKeyRaw);
            batch.Schema[r] = schema.Id;
            batch.PrevSchema[r] = Advance(schema, seq, dirty.Schemas);
            if (f.ProjectIdRaw.IsNull)
            {
                batch.Project[r] = -1;
                batch.PrevProject[r] = -1;
            }
            else
            {
                var project = lookup.Get(GroupKind.Project, line, f.ProjectId, f.ProjectIdRaw);
                batch.Project[r] = project.Id;
                batch.PrevProject[r] = Advance(project, seq, dirty.Projects);
            }

            var day = Day(ts[i]);
            if (!_days.TryGetValue(day, out var dayGroup))
            {
                _days[day] = dayGroup = new Group(day, string.Empty);
            }

            Advance(dayGroup, seq, dirty.Days);
            batch.Ts[r] = ts[i];
            batch.Position[r] = f.Position;
            batch.Offset[r] = block[i].Offset;
            batch.Length[r] = block[i].Utf8.Length;
            RecordHmacBytes(f.HmacRaw.Of(line), f.Hmac, batch.RecordHmac.AsSpan(r * 32, 32));
        }

        Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(0, batch.Count, 1024),
            parallel,
            () => key.CreateHmac(KeyPurpose.Index),
            (range, _, h) =>
            {
                Span<byte> input = stackalloc byte[MacInputMax];
                for (var r = range.Item1; r < range.Item2; r++)
                {
                    var schema = _schemaIds[(int)batch.Schema[r]].Utf8;
                    var project = batch.Project[r] < 0 ? null : _projectIds[(int)batch.Project[r]].Utf8;
                    var length = MacInput(input, batch.Seq[r], batch.Position[r], batch.Ts[r], batch.Offset[r], batch.PrevSchema[r], batch.PrevProject[r], (int)batch.Length[r], batch.RecordHmac.AsSpan(r * 32, 32), schema, project);
                    if (length < 0)
                    {
                        var big = MacInputArray(batch.Seq[r], batch.Position[r], batch.Ts[r], batch.Offset[r], batch.PrevSchema[r], batch.PrevProject[r], (int)batch.Length[r], batch.RecordHmac.AsSpan(r * 32, 32), schema, project);
                        h.AppendData(big);
                    }
                    else
                    {
                        h.AppendData(input[..length]);
                    }

                    h.GetHashAndReset(batch.Mac.AsSpan(r * 32, 32));
                }

                return h;
            },
            h => h.Dispose());

        var last = block[^1];
        batch.End = last.Offset + last.Utf8.Length + 1;
    }

    /// <summary>The timestamp in microseconds (0 when it is not a time): the wire format read from its bytes, anything else as text.</summary>
    private static long Timestamp(ReadOnlySpan<byte> line, in LineFields f)
    {
        if (f.Timestamp is null && IsoTime.TryParseWire(f.TimestampRaw.Of(line), out var wire))
        {
            return Micros(wire);
        }

        return IsoTime.TryParse(LineFields.Text(line, f.Timestamp, f.TimestampRaw), out var t) ? Micros(t) : 0L;
    }

    /// <summary>"hmac-sha256:&lt;64 hex&gt;" as its 32 bytes; zeros when it is not one (it then matches no line).</summary>
    private static void RecordHmacBytes(ReadOnlySpan<byte> raw, string? decoded, Span<byte> into)
    {
        into.Clear();
        if (decoded is not null)
        {
            HmacBytes(decoded).CopyTo(into);
            return;
        }

        var prefix = "hmac-sha256:"u8;
        if (raw.Length != prefix.Length + 64 || !raw.StartsWith(prefix))
        {
            return;
        }

        for (var i = 0; i < 32; i++)
        {
            var hi = HexDigit(raw[prefix.Length + (2 * i)]);
            var lo = HexDigit(raw[prefix.Length + (2 * i) + 1]);
            if (hi < 0 || lo < 0)
            {
                into.Clear();
                return;
            }

            into[i] = (byte)((hi << 4) | lo);
        }
    }

    private static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Stack room for a row's MAC input; longer schema keys or projects take an array.</summary>
    private const int MacInputMax = 1024;

    /// <summary>
    /// What a row's MAC covers, in a fixed binary layout (little-endian): seq, position, ts, offset,
    /// previous row of the schema key, previous row of the project, length, record HMAC (32 bytes),
    /// schema key (int32 length + UTF-8), 1 if there is a project, project (int32 length + UTF-8).
    /// -1 when it does not fit.
    /// </summary>
    private static int MacInput(Span<byte> s, long seq, long position, long ts, long offset, long prevSchema, long prevProject, int length, ReadOnlySpan<byte> recordHmac, byte[] schema, byte[]? project)
    {
        var size = 88 + schema.Length + 5 + (project?.Length ?? 0);
        if (size > s.Length)
        {
            return -1;
        }

        BinaryPrimitives.WriteInt64LittleEndian(s, seq);
        BinaryPrimitives.WriteInt64LittleEndian(s[8..], position);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], ts);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], offset);
        BinaryPrimitives.WriteInt64LittleEndian(s[32..], prevSchema);
        BinaryPrimitives.WriteInt64LittleEndian(s[40..], prevProject);
        BinaryPrimitives.WriteInt32LittleEndian(s[48..], length);
        recordHmac.CopyTo(s.Slice(52, 32));
        BinaryPrimitives.WriteInt32LittleEndian(s[84..], schema.Length);
        schema.CopyTo(s[88..]);
        var at = 88 + schema.Length;
        s[at] = project is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteInt32LittleEndian(s[(at + 1)..], project?.Length ?? 0);
        project?.CopyTo(s[(at + 5)..]);
        return size;
    }

    private static byte[] MacInputArray(long seq, long position, long ts, long offset, long prevSchema, long prevProject, int length, ReadOnlySpan<byte> recordHmac, byte[] schema, byte[]? project)
    {
        var bytes = new byte[88 + schema.Length + 5 + (project?.Length ?? 0)];
        MacInput(bytes, seq, position, ts, offset, prevSchema, prevProject, length, recordHmac, schema, project);
        return bytes;
    }

    private sealed class Dirty
    {
        public HashSet<Group> Schemas { get; } = new();

        public HashSet<Group> Projects { get; } = new();

        public HashSet<Group> Days { get; } = new();
    }

    private void WriteGroups(DbTransaction tx, Dirty dirty)
    {
        using var upsert = _db.CreateCommand();
        upsert.Transaction = tx;
        upsert.CommandText = "INSERT OR REPLACE INTO groups(kind, value, id, count, first_seq, last_seq) VALUES ($k, $v, $i, $c, $f, $l)";
        var k = AddParameter(upsert, "$k", DbType.Int64);
        var v = AddParameter(upsert, "$v", DbType.String);
        var id = AddParameter(upsert, "$i", DbType.Int64);
        var c = AddParameter(upsert, "$c", DbType.Int64);
        var f = AddParameter(upsert, "$f", DbType.Int64);
        var l = AddParameter(upsert, "$l", DbType.Int64);
        upsert.Prepare();
        void Put(GroupKind kind, HashSet<Group> groups)
        {
            foreach (var g in groups)
            {
                k.Value = (long)kind;
                v.Value = kind == GroupKind.Day ? g.Id.ToString(CultureInfo.InvariantCulture) : g.Value;
                id.Value = g.Id;
                c.Value = g.Count;
                f.Value = g.First;
                l.Value = g.Last;
                upsert.ExecuteNonQuery();
            }
        }

        Put(GroupKind.Schema, dirty.Schemas);
        Put(GroupKind.Project, dirty.Projects);
        Put(GroupKind.Day, dirty.Days);
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
            if (schema is not null && project is not null && _key is null)
            {
                // Unauthenticated, a row moved out of the other group shows only as a break in
                // that group's chain: walk it too.
                Chain(new AuditQuery(), bySchema ? GroupKind.Project : GroupKind.Schema, bySchema ? project : schema, cancel);
            }

            return Chain(q, bySchema ? GroupKind.Schema : GroupKind.Project, bySchema ? schema! : project!, cancel);
        }

        return q.From is not null || q.To is not null ? Days(q, cancel) : All(q, cancel);
    }

    /// <summary>
    /// Checks the whole index, not only the rows a query uses: every row (its MAC when keyed), the
    /// sequence contiguous, every schema-key and project chain linked, and every group's count,
    /// first and last row recomputed. For Get-AuditStatus, which answers for the index as a whole.
    /// </summary>
    public void VerifyAll(CancellationToken cancel)
    {
        var schemas = new Dictionary<Group, (long Count, long First, long Last)>();
        var projects = new Dictionary<Group, (long Count, long First, long Last)>();
        var days = new Dictionary<long, (long Count, long First, long Last)>();
        long Link<T>(Dictionary<T, (long Count, long First, long Last)> groups, T value, long seq)
            where T : notnull
        {
            if (groups.TryGetValue(value, out var g))
            {
                groups[value] = (g.Count + 1, g.First, seq);
                return g.Last;
            }

            groups[value] = (1, seq, seq);
            return -1;
        }

        var expected = 0L;
        var offset = -1L;
        foreach (var row in Rows2("ORDER BY seq"))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            InOrder(row, ref offset);
            if (row.Seq != expected)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {expected} is missing (the next is {row.Seq})"));
            }

            expected++;
            if (Link(schemas, row.Schema, row.Seq) != row.PrevSchema || (row.Project is { } p ? Link(projects, p, row.Seq) : -1) != row.PrevProject)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq} does not link to the previous row of its schema key or project"));
            }

            Link(days, Day(row.Ts), row.Seq);
        }

        static bool Same<T>(Dictionary<T, (long Count, long First, long Last)> actual, IEnumerable<(T Key, Group Group)> recorded, int recordedCount)
            where T : notnull
            => actual.Count == recordedCount && recorded.All(r => actual.TryGetValue(r.Key, out var a) && a.Count == r.Group.Count && a.First == r.Group.First && a.Last == r.Group.Last);

        if (expected != Rows)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the index holds {expected} rows, its head records {Rows}"));
        }

        if (!Same(schemas, _schemaIds.Select(g => (g, g)), _schemaIds.Count) || !Same(projects, _projectIds.Select(g => (g, g)), _projectIds.Count) || !Same(days, _days.Select(d => (d.Key, d.Value)), _days.Count))
        {
            throw new IndexMismatchException("the rows do not add up to the group counts the head records");
        }
    }

    public void Dispose()
    {
        _checker?.Dispose();
        _db.Dispose();
    }

    internal static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static long Day(long micros) => micros >= 0 ? micros / MicrosPerDay : -((-micros - 1) / MicrosPerDay) - 1;

    /// <summary>Walks one schema key's (or project's) chain from its first row to the row the group names as last.</summary>
    private List<IndexHit> Chain(AuditQuery q, GroupKind kind, Group group, CancellationToken cancel)
    {
        var column = kind == GroupKind.Schema ? "schema_id" : "project_id";
        var what = kind == GroupKind.Schema ? "schema key" : "project";
        var hits = new List<IndexHit>();
        var expectedPrev = -1L;
        var seen = 0L;
        var skipped = 0;
        var offset = -1L;
        foreach (var row in Rows2($"WHERE {column} = $v ORDER BY seq", ("$v", group.Id)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            InOrder(row, ref offset);
            var (own, prev) = kind == GroupKind.Schema ? (row.Schema, row.PrevSchema) : (row.Project, row.PrevProject);
            if (own != group || prev != expectedPrev)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the rows of {what} '{group.Value}' do not link up at row {row.Seq} (expected the previous row {expectedPrev}, found {prev}): rows were deleted, moved or edited"));
            }

            if (seen == 0 && row.Seq != group.First)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the rows of {what} '{group.Value}' start at row {row.Seq}, but the index head records row {group.First}: rows were deleted or edited"));
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
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"{what} '{group.Value}' has {seen} rows ending at row {expectedPrev}, but the index head records {group.Count} ending at row {group.Last}: rows were deleted or edited"));
        }

        return hits;
    }

    /// <summary>
    /// A time range, answered from the whole UTC days it touches. The head records each day's
    /// first and last row and its count, so every row of those days lies in one span of sequence
    /// numbers: the span is read by seq (it must be contiguous), and each day's rows in it must add
    /// up to the day's count.
    /// </summary>
    private List<IndexHit> Days(AuditQuery q, CancellationToken cancel)
    {
        var from = q.From is { } f ? Day(Micros(f)) : long.MinValue;
        var to = q.To is { } t ? Day(Micros(t)) : long.MaxValue;
        var expected = new Dictionary<long, long>();
        long lo = long.MaxValue, hi = -1;
        foreach (var (day, group) in _days)
        {
            if (day >= from && day <= to)
            {
                expected[day] = group.Count;
                lo = Math.Min(lo, group.First);
                hi = Math.Max(hi, group.Last);
            }
        }

        var hits = new List<IndexHit>();
        if (hi < 0)
        {
            return hits; // the groups are authenticated: no record in those days
        }

        var counts = new Dictionary<long, long>();
        var next = lo;
        var offset = -1L;
        foreach (var row in Rows2("WHERE seq BETWEEN $a AND $b ORDER BY seq", ("$a", lo), ("$b", hi)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            InOrder(row, ref offset);
            if (row.Seq != next)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {next} is missing (the next is {row.Seq}): rows were deleted"));
            }

            next++;
            var day = Day(row.Ts);
            if (day < from || day > to)
            {
                continue; // a row of another day between this range's rows
            }

            if (!expected.ContainsKey(day))
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq} sits in a day the index head does not record: rows were inserted or edited"));
            }

            counts[day] = counts.GetValueOrDefault(day) + 1;
            if (Matches(q, row))
            {
                hits.Add(row.Hit);
            }
        }

        if (next != hi + 1)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the rows end at {next - 1}, but the index head records a row {hi} in these days: rows were deleted"));
        }

        foreach (var (day, count) in expected)
        {
            if (counts.GetValueOrDefault(day) != count)
            {
                throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"day {IsoTime.Format(DateTimeOffset.UnixEpoch.AddTicks(day * MicrosPerDay * 10)).AsSpan(0, 10)} has {counts.GetValueOrDefault(day)} rows, but the index head records {count}: rows were deleted, moved or edited"));
            }
        }

        return hits.Skip(q.Skip).Take(q.First ?? int.MaxValue).ToList();
    }

    /// <summary>No filter: rows Skip, Skip+1, ... by sequence number, contiguous up to the last row.</summary>
    private List<IndexHit> All(AuditQuery q, CancellationToken cancel)
    {
        var hits = new List<IndexHit>();
        var expected = (long)q.Skip;
        var limit = q.First is { } first ? (long)first : long.MaxValue;
        var offset = -1L;
        foreach (var row in Rows2("WHERE seq >= $s ORDER BY seq LIMIT $n", ("$s", (long)q.Skip), ("$n", q.First is { } n ? (long)n : -1L)))
        {
            cancel.ThrowIfCancellationRequested();
            Check(row);
            InOrder(row, ref offset);
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
        => (q.SchemaKey is null || row.Schema.Value == q.SchemaKey)
            && (q.ProjectId is null || row.Project?.Value == q.ProjectId)
            && (q.From is not { } f || row.Ts >= Micros(f))
            && (q.To is not { } t || row.Ts <= Micros(t));

    /// <summary>
    /// Rows are numbered in ledger order, so along any walk by seq their lines start further and
    /// further into the ledger: a row whose line does not is out of place (two rows swapped, an
    /// offset edited), with or without the key.
    /// </summary>
    private static void InOrder(Row row, ref long previousOffset)
    {
        if (row.Offset <= previousOffset)
        {
            throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {row.Seq}'s line (byte {row.Offset}) does not come after the previous row's (byte {previousOffset}): rows were moved or edited"));
        }

        previousOffset = row.Offset;
    }

    /// <summary>A row's own MAC (keyed), and that it lies within the rows the head records.</summary>
    private void Check(Row row)
    {
        if (_key is not null)
        {
            _checker ??= _key.CreateHmac(KeyPurpose.Index);
            Span<byte> input = stackalloc byte[MacInputMax];
            var length = MacInput(input, row.Seq, row.Position, row.Ts, row.Offset, row.PrevSchema, row.PrevProject, row.Length, row.RecordHmac, row.Schema.Utf8, row.Project?.Utf8);
            if (length < 0)
            {
                _checker.AppendData(MacInputArray(row.Seq, row.Position, row.Ts, row.Offset, row.PrevSchema, row.PrevProject, row.Length, row.RecordHmac, row.Schema.Utf8, row.Project?.Utf8));
            }
            else
            {
                _checker.AppendData(input[..length]);
            }

            Span<byte> mac = stackalloc byte[32];
            _checker.GetHashAndReset(mac);
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

    /// <summary>Counts a row into its group; returns the group's previous last row (-1 for its first row).</summary>
    private static long Advance(Group g, long seq, HashSet<Group> dirty)
    {
        var prev = g.Count == 0 ? -1L : g.Last;
        if (g.Count == 0)
        {
            g.First = seq;
        }

        g.Count++;
        g.Last = seq;
        dirty.Add(g);
        return prev;
    }

    private void LoadGroups(string expectedSha256)
    {
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT kind, value, id, count, first_seq, last_seq FROM groups";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var value = r.GetString(1);
                var id = r.GetInt64(2);
                switch ((GroupKind)r.GetInt64(0))
                {
                    case GroupKind.Schema:
                        _schemas[value] = new Group(id, value) { Count = r.GetInt64(3), First = r.GetInt64(4), Last = r.GetInt64(5) };
                        break;
                    case GroupKind.Project:
                        _projects[value] = new Group(id, value) { Count = r.GetInt64(3), First = r.GetInt64(4), Last = r.GetInt64(5) };
                        break;
                    case GroupKind.Day when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var day) && day == id:
                        _days[day] = new Group(day, string.Empty) { Count = r.GetInt64(3), First = r.GetInt64(4), Last = r.GetInt64(5) };
                        break;
                    default:
                        throw new IndexMismatchException("the index holds a group of an unknown kind: index.sqlite was edited");
                }
            }
        }

        // Rows name their schema key and project by id: the ids must be exactly 0, 1, 2, ...
        foreach (var (byName, byId) in new[] { (_schemas, _schemaIds), (_projects, _projectIds) })
        {
            byId.AddRange(byName.Values.OrderBy(g => g.Id));
            for (var i = 0; i < byId.Count; i++)
            {
                if (byId[i].Id != i)
                {
                    throw new IndexMismatchException("the index's group ids are not numbered 0, 1, 2, ...: index.sqlite was edited");
                }
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
            foreach (var x in new[] { kind, value.Length })
            {
                BinaryPrimitives.WriteInt64LittleEndian(n, x);
                h.AppendData(n);
            }

            h.AppendData(value);
            foreach (var x in new[] { g.Id, g.Count, g.First, g.Last })
            {
                BinaryPrimitives.WriteInt64LittleEndian(n, x);
                h.AppendData(n);
            }
        }

        foreach (var (_, g) in _schemas.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Add(0, g.Utf8, g);
        }

        foreach (var (_, g) in _projects.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            Add(1, g.Utf8, g);
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
        cmd.CommandText = "SELECT seq, ts, schema_id, project_id, position, offset, length, prev_schema, prev_project, record_hmac, mac FROM records " + where;
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
                var seq = r.GetInt64(0);
                var schema = r.GetInt64(2);
                var project = r.IsDBNull(3) ? -1 : r.GetInt64(3);
                if (schema < 0 || schema >= _schemaIds.Count || (!r.IsDBNull(3) && (project < 0 || project >= _projectIds.Count)))
                {
                    throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {seq} names a schema key or project the index does not record: index.sqlite was edited"));
                }

                row = new Row
                {
                    Seq = seq,
                    Ts = r.GetInt64(1),
                    Schema = _schemaIds[(int)schema],
                    Project = project < 0 ? null : _projectIds[(int)project],
                    Position = r.GetInt64(4),
                    Offset = r.GetInt64(5),
                    Length = checked((int)r.GetInt64(6)),
                    PrevSchema = r.GetInt64(7),
                    PrevProject = r.GetInt64(8),
                    RecordHmac = Blob32(r, 9, seq),
                    Mac = Blob32(r, 10, seq),
                };
            }
            catch (Exception ex) when (ex is InvalidCastException or OverflowException or FormatException)
            {
                throw new IndexMismatchException("a row is not in the index's format: " + ex.Message);
            }

            yield return row;
        }
    }

    private static byte[] Blob32(DbDataReader r, int column, long seq)
        => !r.IsDBNull(column) && r.GetValue(column) is byte[] { Length: 32 } b ? b
            : throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"row {seq}'s data is malformed: index.sqlite was edited"));

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
        CREATE INDEX IF NOT EXISTS records_schema ON records(schema_id);
        CREATE INDEX IF NOT EXISTS records_project ON records(project_id);
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

    /// <summary>A schema key, project (by id) or UTC day (by day number since 1970-01-01): its rows' count, first and last row.</summary>
    private sealed class Group
    {
        public Group(long id, string value)
        {
            Id = id;
            Value = value;
            Utf8 = Encoding.UTF8.GetBytes(value);
        }

        public long Id { get; }

        public string Value { get; }

        /// <summary>The value as UTF-8, as the row MACs cover it.</summary>
        public byte[] Utf8 { get; }

        public long Count;
        public long First;
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

    /// <summary>One index row as read back: its columns, with the schema key and project resolved through the groups.</summary>
    private sealed class Row
    {
        public long Seq { get; init; }

        public long Ts { get; init; }

        public required Group Schema { get; init; }

        public Group? Project { get; init; }

        public long Position { get; init; }

        public long Offset { get; init; }

        public int Length { get; init; }

        public long PrevSchema { get; init; }

        public long PrevProject { get; init; }

        public required byte[] RecordHmac { get; init; }

        public required byte[] Mac { get; init; }

        public IndexHit Hit => new(Seq, Position, Offset, Length, RecordHmac);
    }
}
