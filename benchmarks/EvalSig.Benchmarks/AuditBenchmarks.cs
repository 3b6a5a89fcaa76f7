using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.Audit;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 4 and 15 targets at 1,000,000 records: verification (strict canonical lines, HMACs, links)
/// under 2 s; index catch-up (authenticated rows) at 200,000 records/s or more, i.e. under 5 s; a
/// one-day time-range query (authenticated) under 50 ms; piped batch append of 100,000 records at
/// 50,000 records/s or more.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class AuditBenchmarks
{
    internal static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), "bench");
    internal static readonly AuditKeyring Ring = new(new[] { Key });
    private string _dir = string.Empty;
    private LocalLedger _ledger = null!;
    private DateTimeOffset _start;
    private List<AuditEntry> _batch = new();
    private string _appendDir = string.Empty;

    /// <summary>1,000,000 records spread over a year (about 2,740 a day), as a busy ledger would hold.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-audit-bench-").FullName;
        _ledger = new LocalLedger(_dir);
        _start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        WriteLedger(_ledger, 1_000_000, _start);
        _ledger.RebuildIndex(Ring);
        _batch = Enumerable.Range(0, 100_000).Select(i => new AuditEntry("halluccheck.score.v1", "p", $"{{\"score\":0.{i % 1000:D3},\"model\":\"acme-7b\"}}")).ToList();
        Console.WriteLine($"// ledger: {new FileInfo(_ledger.LedgerPath).Length / 1e6:F0} MB, 1,000,000 records");
    }

    /// <summary>A ledger of <paramref name="n"/> format-2 records over a year, written directly (as a bulk append would leave it).</summary>
    internal static void WriteLedger(LocalLedger ledger, int n, DateTimeOffset start)
    {
        Directory.CreateDirectory(ledger.Directory);
        var step = TimeSpan.FromDays(365).Ticks / n;
        using var w = new StreamWriter(ledger.LedgerPath, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" };
        string? prev = null;
        var schemas = new[] { "halluccheck.score.v1", "halluccheck.pii.v1", "evalsig.gate.v1" };
        for (var i = 0; i < n; i++)
        {
            var schema = schemas[i % 3];
            var payload = schema switch
            {
                "halluccheck.score.v1" => $"{{\"model\":\"acme-7b\",\"score\":0.{i % 1000:D3}}}",
                "halluccheck.pii.v1" => $"{{\"detected\":{(i % 17 == 0 ? "true" : "false")},\"scanner\":\"presidio\"}}",
                _ => "{\"comparison\":{\"delta\":0.01,\"method\":\"paired_t\"},\"verdict\":\"ALLOW\"}",
            };
            var r = RecordCodec.Create(Key, i, prev, schema, "proj-" + (i % 5), Encoding.UTF8.GetString(EvalSig.Core.Json.CanonicalJson.Canonicalize(payload)), start.AddTicks(step * i), "local");
            w.WriteLine(r.Line);
            prev = r.Hmac;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    [Benchmark]
    public long Verify_1M()
    {
        var v = AuditLog.Verify(_ledger, Ring);
        return v.Valid ? v.VerifiedCount : throw new InvalidOperationException(v.Reason);
    }

    [Benchmark]
    public int Query_OneDay_1M()
    {
        var day = _start.AddDays(200);
        return _ledger.Query(new AuditQuery { From = day, To = day.AddDays(1).AddTicks(-10) }, new AuditReadOptions { Keyring = Ring }).Count();
    }

    [IterationSetup(Target = nameof(IndexCatchUp_1M))]
    public void DropIndex() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

    /// <summary>
    /// The first query after a bulk append of 1,000,000 records: the index catches up (strict parse,
    /// MAC per row, links, groups, head) from nothing. Records/s = 1,000,000 / the mean.
    /// </summary>
    [Benchmark]
    public int IndexCatchUp_1M()
    {
        foreach (var f in Directory.GetFiles(_dir, "index.sqlite*"))
        {
            File.Delete(f);
        }

        return _ledger.Query(new AuditQuery { First = 1 }, new AuditReadOptions { Keyring = Ring }).Count();
    }

    [IterationSetup(Target = nameof(Append_Batch_100k))]
    public void FreshLedger() => _appendDir = Directory.CreateTempSubdirectory("evalsig-append-").FullName;

    [IterationCleanup(Target = nameof(Append_Batch_100k))]
    public void DropLedger() => Directory.Delete(_appendDir, true);

    /// <summary>100,000 records in one group commit (schema checks, canonical JSON, HMACs, one fsync).</summary>
    [Benchmark]
    public int Append_Batch_100k() => AuditLog.Append(new LocalLedger(_appendDir), Key, _batch, strictSchema: true).Count;
}

/// <summary>Quick look while optimising (not a benchmark): catch-up and verify of n records, timed once each.</summary>
internal static class AuditTiming
{
    public static int Run(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        // EVALSIG_BENCH_LEDGER=<dir>: keep the ledger there and reuse it (for profiling catch-up or verify alone).
        var keep = Environment.GetEnvironmentVariable("EVALSIG_BENCH_LEDGER");
        var dir = string.IsNullOrEmpty(keep) ? Directory.CreateTempSubdirectory("evalsig-audit-timing-").FullName : Directory.CreateDirectory(keep).FullName;
        try
        {
            var ledger = new LocalLedger(dir);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            if (string.IsNullOrEmpty(keep) || !File.Exists(ledger.LedgerPath))
            {
                AuditBenchmarks.WriteLedger(ledger, n, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
                Console.WriteLine($"write {n} records: {sw.Elapsed.TotalSeconds:F2} s");
            }
            var only = args.Length > 1 ? args[1] : "all";
            if (only == "parse")
            {
                var lines = File.ReadAllLines(ledger.LedgerPath).Select(Encoding.UTF8.GetBytes).ToArray();
                var mac = new byte[32];
                for (var k = 0; k < 3; k++)
                {
                    var c0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                    var ok = 0;
                    foreach (var l in lines)
                    {
                        ok += LineFields.TryRead(l, out _) ? 1 : 0;
                    }

                    var c1 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                    using var h = AuditBenchmarks.Key.CreateHmac(KeyPurpose.LedgerRecord);
                    foreach (var l in lines)
                    {
                        h.AppendData(l);
                        h.GetHashAndReset(mac);
                    }

                    var c2 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                    Console.WriteLine($"strict parse {ok}: {(c1 - c0).TotalMilliseconds * 1000 / n:F2} us/line cpu; hmac {(c2 - c1).TotalMilliseconds * 1000 / n:F2} us/line cpu");
                }

                return 0;
            }

            if (only is "verify" or "query")
            {
                // Verify alone (three shots), or the one-day query alone (twenty: later ones run tiered-up code); the index is built first if it is missing.
                var ring = new AuditReadOptions { Keyring = AuditBenchmarks.Ring };
                _ = ledger.Query(new AuditQuery { First = 1 }, ring).Count();
                for (var i = 0; i < (only == "query" ? 20 : 3); i++)
                {
                    var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                    sw.Restart();
                    var what = only == "verify"
                        ? AuditLog.Verify(ledger, AuditBenchmarks.Ring).VerifiedCount
                        : ledger.Query(new AuditQuery { From = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 7, 1, 23, 59, 59, TimeSpan.Zero) }, ring).Count();
                    Console.WriteLine($"{only} {n}: {sw.Elapsed.TotalMilliseconds:F1} ms ({what}); cpu {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:F0} ms");
                }

                return 0;
            }

            for (var i = 0; i < 2; i++)
            {
                foreach (var f in Directory.GetFiles(dir, "index.sqlite*"))
                {
                    File.Delete(f);
                }

                var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                sw.Restart();
                var first = ledger.Query(new AuditQuery { First = 1 }, new AuditReadOptions { Keyring = AuditBenchmarks.Ring }).Count();
                var t = sw.Elapsed.TotalSeconds;
                Console.WriteLine($"catch-up {n}: {t:F2} s = {n / t:N0} records/s ({first}); cpu {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F2} s");
                if (only == "catchup")
                {
                    continue;
                }

                cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                sw.Restart();
                var v = AuditLog.Verify(ledger, AuditBenchmarks.Ring);
                Console.WriteLine($"verify {n}: {sw.Elapsed.TotalSeconds:F2} s valid={v.Valid} {(v.Valid ? string.Empty : v.Reason)}; cpu {(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F2} s");
                sw.Restart();
                var day = ledger.Query(new AuditQuery { From = new DateTimeOffset(2025, 7, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2025, 7, 1, 23, 59, 59, TimeSpan.Zero) }, new AuditReadOptions { Keyring = AuditBenchmarks.Ring }).Count();
                Console.WriteLine($"one-day query: {sw.Elapsed.TotalMilliseconds:F1} ms ({day} records)");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (string.IsNullOrEmpty(keep))
            {
                Directory.Delete(dir, true);
            }
        }
    }
}

/// <summary>
/// Durable single appends against the disk's raw fsync'd append rate, measured side by side:
/// the target is no less than half the raw rate.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class AuditAppendBenchmarks
{
    private static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), "bench");
    private readonly AuditEntry[] _one = { new("halluccheck.score.v1", "p", "{\"model\":\"acme-7b\",\"score\":0.5}") };
    private readonly byte[] _line = Encoding.UTF8.GetBytes(new string('x', 330) + "\n");
    private string _dir = string.Empty;
    private LocalLedger _ledger = null!;
    private FileStream _raw = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-single-").FullName;
        _ledger = new LocalLedger(Path.Combine(_dir, "ledger"));
        _raw = new FileStream(Path.Combine(_dir, "raw.jsonl"), FileMode.Append, FileAccess.Write, FileShare.None, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>The disk's best case: one open file, write about one record's bytes, fsync.</summary>
    [Benchmark(Baseline = true)]
    public void RawFsyncAppend()
    {
        _raw.Write(_line);
        _raw.Flush(flushToDisk: true);
    }

    /// <summary>A whole durable append: lock, read the head, HMAC, write, fsync, unlock.</summary>
    [Benchmark]
    public long DurableSingleAppend() => AuditLog.Append(_ledger, Key, _one, strictSchema: true)[0].ChainPosition;
}
