using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace EvalSig.Bridge;

/// <summary>
/// Opens SQLite databases through Microsoft.Data.Sqlite and hands them back as ADO.NET base types
/// (<see cref="DbConnection"/>, whose commands, readers and exceptions are base-library types too).
/// </summary>
public static class SqliteDatabase
{
    /// <summary>An open connection to the database file at <paramref name="path"/>, created if missing.</summary>
    /// <exception cref="DbException">The file is not a usable SQLite database.</exception>
    public static DbConnection Open(string path, bool readOnly = false)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        };
        var db = new SqliteConnection(builder.ToString());
        try
        {
            db.Open();
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Closes pooled connections, so the database files can be deleted or replaced.</summary>
    public static void ClearAllPools() => SqliteConnection.ClearAllPools();
}
