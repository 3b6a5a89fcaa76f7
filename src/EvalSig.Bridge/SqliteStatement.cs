using System;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EvalSig.Bridge;

/// <summary>
/// One prepared SQLite statement run many times with parameters bound by position, straight
/// through SQLitePCLRaw. For bulk inserts: Microsoft.Data.Sqlite binds every parameter by name on
/// every execution, which costs more than the insert itself. It runs inside whatever transaction
/// the connection has open.
/// </summary>
public sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    private SqliteStatement(sqlite3 db, sqlite3_stmt stmt)
    {
        _db = db;
        _stmt = stmt;
    }

    /// <summary>Prepares <paramref name="sql"/> (parameters written ?1, ?2, ...) on an open connection from <see cref="SqliteDatabase"/>.</summary>
    /// <exception cref="DbException">The statement does not compile.</exception>
    public static SqliteStatement Prepare(DbConnection connection, string sql)
    {
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(db, sql, out var stmt);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }

        return new SqliteStatement(db, stmt);
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_stmt, index, value));

    public void Bind(int index, string? value) => Check(value is null ? raw.sqlite3_bind_null(_stmt, index) : raw.sqlite3_bind_text(_stmt, index, value));

    public void Bind(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_stmt, index, value));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_stmt, index));

    /// <summary>Runs the statement once with the bound values, then resets it for the next.</summary>
    /// <exception cref="DbException">SQLite refused the row (a constraint, a full disk, ...).</exception>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }
    }

    public void Dispose() => _stmt.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }
    }
}
