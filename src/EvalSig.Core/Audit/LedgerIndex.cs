using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.IO;
using EvalSig.Core.Time;
using EvalSig.Bridge;

namespace EvalSig.Core.Audit;

/// <summary>
/// index.sqlite (WAL): a derived index of the JSONL ledger by position, timestamp, schema key and
/// project. It is never the truth: it records how many ledger bytes it covers, catches up when the
/// ledger has grown, and is rebuilt from the ledger when missing, corrupt or inconsistent.
/// </summary>
internal sealed class LedgerIndex : IDisposable
{
    public const string FileName = "index.sqlite";
    private const int SchemaVersion = 1;

    private readonly DbConnection _db;

    private LedgerIndex(DbConnection db) => _db = db;

    /// <summary>Opens the index and brings it level with the ledger, rebuilding it if it is unusable.</summary>
    public static LedgerIndex OpenCurrent(string directory, string ledgerPath, long completeLength)
    {
        var path = Path.Combine(directory, FileName);
        using var guard = LedgerLock.Acquire(Path.Combine(directory, "index.lock"), TimeSpan.FromMinutes(2));
        LedgerIndex? index = null;
        try
        {
            index = Open(path);
            if (!index.CatchUp(ledgerPath, completeLength))
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

        if (index is null)
        {
            Delete(path);
            index = Open(path);
            index.CatchUp(ledgerPath, completeLength);
        }

        return index;
    }

    /// <summary>Deletes the index and builds it again from the ledger.</summary>
    public static void Rebuild(string directory, string ledgerPath, long completeLength)
    {
        using var guard = LedgerLock.Acquire(Path.Combine(directory, "index.lock"), TimeSpan.FromMinutes(2));
        var path = Path.Combine(directory, FileName);
        Delete(path);
        using var index = Open(path);
        index.CatchUp(ledgerPath, completeLength);
    }

    public long Count()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM records";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Offsets and lengths of the matching records, in chain order.</summary>
    public List<(long Offset, int Length)> Find(AuditQuery q)
    {
        using var cmd = _db.CreateCommand();
        var where = new List<string>();
        if (q.SchemaKey is not null)
        {
            where.Add("schema_key = $schema");
            AddValue(cmd, "$schema", q.SchemaKey);
        }

        if (q.ProjectId is not null)
        {
            where.Add("project_id = $project");
            AddValue(cmd, "$project", q.ProjectId);
        }

        if (q.From is { } from)
        {
            where.Add("ts >= $from");
            AddValue(cmd, "$from", Micros(from));
        }

        if (q.To is { } to)
        {
            where.Add("ts <= $to");
            AddValue(cmd, "$to", Micros(to));
        }

        cmd.CommandText = "SELECT offset, length FROM records" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty)
            + " ORDER BY position LIMIT $first OFFSET $skip";
        AddValue(cmd, "$first", q.First ?? -1);
        AddValue(cmd, "$skip", q.Skip);
        var result = new List<(long, int)>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result.Add((r.GetInt64(0), r.GetInt32(1)));
        }

        return result;
    }

    public void Dispose() => _db.Dispose();

    internal static long Micros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static LedgerIndex Open(string path)
    {
        var db = SqliteDatabase.Open(path);
        try
        {
            Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
            Exec(db, """
                CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS records (
                    position INTEGER PRIMARY KEY,
                    ts INTEGER NOT NULL,
                    schema_key TEXT NOT NULL,
                    project_id TEXT,
                    offset INTEGER NOT NULL,
                    length INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS records_ts ON records(ts);
                CREATE INDEX IF NOT EXISTS records_schema ON records(schema_key, position);
                CREATE INDEX IF NOT EXISTS records_project ON records(project_id, position);
                """);
            return new LedgerIndex(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Indexes ledger lines not yet covered. False when the index does not match the ledger.</summary>
    private bool CatchUp(string ledgerPath, long completeLength)
    {
        var covered = long.Parse(Meta("covered_bytes") ?? "0", CultureInfo.InvariantCulture);
        var version = Meta("schema_version");
        if ((version is not null && version != SchemaVersion.ToString(CultureInfo.InvariantCulture)) || covered > completeLength)
        {
            return false; // another format, or the ledger shrank (repaired or replaced): rebuild
        }

        if (covered > 0 && !CoveredLineMatches(ledgerPath, covered))
        {
            return false;
        }

        if (covered == completeLength)
        {
            return true;
        }

        using var tx = _db.BeginTransaction();
        using var insert = _db.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT OR REPLACE INTO records(position, ts, schema_key, project_id, offset, length) VALUES ($p, $t, $s, $j, $o, $l)";
        var p = AddParameter(insert, "$p", DbType.Int64);
        var t = AddParameter(insert, "$t", DbType.Int64);
        var s = AddParameter(insert, "$s", DbType.String);
        var j = AddParameter(insert, "$j", DbType.String);
        var o = AddParameter(insert, "$o", DbType.Int64);
        var l = AddParameter(insert, "$l", DbType.Int64);
        insert.Prepare();
        foreach (var line in LedgerFile.Lines(ledgerPath, covered, completeLength))
        {
            if (!LineFields.TryRead(line.Utf8.Span, out var f))
            {
                continue; // not a record: verification reports it; queries cannot return it
            }

            p.Value = f.Position;
            t.Value = IsoTime.TryParse(f.Timestamp, out var ts) ? Micros(ts) : 0L;
            s.Value = f.SchemaKey;
            j.Value = (object?)f.ProjectId ?? DBNull.Value;
            o.Value = line.Offset;
            l.Value = line.Utf8.Length;
            insert.ExecuteNonQuery();
        }

        SetMeta(tx, "covered_bytes", completeLength.ToString(CultureInfo.InvariantCulture));
        SetMeta(tx, "schema_version", SchemaVersion.ToString(CultureInfo.InvariantCulture));
        tx.Commit();
        return true;
    }

    /// <summary>The last indexed record still sits where the index says: the ledger was not replaced.</summary>
    private bool CoveredLineMatches(string ledgerPath, long covered)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT offset, length FROM records ORDER BY position DESC LIMIT 1"; // the newest record is the last line
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return true;
        }

        var offset = r.GetInt64(0);
        var length = r.GetInt32(1);
        if (offset + length + 1 > covered)
        {
            return false;
        }

        var bytes = LedgerFile.ReadRange(ledgerPath, offset, length + 1);
        return bytes[^1] == (byte)'\n' && (offset == 0 || LedgerFile.ReadRange(ledgerPath, offset - 1, 1)[0] == (byte)'\n');
    }

    private string? Meta(string key)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT v FROM meta WHERE k = $k";
        AddValue(cmd, "$k", key);
        return cmd.ExecuteScalar() as string;
    }

    private void SetMeta(DbTransaction tx, string key, string value)
    {
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO meta(k, v) VALUES ($k, $v)";
        AddValue(cmd, "$k", key);
        AddValue(cmd, "$v", value);
        cmd.ExecuteNonQuery();
    }

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
