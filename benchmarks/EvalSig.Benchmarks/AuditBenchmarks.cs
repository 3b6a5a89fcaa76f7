using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.Audit;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 4 targets: verification of 1,000,000 records under 2 s; a one-day time-range query over
/// 1,000,000 records under 50 ms; index rebuild of 1,000,000 records under 30 s; piped batch
/// append of 100,000 records at 50,000 records/s or more.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class AuditBenchmarks
{
    private static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), "bench");
    private static readonly AuditKeyring Ring = new(new[] { Key });
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
        var step = TimeSpan.FromDays(365).Ticks / 1_000_000;
        using (var w = new StreamWriter(_ledger.LedgerPath, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" })
        {
            string? prev = null;
            var schemas = new[] { "halluccheck.score.v1", "halluccheck.pii.v1", "evalsig.gate.v1" };
            for (var i = 0; i < 1_000_000; i++)
            {
                var schema = schemas[i % 3];
                var payload = schema switch
                {
                    "halluccheck.score.v1" => $"{{\"model\":\"acme-7b\",\"score\":0.{i % 1000:D3}}}",
                    "halluccheck.pii.v1" => $"{{\"detected\":{(i % 17 == 0 ? "true" : "false")},\"scanner\":\"presidio\"}}",
                    _ => $"{{\"comparison\":{{\"delta\":0.01,\"method\":\"paired_t\"}},\"verdict\":\"ALLOW\"}}",
                };
                var r = RecordCodec.Create(Key, i, prev, schema, "proj-" + (i % 5), payload, _start.AddTicks(step * i), "local");
                w.WriteLine(r.Line);
                prev = r.Hmac;
            }
        }

        _ledger.RebuildIndex();
        _batch = Enumerable.Range(0, 100_000).Select(i => new AuditEntry("halluccheck.score.v1", "p", $"{{\"score\":0.{i % 1000:D3},\"model\":\"acme-7b\"}}")).ToList();
        Console.WriteLine($"// ledger: {new FileInfo(_ledger.LedgerPath).Length / 1e6:F0} MB, 1,000,000 records");
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
        return _ledger.Query(new AuditQuery { From = day, To = day.AddDays(1).AddTicks(-10) }).Count();
    }

    [Benchmark]
    public void RebuildIndex_1M() => _ledger.RebuildIndex();

    [IterationSetup(Target = nameof(Append_Batch_100k))]
    public void FreshLedger() => _appendDir = Directory.CreateTempSubdirectory("evalsig-append-").FullName;

    [IterationCleanup(Target = nameof(Append_Batch_100k))]
    public void DropLedger() => Directory.Delete(_appendDir, true);

    /// <summary>100,000 records in one group commit (schema checks, canonical JSON, HMACs, one fsync).</summary>
    [Benchmark]
    public int Append_Batch_100k() => AuditLog.Append(new LocalLedger(_appendDir), Key, _batch, strictSchema: true).Count;
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
