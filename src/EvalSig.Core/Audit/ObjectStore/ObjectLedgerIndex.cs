using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EvalSig.Bridge;
using EvalSig.Core.ObjectStorage;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// The local query cache of an object-storage ledger: <c>index.sqlite</c> in the user's cache folder,
/// holding each record's position, time, schema key, project and stored line, and each segment's name
/// and entity tag. It is never the truth and never used to verify: it is brought level by listing the
/// objects after the newest segment it holds (whose entity tag must not have changed), and rebuilt
/// from the objects whenever it does not match them.
/// </summary>
internal sealed class ObjectLedgerIndex : IDisposable
{
    public const string FileName = "index.sqlite";
    private const int SchemaVersion = 1;
    private readonly DbConnection _db;

    private ObjectLedgerIndex(DbConnection db) => _db = db;

    /// <summary>Opens the cache and brings it level with the objects, rebuilding it when it does not match them.</summary>
    public static ObjectLedgerIndex OpenCurrent(string directory, ObjectStoreClient client, string chainPrefix, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        using var guard = LedgerLock.Acquire(Path.Combine(directory, "index.lock"), TimeSpan.FromMinutes(2), cancel);
        var path = Path.Combine(directory, FileName);
        ObjectLedgerIndex? index = null;
        try
        {
            index = Open(path);
            if (!index.CatchUp(client, chainPrefix, cancel))
            {
                index.Dispose();
                index = null;
            }
        }
        catch (DbException)
        {
            index?.Dispose();
            index = null;
        }
        catch
        {
            index?.Dispose();
            throw;
        }

        if (index is null)
        {
            Delete(path);
            index = Open(path);
            index.CatchUp(client, chainPrefix, cancel);
        }

        return index;
    }

    /// <summary>Deletes the cache and builds it again from the objects.</summary>
    public static void Rebuild(string directory, ObjectStoreClient client, string chainPrefix, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        using var guard = LedgerLock.Acquire(Path.Combine(directory, "index.lock"), TimeSpan.FromMinutes(2), cancel);
        var path = Path.Combine(directory, FileName);
        Delete(path);
        using var index = Open(path);
        index.CatchUp(client, chainPrefix, cancel);
    }

    /// <summary>The newest segment name the cache holds, without touching the service: a hint for appends, null when unknown.</summary>
    public static string? NewestSegmentHint(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var db = SqliteDatabase.Open(path, readOnly: true);
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT name FROM segments ORDER BY first DESC LIMIT 1";
            return cmd.ExecuteScalar() as string;
        }
        catch (DbException)
        {
            return null;
        }
    }

    public long Count()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM records";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The stored lines of the matching records, in chain order.</summary>
    public List<string> Find(AuditQuery q)
    {
        using var cmd = _db.CreateCommand();
        var where = new List<string>();
        if (q.SchemaKey is not null)
        {
            where.Add("schema_key = $schema");
            Add(cmd, "$schema", q.SchemaKey);
        }

        if (q.ProjectId is not null)
        {
            where.Add("project_id = $project");
            Add(cmd, "$project", q.ProjectId);
        }

        if (q.From is { } from)
        {
            where.Add("ts >= $from");
            Add(cmd, "$from", LedgerIndex.Micros(from));
        }

        if (q.To is { } to)
        {
            where.Add("ts <= $to");
            Add(cmd, "$to", LedgerIndex.Micros(to));
        }

        cmd.CommandText = "SELECT line FROM records" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) + " ORDER BY position LIMIT $first OFFSET $skip";
        Add(cmd, "$first", q.First ?? -1);
        Add(cmd, "$skip", q.Skip);
        var lines = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            lines.Add(r.GetString(0));
        }

        return lines;
    }

    public void Dispose() => _db.Dispose();

    private static ObjectLedgerIndex Open(string path)
    {
        var db = SqliteDatabase.Open(path);
        try
        {
            Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
            Exec(db, """
                CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS segments (first INTEGER PRIMARY KEY, name TEXT NOT NULL, etag TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS records (
                    position INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    schema_key TEXT NOT NULL,
                    project_id TEXT,
                    line TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS records_ts ON records(ts);
                CREATE INDEX IF NOT EXISTS records_schema ON records(schema_key, position);
                CREATE INDEX IF NOT EXISTS records_project ON records(project_id, position);
                """);
            return new ObjectLedgerIndex(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Indexes the segments after the newest one held. False when the cache does not match the objects:
    /// its newest segment is gone or was replaced (another entity tag), or a segment appeared before it.
    /// </summary>
    private bool CatchUp(ObjectStoreClient client, string chainPrefix, CancellationToken cancel)
    {
        var version = Meta("schema_version");
        if (version is not null && version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }

        var newest = new List<(string Name, string ETag)>();
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT name, etag FROM segments ORDER BY first DESC LIMIT 2";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                newest.Add((r.GetString(0), r.GetString(1)));
            }
        }

        // List from the segment before the newest held, so the listing shows the newest held too.
        var startAfter = newest.Count == 2 ? newest[1].Name : null;
        var held = newest.Count > 0 ? newest[0] : default;
        var seenHeld = newest.Count == 0;
        var fresh = new List<(string Name, string ETag, long First)>();
        foreach (var o in client.List(chainPrefix, startAfter, cancel))
        {
            if (!ChainSegments.TryParse(o.Name, chainPrefix, out var first))
            {
                continue;
            }

            var order = newest.Count == 0 ? 1 : string.CompareOrdinal(o.Name, held.Name);
            if (order == 0)
            {
                if (!string.Equals(o.ETag, held.ETag, StringComparison.Ordinal))
                {
                    return false; // the newest segment held was replaced
                }

                seenHeld = true;
            }
            else if (!seenHeld)
            {
                return false; // the newest held is gone, or a segment appeared before it
            }
            else
            {
                fresh.Add((o.Name, o.ETag, first));
            }
        }

        if (!seenHeld)
        {
            return false;
        }

        if (fresh.Count == 0)
        {
            return true;
        }

        using var tx = _db.BeginTransaction();
        using var insert = _db.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT OR REPLACE INTO records(position, ts, schema_key, project_id, line) VALUES ($p, $t, $s, $j, $l)";
        var p = Parameter(insert, "$p", DbType.Int64);
        var t = Parameter(insert, "$t", DbType.Int64);
        var s = Parameter(insert, "$s", DbType.String);
        var j = Parameter(insert, "$j", DbType.String);
        var l = Parameter(insert, "$l", DbType.String);
        insert.Prepare();
        using var segment = _db.CreateCommand();
        segment.Transaction = tx;
        segment.CommandText = "INSERT OR REPLACE INTO segments(first, name, etag) VALUES ($f, $n, $e)";
        var f = Parameter(segment, "$f", DbType.Int64);
        var n = Parameter(segment, "$n", DbType.String);
        var e = Parameter(segment, "$e", DbType.String);
        segment.Prepare();
        var i = 0;
        foreach (var content in client.ReadMany(fresh.Select(x => x.Name), 16, cancel))
        {
            var (name, etag, first) = fresh[i++];
            if (content is null)
            {
                return false; // listed, then gone: start over from the objects next time
            }

            foreach (var line in ChainSegments.Lines(content.Bytes))
            {
                if (!LineFields.TryRead(line.Span, out var fields))
                {
                    continue; // not a record: verification reports it; queries cannot return it
                }

                p.Value = fields.Position;
                t.Value = IsoTime.TryParse(fields.Timestamp, out var ts) ? LedgerIndex.Micros(ts) : 0L;
                s.Value = fields.SchemaKey;
                j.Value = (object?)fields.ProjectId ?? DBNull.Value;
                l.Value = Encoding.UTF8.GetString(line.Span);
                insert.ExecuteNonQuery();
            }

            f.Value = first;
            n.Value = name;
            e.Value = etag;
            segment.ExecuteNonQuery();
        }

        SetMeta(tx, "schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        tx.Commit();
        return true;
    }

    private string? Meta(string key)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT v FROM meta WHERE k = $k";
        Add(cmd, "$k", key);
        return cmd.ExecuteScalar() as string;
    }

    private void SetMeta(DbTransaction tx, string key, string value)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO meta(k, v) VALUES ($k, $v)";
        Add(cmd, "$k", key);
        Add(cmd, "$v", value);
        cmd.ExecuteNonQuery();
    }

    private static DbParameter Parameter(DbCommand cmd, string name, DbType type)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.DbType = type;
        cmd.Parameters.Add(p);
        return p;
    }

    private static void Add(DbCommand cmd, string name, object value)
        => Parameter(cmd, name, value is string ? DbType.String : DbType.Int64).Value = value;

    private static void Exec(DbConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Delete(string path)
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
}
