using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.ObjectStorage;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Object-storage ledgers against the real emulators: one Azurite and one s3rver per test process.</summary>
internal static class Emulated
{
    private static readonly HashSet<string> Containers = new(StringComparer.Ordinal);

    public static StorageEmulator Azurite { get; } = Ready(StorageEmulator.Azurite);

    public static StorageEmulator S3rver { get; } = Ready(StorageEmulator.S3rver);

    public static StorageEmulator Get(string kind) => kind == "azurite" ? Azurite : S3rver;

    /// <summary>A fresh location (unique prefix) in a container that exists.</summary>
    public static string Location(StorageEmulator e, string container, string? extra = null)
    {
        lock (Containers)
        {
            if (Containers.Add(e.Kind + "/" + container))
            {
                using var client = ObjectStoreClient.Connect(ObjectStoreLocation.Parse(e.Location(container, "x")));
                client.CreateContainerIfMissing(default);
            }
        }

        return e.Location(container, "t" + Guid.NewGuid().ToString("N")[..12], extra);
    }

    public static ObjectStoreClient Raw(string location) => ObjectStoreClient.Connect(ObjectStoreLocation.Parse(location));

    public static AuditBackendOptions Options(string cache, AuditWriterMode? writers = null, AuditRetention? retention = null)
        => new() { CacheDirectory = cache, Writers = writers, Retention = retention };

    private static StorageEmulator Ready(StorageEmulator e)
    {
        e.UseCredentials();
        return e;
    }
}

public sealed class AzureBlobLedgerContractTests : AuditBackendContract
{
    private readonly string _base = Emulated.Location(Emulated.Azurite, "contract");

    protected override IAuditBackend Create(string name)
        => ObjectLedger.Open(ObjectStoreLocation.Parse(_base).Child(name).ToString() + _base[_base.IndexOf('?', StringComparison.Ordinal)..], Emulated.Options(Path.Combine(Root, "cache")));
}

/// <summary>s3rver ignores If-None-Match on PUT, so the contract runs there in single-writer mode (the only mode EvalSig allows on it).</summary>
public sealed class S3LedgerContractTests : AuditBackendContract
{
    private readonly string _base = Emulated.Location(Emulated.S3rver, "contract");

    protected override IAuditBackend Create(string name)
        => ObjectLedger.Open(ObjectStoreLocation.Parse(_base).Child(name).ToString() + _base[_base.IndexOf('?', StringComparison.Ordinal)..], Emulated.Options(Path.Combine(Root, "cache"), AuditWriterMode.SingleWriter));
}

public class ObjectLedgerTests
{
    private static List<AuditRecord> Fill(IAuditBackend ledger, int n, int batch = 1, string? project = "p1")
    {
        var all = new List<AuditRecord>();
        for (var i = 0; i < n; i += batch)
        {
            var size = Math.Min(batch, n - i);
            all.AddRange(AuditLog.Append(ledger, AuditLedgerTests.Key, Enumerable.Range(i, size).Select(k => new AuditEntry("halluccheck.score.v1", project, $"{{\"score\":{k % 10}.5,\"n\":{k}}}")).ToList(), strictSchema: true));
        }

        return all;
    }

    private static string Segment(string location, long first) => ChainSegments.Name(ObjectStoreLocation.Parse(location).KeyRoot, first);

    [Fact]
    public void Azurite_RefusesASecondCreate_SoTheProbeAllowsManyWriters()
    {
        using var s = new Scratch();
        var ledger = ObjectLedger.Open(Emulated.Location(Emulated.Azurite, "status"), Emulated.Options(s.Path));
        Fill(ledger, 3);
        var status = ledger.GetStatus();
        Assert.Equal("ok", status.Status);
        Assert.Equal("azure-blob", status.Backend);
        Assert.Equal("status", status.Container);
        Assert.True(status.ConditionalWrites);
        Assert.Equal("multiple", status.WriterMode);
        Assert.Equal(3, status.ChainLength);
        Assert.Equal(3, status.RecordCount);
        Assert.StartsWith("az://status/t", status.Location, StringComparison.Ordinal);
        Assert.Equal(Emulated.Azurite.BlobEndpoint, status.Endpoint);
    }

    [Fact]
    public void S3rver_OverwritesOnASecondCreate_SoMultiWriterModeIsRefused_AndNothingIsWritten()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.S3rver, "probe");
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        var ex = Assert.Throws<EvalSigException>(() => Fill(ledger, 1));
        Assert.Equal(EvalSigError.StorageUnsafe, ex.Error);
        Assert.Contains("If-None-Match", ex.Message, StringComparison.Ordinal);
        Assert.Contains("writers=single", ex.Message, StringComparison.Ordinal);
        using var raw = Emulated.Raw(location);
        Assert.Empty(raw.List(ChainSegments.Prefix(ObjectStoreLocation.Parse(location).KeyRoot), null, default));
        var status = ledger.GetStatus();
        Assert.Equal("degraded", status.Status);
        Assert.False(status.ConditionalWrites);
        Assert.Contains(status.Problems, p => p.Contains("multi-writer", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("azurite")]
    [InlineData("s3rver")]
    public void Verify_FindsADeletedObject_AsAGap(string kind)
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Get(kind), "tamper", kind == "s3rver" ? "writers=single" : null);
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 6, batch: 2);
        using var raw = Emulated.Raw(location);
        raw.Delete(Segment(location, 2), default);
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.False(v.Valid);
        Assert.Equal(new long[] { 2, 3 }, v.Gaps);
    }

    [Theory]
    [InlineData("azurite")]
    [InlineData("s3rver")]
    public void Verify_FindsAReplacedObject_ByItsHmac(string kind)
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Get(kind), "tamper", kind == "s3rver" ? "writers=single" : null);
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 4);
        using var raw = Emulated.Raw(location);
        var name = Segment(location, 2);
        var original = raw.Read(name, default)!;
        var forged = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original.Bytes).Replace("\"score\":2.5", "\"score\":9.5", StringComparison.Ordinal));
        Assert.NotNull(raw.TryReplace(name, forged, original.ETag, default));
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.False(v.Valid);
        Assert.Equal(2, v.FirstTampered!.Position);
        Assert.Contains("HMAC mismatch", v.FirstTampered.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FindsReorderedObjects()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "tamper");
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 4);
        using var raw = Emulated.Raw(location);
        var a = raw.Read(Segment(location, 1), default)!;
        var b = raw.Read(Segment(location, 2), default)!;
        raw.TryReplace(Segment(location, 1), b.Bytes, a.ETag, default);
        raw.TryReplace(Segment(location, 2), a.Bytes, b.ETag, default);
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.False(v.Valid);
        Assert.Contains("named for position 1 but holds position 2", v.Reason, StringComparison.Ordinal);
        Assert.True(v.TamperedCount > 0);
    }

    [Fact]
    public void Verify_FindsARenamedNewestObject_ThatAPlainChainWouldAccept()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "tamper");
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 3);
        using var raw = Emulated.Raw(location);
        var last = raw.Read(Segment(location, 2), default)!;
        raw.Delete(Segment(location, 2), default);
        Assert.True(raw.TryCreate(Segment(location, 7), last.Bytes, null, default));
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.False(v.Valid);
        Assert.Contains("named for position 7 but holds position 2", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FindsTruncation_OnlyAgainstACheckpoint()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "tamper");
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 5);
        var checkpoint = AuditLog.Checkpoint(ledger, AuditLedgerTests.Ring);
        Assert.Equal(4, checkpoint.Position);
        Assert.True(AuditLog.Verify(ledger, AuditLedgerTests.Ring, checkpoint).Anchored);
        using var raw = Emulated.Raw(location);
        raw.Delete(Segment(location, 4), default);
        raw.Delete(Segment(location, 3), default);
        var plain = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.True(plain.Valid, plain.Reason);
        Assert.False(plain.Anchored);
        var anchored = AuditLog.Verify(ledger, AuditLedgerTests.Ring, checkpoint);
        Assert.False(anchored.Valid);
        Assert.Contains("does not contain position 4", anchored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ReadsTheObjects_NeverTheCache()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "cache");
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        Fill(ledger, 3);
        Assert.Equal(3, ledger.Query(new AuditQuery()).Count());

        // Damage every cached line: queries see the damage, verification does not read the cache.
        var db = Path.Combine(ledger.CacheDirectory, ObjectLedgerIndex.FileName);
        using (var c = EvalSig.Bridge.SqliteDatabase.Open(db))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE records SET line = replace(line, '\"score\":1.5', '\"score\":7.5') WHERE line LIKE '%\"score\":1.5%'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        EvalSig.Bridge.SqliteDatabase.ClearAllPools();
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(3, v.VerifiedCount);
        Assert.False(ChainVerifier.Verify(ledger.Query(new AuditQuery()), AuditLedgerTests.Ring, wholeChain: true).Valid);
        ledger.RebuildIndex();
        Assert.True(ChainVerifier.Verify(ledger.Query(new AuditQuery()), AuditLedgerTests.Ring, wholeChain: true).Valid);
    }

    [Fact]
    public void Cache_CatchesUpIncrementally_AndRebuildsWhenTheNewestObjectWasReplaced()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "cache");
        var reader = ObjectLedger.Open(location, Emulated.Options(Path.Combine(s.Path, "reader")));
        var writer = ObjectLedger.Open(location, Emulated.Options(Path.Combine(s.Path, "writer")));
        Fill(writer, 2);
        Assert.Equal(2, reader.Query(new AuditQuery()).Count());
        Fill(writer, 3, project: "q");
        Assert.Equal(new long[] { 2, 3, 4 }, reader.Query(new AuditQuery { ProjectId = "q" }).Select(r => r.ChainPosition));

        using var raw = Emulated.Raw(location);
        var newest = raw.Read(Segment(location, 4), default)!;
        raw.TryReplace(Segment(location, 4), Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(newest.Bytes).Replace("\"project_id\":\"q\"", "\"project_id\":\"z\"", StringComparison.Ordinal)), newest.ETag, default);
        Assert.Equal(new long[] { 4 }, reader.Query(new AuditQuery { ProjectId = "z" }).Select(r => r.ChainPosition));
    }

    [Fact]
    public void ThreadsWithTheirOwnInstances_AppendWithoutAFork()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "threads");
        var acks = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            var ledger = ObjectLedger.Open(location, Emulated.Options(Path.Combine(s.Path, "w" + w)));
            foreach (var r in Fill(ledger, 15, batch: w % 2 == 0 ? 1 : 3))
            {
                acks.Add(r.ChainPosition);
            }
        });
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), acks.Order());
        var v = AuditLog.Verify(ObjectLedger.Open(location, Emulated.Options(s.Path)), AuditLedgerTests.Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(60, v.VerifiedCount);
    }

    [Theory]
    [InlineData("azurite")]
    [InlineData("s3rver")]
    public void Retention_WhereTheEmulatorCannotHoldIt_IsRefusedBeforeAnyWrite(string kind)
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Get(kind), "retention", kind == "s3rver" ? "writers=single" : null);
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path, retention: AuditRetention.Create(AuditRetentionMode.Compliance, 30)));
        var ex = Assert.Throws<EvalSigException>(() => Fill(ledger, 1));
        Assert.Equal(EvalSigError.StorageRetentionUnsupported, ex.Error);
        Assert.Equal(0, ledger.GetStatus().ChainLength);
        var status = ledger.GetStatus();
        Assert.False(status.RetentionEnforced);
        Assert.False(string.IsNullOrEmpty(status.Retention));
    }

    [Fact]
    public void CustomSchemas_LiveWithTheLedger_InTheBucket()
    {
        using var s = new Scratch();
        var location = Emulated.Location(Emulated.Azurite, "schemas");
        var a = ObjectLedger.Open(location, Emulated.Options(Path.Combine(s.Path, "a")));
        AuditSchemaRegistry.Register(a, "acme.review.v1", new[] { new PayloadField("reviewer", PayloadFieldType.String) }, "a review");
        AuditSchemaRegistry.Register(a, "acme.sign.v1", Array.Empty<PayloadField>(), null);
        var b = ObjectLedger.Open(location, Emulated.Options(Path.Combine(s.Path, "b")));
        Assert.NotNull(AuditSchemaRegistry.Load(b).Find("acme.review.v1"));
        Assert.NotNull(AuditSchemaRegistry.Load(b).Find("acme.sign.v1"));
        var ex = Assert.Throws<EvalSigException>(() => AuditLog.Append(b, AuditLedgerTests.Key, new[] { new AuditEntry("acme.review.v1", null, "{\"x\":1}") }, strictSchema: true));
        Assert.Equal(EvalSigError.AuditPayloadInvalid, ex.Error);
        Assert.Single(AuditLog.Append(b, AuditLedgerTests.Key, new[] { new AuditEntry("acme.review.v1", null, "{\"reviewer\":\"kim\"}") }, strictSchema: true));
    }

    [Fact]
    public void AnUnreachableService_IsDegradedStatus_AndAnAppendErrorWithoutSecrets()
    {
        using var s = new Scratch();
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }

        var location = $"az://nowhere/p?account=devstoreaccount1&endpoint=http%3A%2F%2F127.0.0.1%3A{port}%2Fdevstoreaccount1";
        var ledger = ObjectLedger.Open(location, Emulated.Options(s.Path));
        var status = ledger.GetStatus();
        Assert.Equal("degraded", status.Status);
        Assert.Contains(status.Problems, p => p.Contains("no answer", StringComparison.Ordinal));
        var ex = Assert.Throws<EvalSigException>(() => Fill(ledger, 1));
        Assert.Equal(EvalSigError.StorageUnreachable, ex.Error);
        Assert.Equal(EvalSigErrorKind.ConnectionError, ex.Kind);
        foreach (var text in status.Problems.Append(ex.Message))
        {
            Assert.DoesNotContain(StorageEmulator.AzuriteKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(StorageEmulator.AzuriteKey[..20], text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("azurite")]
    [InlineData("s3rver")]
    public void WrongCredentials_AreAccessDenied_AndNeverInTheMessage(string kind)
    {
        // In a child process: credentials come from the environment, which this process shares with other tests.
        var e = Emulated.Get(kind);
        var location = Emulated.Location(e, "denied", kind == "s3rver" ? "writers=single" : null);
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));
        var env = kind == "azurite"
            ? new Dictionary<string, string> { ["AZURE_STORAGE_ACCOUNT"] = StorageEmulator.AzuriteAccount, ["AZURE_STORAGE_KEY"] = secret }
            : new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "NOT-S3RVER", ["AWS_SECRET_ACCESS_KEY"] = secret };
        var (code, output, errors) = TestHelperProcess.Run(env, "append", location, "1", "1", "denied");
        Assert.Equal(1, code);
        Assert.Contains("StorageAccessDenied", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output + errors, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[..16], output + errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://bucket/p?key=abc")]
    [InlineData("az://Bad_Container/p")]
    [InlineData("s3://bucket/a/../b")]
    [InlineData("s3://bucket/p?endpoint=http://user:pw@host")]
    public void Locations_WithSecretsOrBadNames_AreRefused(string text)
    {
        var ex = Assert.Throws<EvalSigException>(() => ObjectStoreLocation.Parse(text));
        Assert.Equal(EvalSigError.StorageLocationInvalid, ex.Error);
        Assert.DoesNotContain("=abc", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(":pw@", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditLogOpen_ChoosesTheBackend_ByUriOrEnvironment()
    {
        Assert.IsType<LocalLedger>(AuditLog.Open(Path.GetTempPath()));
        var o = Assert.IsType<ObjectLedger>(AuditLog.Open("s3://some-bucket/audit/trail?endpoint=http://127.0.0.1:1&writers=single"));
        Assert.Equal("s3://some-bucket/audit/trail", o.Location);
        Assert.Equal(AuditWriterMode.SingleWriter, o.Writers);
        Assert.Equal("gcs", Assert.IsType<ObjectLedger>(AuditLog.Open("gs://some-bucket/x")).Name);
        Assert.Equal(EvalSigError.StorageRetentionUnsupported, Assert.Throws<EvalSigException>(() => AuditLog.Open(Path.GetTempPath(), new AuditBackendOptions { Retention = AuditRetention.Create(AuditRetentionMode.Governance, 1) })).Error);
    }
}
