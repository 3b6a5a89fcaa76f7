using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Json;
using Microsoft.Data.Sqlite;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 15, "the SQLite index can lie": index.sqlite edited in every way the adversarial test
/// did (delete a row, change a row's schema key, shift an offset, delete a range) and more, each
/// against ten queries. With the key, every answer must equal the truth (a scan of the ledger) and
/// every tamper that changes the index must be reported; without the key, every answer is either
/// the truth or comes with a warning - never a silent wrong answer.
/// </summary>
public class IndexTamperTests : IClassFixture<IndexTamperTests.Ledgers>, IDisposable
{
    internal static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Schemas = { "acme.alpha.v1", "acme.bravo.v1", "acme.gamma.v1" };
    private static readonly string?[] Projects = { "p1", "p2", null, "p3" };
    private readonly Scratch _scratch = new();

    public IndexTamperTests(Ledgers ledgers) => (Pristine, _otherIndex) = (ledgers.Pristine, ledgers.OtherIndex);

    private readonly string _otherIndex;

    /// <summary>The untouched ledger with its index, and another ledger's index, built once for the class.</summary>
    public sealed class Ledgers : IDisposable
    {
        private readonly Scratch _scratch = new();

        public Ledgers()
        {
            Pristine = _scratch.File("pristine");
            WriteLedger(new LocalLedger(Pristine), 300, Start);
            _ = new LocalLedger(Pristine).Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).Count(); // builds the index
            Checkpoint(Path.Combine(Pristine, "index.sqlite"));
            var other = _scratch.File("other");
            WriteLedger(new LocalLedger(other), 300, Start.AddHours(1));
            _ = new LocalLedger(other).Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).Count();
            Checkpoint(Path.Combine(other, "index.sqlite"));
            OtherIndex = Path.Combine(other, "index.sqlite");
        }

        public string Pristine { get; }

        public string OtherIndex { get; }

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            _scratch.Dispose();
        }
    }

    private string Pristine { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _scratch.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>300 records over six days: three schema keys, three projects and none, positions in time order.</summary>
    internal static void WriteLedger(LocalLedger ledger, int n, DateTimeOffset start)
    {
        Directory.CreateDirectory(ledger.Directory);
        var sb = new StringBuilder();
        string? prev = null;
        for (var i = 0; i < n; i++)
        {
            var payload = Encoding.UTF8.GetString(CanonicalJson.Canonicalize($"{{\"i\":{i},\"score\":{i % 10}}}"));
            var r = RecordCodec.Create(AuditLedgerTests.Key, i, prev, Schemas[(i * 7) % 3], Projects[(i * 5) % 4], payload, start.AddMinutes(i * 29), "local");
            sb.Append(r.Line).Append('\n');
            prev = r.Hmac;
        }

        File.WriteAllText(ledger.LedgerPath, sb.ToString());
    }

    public static readonly (string Name, AuditQuery Query)[] Queries =
    {
        ("all", new AuditQuery()),
        ("page", new AuditQuery { Skip = 10, First = 20 }),
        ("schema", new AuditQuery { SchemaKey = "acme.alpha.v1" }),
        ("schema-first", new AuditQuery { SchemaKey = "acme.bravo.v1", Skip = 3, First = 5 }),
        ("project", new AuditQuery { ProjectId = "p1" }),
        ("schema+project", new AuditQuery { SchemaKey = "acme.alpha.v1", ProjectId = "p2" }),
        ("one-day", new AuditQuery { From = Start.AddDays(2), To = Start.AddDays(3).AddTicks(-10) }),
        ("part-day", new AuditQuery { From = Start.AddDays(3).AddHours(6), To = Start.AddDays(3).AddHours(18) }),
        ("from", new AuditQuery { From = Start.AddDays(4), First = 50 }),
        ("schema+to", new AuditQuery { SchemaKey = "acme.gamma.v1", To = Start.AddDays(1) }),
    };

    /// <summary>(name, whether it changes what the index says, the edit).</summary>
    public static IEnumerable<object[]> Tampers()
    {
        // The four classes of the issue.
        yield return T("delete a row", true, (db, _, _) => Sql(db, "DELETE FROM records WHERE seq = 57"));
        yield return T("change a row's schema key", true, (db, _, _) => Sql(db, $"UPDATE records SET schema_id = {Id(0, "acme.bravo.v1")} WHERE seq = 81"));
        yield return T("shift a row's offset", true, (db, _, _) => Sql(db, "UPDATE records SET offset = offset + 5 WHERE seq = 100"));
        yield return T("delete a range of rows", true, (db, _, _) => Sql(db, "DELETE FROM records WHERE seq BETWEEN 120 AND 150"));

        // More.
        yield return T("change a row's project", true, (db, _, _) => Sql(db, $"UPDATE records SET project_id = {Id(1, "p3")} WHERE seq = 90"));
        yield return T("move a row's timestamp to another day", true, (db, _, _) => Sql(db, "UPDATE records SET ts = ts + 86400000000 * 2 WHERE seq = 99"));
        yield return T("change a row's schema key and relink it into the other chain", true, (db, _, _) =>
            Sql(db, $"UPDATE records SET schema_id = {Id(0, "acme.gamma.v1")}, prev_schema = (SELECT max(seq) FROM records WHERE seq < 84 AND schema_id = {Id(0, "acme.gamma.v1")}) WHERE seq = 84"));
        yield return T("shift an offset to another record's line", true, (db, _, _) =>
            Sql(db, "UPDATE records SET offset = (SELECT offset FROM records WHERE seq = 61), length = (SELECT length FROM records WHERE seq = 61) WHERE seq = 60"));
        yield return T("swap two rows' data", true, (db, _, _) =>
        {
            Sql(db, "CREATE TEMP TABLE swap AS SELECT * FROM records WHERE seq IN (10, 11)");
            Sql(db, "UPDATE records SET (ts, schema_id, project_id, position, offset, length, prev_schema, prev_project, record_hmac, mac) = (SELECT ts, schema_id, project_id, position, offset, length, prev_schema, prev_project, record_hmac, mac FROM swap WHERE swap.seq = 21 - records.seq) WHERE seq IN (10, 11)");
        });
        yield return T("delete every row of a schema key", true, (db, _, _) => Sql(db, $"DELETE FROM records WHERE schema_id = {Id(0, "acme.gamma.v1")}"));
        yield return T("delete the newest rows", true, (db, _, _) => Sql(db, "DELETE FROM records WHERE seq >= 290"));
        yield return T("insert a duplicate row", true, (db, _, _) => Sql(db, "INSERT INTO records SELECT 300, ts, schema_id, project_id, position, offset, length, prev_schema, prev_project, record_hmac, mac FROM records WHERE seq = 30"));
        yield return T("move a day's first row", true, (db, _, _) => Sql(db, "UPDATE groups SET first_seq = first_seq + 1 WHERE kind = 2 AND first_seq = (SELECT min(first_seq) FROM groups WHERE kind = 2 AND first_seq > 0)"));
        yield return T("renumber two schema keys", true, (db, _, _) => Sql(db, "UPDATE groups SET id = 1 - id WHERE kind = 0 AND id IN (0, 1)"));
        yield return T("delete a group", true, (db, _, _) => Sql(db, "DELETE FROM groups WHERE kind = 0 AND value = 'acme.alpha.v1'"));
        yield return T("lower a group's count", true, (db, _, _) => Sql(db, "UPDATE groups SET count = count - 1 WHERE kind = 1 AND value = 'p1'"));
        yield return T("edit the head", true, (db, _, _) => Sql(db, "UPDATE meta SET v = replace(v, '\"rows\":300', '\"rows\":299') WHERE k = 'head'"));
        yield return T("replace the head MAC", true, (db, _, _) => Sql(db, "UPDATE meta SET v = 'hmac-sha256:" + new string('0', 64) + "' WHERE k = 'head_mac'"));
        yield return T("truncate the index file", true, (_, path, _) =>
        {
            SqliteConnection.ClearAllPools();
            using var fs = new FileStream(path, FileMode.Open);
            fs.SetLength(fs.Length / 2);
        });
        yield return T("replace it with another ledger's index", true, (_, path, other) => File.Copy(other, path, overwrite: true));
        yield return T("drop a secondary index", false, (db, _, _) => Sql(db, "DROP INDEX records_schema"));
    }

    private static object[] T(string name, bool lies, Action<SqliteConnection, string, string> edit) => new object[] { name, lies, edit };

    /// <summary>SQL for the id of a group (kind 0: schema key, 1: project): rows name their schema key and project by id.</summary>
    private static string Id(int kind, string value) => $"(SELECT id FROM groups WHERE kind = {kind} AND value = '{value}')";

    /// <summary>
    /// Every answer is the truth; a query whose rows were touched reports the mismatch (one that
    /// never reads the tampered rows answers truly without noticing); and Get-AuditStatus, which
    /// checks the whole index, reports every tamper.
    /// </summary>
    [Theory]
    [MemberData(nameof(Tampers))]
    public void WithTheKey_EveryAnswerIsTheTruth_AndEveryTamperIsReported(string name, bool lies, Action<SqliteConnection, string, string> edit)
    {
        var reported = 0;
        foreach (var (queryName, query) in Queries)
        {
            var dir = Tampered(name + "-" + queryName, edit);
            var warnings = new Warnings();
            var answer = Ids(new LocalLedger(dir).Query(query, new AuditReadOptions { Keyring = AuditLedgerTests.Ring, Observer = warnings }));
            var truth = Truth(dir, query);
            Assert.True(truth.SequenceEqual(answer), $"{name} / {queryName}: {answer.Count} records, the ledger holds {truth.Count} ({string.Join(" | ", warnings.Messages)})");
            reported += warnings.Messages.Any(Mismatch) ? 1 : 0;
        }

        var statusDir = Tampered(name + "-status", edit);
        var seen = new Warnings();
        var status = new LocalLedger(statusDir).GetStatus(new AuditReadOptions { Keyring = AuditLedgerTests.Ring, Observer = seen });
        Assert.Equal(300, status.RecordCount);
        if (lies)
        {
            Assert.True(reported > 0, $"{name}: no query reported it");
            Assert.Equal("degraded", status.Status);
            Assert.Contains(status.Problems, Mismatch);
            Assert.Equal("ok", new LocalLedger(statusDir).GetStatus(new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).Status); // rebuilt
        }
        else
        {
            Assert.Equal("ok", status.Status);
        }
    }

    private static bool Mismatch(string m) => m.Contains("does not match", StringComparison.Ordinal) || m.Contains("did not match", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Tampers))]
    public void WithoutTheKey_NoAnswerIsSilentlyWrong(string name, bool lies, Action<SqliteConnection, string, string> edit)
    {
        _ = lies;
        foreach (var (queryName, query) in Queries)
        {
            var dir = Tampered("k-" + name + "-" + queryName, edit);
            var warnings = new Warnings();
            var answer = Ids(new LocalLedger(dir).Query(query, new AuditReadOptions { Observer = warnings }));
            Assert.Contains(warnings.Messages, m => m.Contains("unauthenticated", StringComparison.Ordinal));
            Assert.True(Truth(dir, query).SequenceEqual(answer), $"{name} / {queryName} (keyless): a wrong answer ({string.Join(" | ", warnings.Messages)})");
        }
    }

    /// <summary>
    /// The issue's done-when, counted: the four tamper classes it names x ten queries = 40 cases,
    /// plus this suite's own seventeen x ten, each asked with the key and without it. A case is
    /// "silent wrong" when its answer differs from a scan of the ledger and no warning came with
    /// it; there must be none. With the key there must be no wrong answer at all, and every tamper
    /// that changes what the index says must be reported by Get-AuditStatus.
    /// </summary>
    [Fact]
    public void TheIssuesFortyCases_AndOurOwn_GiveNoSilentWrongOrMissingAnswer()
    {
        var tampers = Tampers().ToList();
        int cases = 0, issueCases = 0, wrongKeyed = 0, wrongKeyless = 0, silent = 0, warnedKeyless = 0, unreported = 0;
        var failures = new List<string>();
        for (var t = 0; t < tampers.Count; t++)
        {
            var (name, lies, edit) = ((string)tampers[t][0], (bool)tampers[t][1], (Action<SqliteConnection, string, string>)tampers[t][2]);
            foreach (var (queryName, query) in Queries)
            {
                foreach (var keyed in new[] { true, false })
                {
                    var dir = Tampered($"c{t}-{queryName}-{keyed}", edit);
                    var warnings = new Warnings();
                    var answer = Ids(new LocalLedger(dir).Query(query, new AuditReadOptions { Keyring = keyed ? AuditLedgerTests.Ring : null, Observer = warnings }));
                    var wrong = !Truth(dir, query).SequenceEqual(answer);
                    cases++;
                    issueCases += t < 4 && keyed ? 1 : 0;
                    wrongKeyed += wrong && keyed ? 1 : 0;
                    wrongKeyless += wrong && !keyed ? 1 : 0;
                    warnedKeyless += !keyed && warnings.Messages.Any(m => m.Contains("unauthenticated", StringComparison.Ordinal)) ? 1 : 0;
                    if (wrong && warnings.Messages.Count == 0)
                    {
                        silent++;
                        failures.Add($"{name} / {queryName} / {(keyed ? "keyed" : "keyless")}");
                    }
                }
            }

            if (lies && new LocalLedger(Tampered($"s{t}", edit)).GetStatus(new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).Status != "degraded")
            {
                unreported++;
                failures.Add($"{name}: Get-AuditStatus did not report it");
            }
        }

        Assert.Equal(40, issueCases);
        Assert.Equal(tampers.Count * Queries.Length * 2, cases);
        Assert.True(silent == 0 && wrongKeyed == 0 && wrongKeyless == 0 && unreported == 0, $"{cases} cases: {silent} silent wrong, {wrongKeyed} wrong with the key, {wrongKeyless} wrong without, {unreported} tampers unreported: {string.Join("; ", failures)}");
        Assert.Equal(cases / 2, warnedKeyless); // every keyless answer says the index is unauthenticated
    }

    [Fact]
    public void AStaleButHonestCopyOfTheIndex_CatchesUp_AndAnswersTruly()
    {
        var dir = Copy(Pristine, _scratch.File("stale"));
        var ledger = new LocalLedger(dir);
        AuditLedgerTests.Fill(ledger, 7, schema: "halluccheck.score.v1", project: "p1");
        File.Copy(Path.Combine(Pristine, "index.sqlite"), Path.Combine(dir, "index.sqlite"), overwrite: true); // the index from before those appends
        foreach (var (queryName, query) in Queries.Append(("new", new AuditQuery { SchemaKey = "halluccheck.score.v1" })))
        {
            var warnings = new Warnings();
            Assert.True(Truth(dir, query).SequenceEqual(Ids(ledger.Query(query, new AuditReadOptions { Keyring = AuditLedgerTests.Ring, Observer = warnings }))), queryName);
            Assert.Empty(warnings.Messages);
        }
    }

    [Fact]
    public void AKeylessReader_IsToldTheIndexIsUnauthenticated_AndScansAnUncoveredTail()
    {
        var dir = Copy(Pristine, _scratch.File("keyless"));
        var ledger = new LocalLedger(dir);
        AuditLedgerTests.Fill(ledger, 4, project: "p9");
        var before = File.ReadAllBytes(Path.Combine(dir, "index.sqlite"));
        var warnings = new Warnings();
        var q = new AuditQuery { ProjectId = "p9" };
        Assert.Equal(4, ledger.Query(q, new AuditReadOptions { Observer = warnings }).Count());
        Assert.Contains(warnings.Messages, m => m.Contains("unauthenticated", StringComparison.Ordinal));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "index.sqlite"))); // a keyless reader never writes the index
        Assert.False(ledger.GetStatus().IndexAuthenticated);
        Assert.True(ledger.GetStatus(new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).IndexAuthenticated);
    }

    /// <summary>
    /// An index written by the previous layout (schema version 2: names and one data blob per row),
    /// its head still validly MAC'd: with the key it is rebuilt in the current layout, without it
    /// the ledger is scanned - never read as if it were the current layout.
    /// </summary>
    [Fact]
    public void AnIndexOfAnOlderSchemaVersion_IsRebuilt_NotMisread()
    {
        foreach (var keyed in new[] { true, false })
        {
            var dir = Tampered($"v2-{keyed}", (db, _, _) =>
            {
                Sql(db, "ALTER TABLE records RENAME TO records_v3");
                Sql(db, "CREATE TABLE records (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, schema_key TEXT NOT NULL, project_id TEXT, row BLOB NOT NULL)");
                Sql(db, "INSERT INTO records SELECT r.seq, r.ts, g.value, NULL, r.mac FROM records_v3 r JOIN groups g ON g.kind = 0 AND g.id = r.schema_id");
                Sql(db, "DROP TABLE records_v3");
                using var read = db.CreateCommand();
                read.CommandText = "SELECT v FROM meta WHERE k = 'head'";
                var head = ((string)read.ExecuteScalar()!).Replace("\"schema_version\":3", "\"schema_version\":2", StringComparison.Ordinal);
                var mac = AuditLedgerTests.Key.Sign(KeyPurpose.Index, Encoding.UTF8.GetBytes("evalsig.index.head\n" + head));
                Sql(db, $"UPDATE meta SET v = CASE k WHEN 'head' THEN '{head}' WHEN 'head_mac' THEN '{mac}' ELSE '2' END");
            });
            var warnings = new Warnings();
            foreach (var (queryName, query) in Queries)
            {
                var answer = Ids(new LocalLedger(dir).Query(query, new AuditReadOptions { Keyring = keyed ? AuditLedgerTests.Ring : null, Observer = warnings }));
                Assert.True(Truth(dir, query).SequenceEqual(answer), $"{queryName} ({(keyed ? "keyed" : "keyless")})");
            }

            Assert.Contains(warnings.Messages, m => m.Contains("older format", StringComparison.Ordinal));
            SqliteConnection.ClearAllPools();
            using var db = new SqliteConnection($"Data Source={Path.Combine(dir, "index.sqlite")};Pooling=False");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT v FROM meta WHERE k = 'schema_version'";
            Assert.Equal(keyed ? "3" : "2", cmd.ExecuteScalar()); // rebuilt with the key; left alone (and scanned past) without it
        }
    }

    [Fact]
    public void CatchUp_ReportsProgress_AndAppendsCanKeepTheIndexLevel()
    {
        var dir = _scratch.File("progress");
        var ledger = new LocalLedger(dir);
        AuditLedgerTests.Fill(ledger, 50);
        var observer = new Warnings();
        Assert.Equal(50, ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring, Observer = observer }).Count());
        Assert.Contains(observer.Progress, p => p.Activity == "Indexing ledger.jsonl");
        Assert.Equal(1.0, observer.Progress[^1].Fraction);

        AuditLog.Append(ledger, AuditLedgerTests.Key, Enumerable.Range(0, 20).Select(i => new AuditEntry("halluccheck.score.v1", "p", $"{{\"score\":{i}}}")).ToList(), true, new AuditAppendOptions { UpdateIndex = true });
        var level = new Warnings();
        Assert.Equal(70, ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring, Observer = level }).Count());
        Assert.Empty(level.Progress); // nothing left to catch up
    }

    private string Tampered(string name, Action<SqliteConnection, string, string> edit)
    {
        var dir = Copy(Pristine, _scratch.File(string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '-'))));
        var index = Path.Combine(dir, "index.sqlite");
        using (var db = new SqliteConnection($"Data Source={index};Pooling=False"))
        {
            db.Open();
            edit(db, index, _otherIndex);
        }

        return dir;
    }

    private static List<string> Truth(string dir, AuditQuery q)
        => File.ReadAllLines(Path.Combine(dir, LocalLedger.LedgerFileName)).Select(l => RecordCodec.Parse(l, "local")).Where(q.Matches).Skip(q.Skip).Take(q.First ?? int.MaxValue).Select(r => r.RecordId).ToList();

    private static List<string> Ids(IEnumerable<AuditRecord> records) => records.Select(r => r.RecordId).ToList();

    private static void Sql(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void Checkpoint(string index)
    {
        using var db = new SqliteConnection($"Data Source={index};Pooling=False");
        db.Open();
        Sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    private static string Copy(string from, string to)
    {
        SqliteConnection.ClearAllPools();
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        return to;
    }
}
