using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.Audit;
using EvalSig.Core.ObjectStorage;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 13: the audit ledger in object storage next to the local ledger, each emulator on loopback
/// (started by the benchmark process from tests/emulators): append latency of one record, throughput
/// of a batch of 100 (one object), and the verification rate of a ledger of 1,000 single-record
/// objects (one object per append, the worst case) read back from the service.
/// s3rver runs in single-writer mode (it ignores If-None-Match), which adds a look before each create.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class ObjectStoreBenchmarks
{
    private static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), "bench");
    private static readonly AuditKeyring Ring = new(new[] { Key });
    private static readonly AuditAppend One = new("halluccheck.score.v1", "p", "{\"model\":\"acme-7b\",\"score\":0.5}");
    private static readonly AuditAppend[] Hundred = Enumerable.Range(0, 100).Select(i => new AuditAppend("halluccheck.score.v1", "p", $"{{\"model\":\"acme-7b\",\"score\":0.{i:D3}}}")).ToArray();
    private string _scratch = string.Empty;
    private IAuditBackend _append = null!;
    private IAuditBackend _verify = null!;

    [Params("local", "azurite", "s3rver")]
    public string Backend { get; set; } = "local";

    [GlobalSetup(Targets = new[] { nameof(Append_Single), nameof(Append_Batch100) })]
    public void SetupAppend()
    {
        _scratch = Directory.CreateTempSubdirectory("evalsig-objbench-").FullName;
        _append = Open("append");
    }

    /// <summary>Only the verification needs the 1,000-object ledger (1,000 appends to build).</summary>
    [GlobalSetup(Target = nameof(Verify_1000Objects))]
    public void SetupVerify()
    {
        _scratch = Directory.CreateTempSubdirectory("evalsig-objbench-").FullName;
        _verify = Open("verify");
        for (var i = 0; i < 1000; i++)
        {
            _verify.Append(new[] { One }, Key);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        try
        {
            Directory.Delete(_scratch, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>One record, acknowledged after the service (or fsync) acknowledged it.</summary>
    [Benchmark]
    public long Append_Single() => _append.Append(new[] { One }, Key)[0].ChainPosition;

    /// <summary>100 records in one append (one object, or one write and one fsync).</summary>
    [Benchmark]
    public long Append_Batch100() => _append.Append(Hundred, Key)[^1].ChainPosition;

    /// <summary>1,000 records in 1,000 objects, listed and read back from the service and verified.</summary>
    [Benchmark]
    public long Verify_1000Objects()
    {
        var v = AuditLog.Verify(_verify, Ring);
        return v.Valid ? v.VerifiedCount : throw new InvalidOperationException(v.Reason);
    }

    private IAuditBackend Open(string name)
    {
        if (Backend == "local")
        {
            return new LocalLedger(Path.Combine(_scratch, name));
        }

        var e = Backend == "azurite" ? StorageEmulator.Azurite : StorageEmulator.S3rver;
        e.UseCredentials();
        var location = e.Location("bench", name + Guid.NewGuid().ToString("N")[..8], Backend == "s3rver" ? "writers=single" : null);
        using (var client = ObjectStoreClient.Connect(ObjectStoreLocation.Parse(location)))
        {
            client.CreateContainerIfMissing(default);
        }

        return ObjectLedger.Open(location, new AuditBackendOptions { CacheDirectory = Path.Combine(_scratch, "cache") });
    }
}
