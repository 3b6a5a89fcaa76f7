using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using Xunit;

namespace EvalSig.Core.Tests;

public class AuditLedgerTests
{
    internal static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()), "test");
    internal static readonly AuditKeyring Ring = new(new[] { Key });

    internal static IReadOnlyList<AuditRecord> Fill(LocalLedger ledger, int n, string schema = "halluccheck.score.v1", string? project = "p1")
        => AuditLog.Append(ledger, Key, Enumerable.Range(0, n).Select(i => new AuditEntry(schema, project, $"{{\"score\":{i % 10}.5,\"note\":\"rec {i} ü \\\"q\\\"\",\"nested\":{{\"b\":[1,2,{{\"z\":null}}],\"a\":true}}}}")).ToList(), strictSchema: true);

    [Fact]
    public void Append_ThenVerify_IsValid_WithContiguousPositionsAndLinks()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        var first = Fill(ledger, 3);
        var second = Fill(ledger, 1);
        var all = first.Concat(second).ToList();
        Assert.Equal(new long[] { 0, 1, 2, 3 }, all.Select(r => r.ChainPosition));
        Assert.Null(all[0].PrevHmac);
        for (var i = 1; i < all.Count; i++)
        {
            Assert.Equal(all[i - 1].Hmac, all[i].PrevHmac);
        }

        Assert.All(all, r => Assert.Matches("^hmac-sha256:[0-9a-f]{64}$", r.Hmac));
        Assert.All(all, r => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", r.RecordId));
        Assert.All(all, r => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", r.TimestampText));
        Assert.Equal(Key.KeyId, all[0].KeyId);
        var v = AuditLog.Verify(ledger, Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(4, v.VerifiedCount);
        Assert.False(v.Anchored);
    }

    /// <summary>RFC 5869 HKDF-SHA256 written out (extract with a zero salt, one expand block), independent of System.Security.Cryptography.HKDF.</summary>
    internal static byte[] Hkdf(byte[] ikm, string info)
    {
        var prk = System.Security.Cryptography.HMACSHA256.HashData(new byte[32], ikm);
        return System.Security.Cryptography.HMACSHA256.HashData(prk, Encoding.ASCII.GetBytes(info).Append((byte)1).ToArray());
    }

    [Fact]
    public void Hmac_CoversCanonicalJsonOfEveryOtherField_UnderTheKeyDerivedForLedgerRecords()
    {
        using var s = new Scratch();
        var r = Fill(new LocalLedger(s.Path), 1)[0];
        var canonical = $"{{\"chain_position\":0,\"key_id\":\"{r.KeyId}\",\"payload\":{r.PayloadJson},\"prev_hmac\":null,\"project_id\":\"p1\",\"record_id\":\"{r.RecordId}\",\"schema_key\":\"halluccheck.score.v1\",\"timestamp\":\"{r.TimestampText}\",\"version\":2}}";
        var derived = Hkdf(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), "evalsig/audit/v2/ledger-record");
        var expected = "hmac-sha256:" + Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(derived, Encoding.UTF8.GetBytes(canonical))).ToLowerInvariant();
        Assert.Equal(expected, r.Hmac);
        Assert.Equal(2, r.Version);
        Assert.Equal("{\"nested\":{\"a\":true,\"b\":[1,2,{\"z\":null}]},\"note\":\"rec 0 ü \\\"q\\\"\",\"score\":0.5}", r.PayloadJson);
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public bool EverySingleByteChange_InAnyRecord_IsDetected(FsCheck.NonNegativeInt recordSeed, FsCheck.NonNegativeInt byteSeed, byte replacement)
    {
        var lines = Template.Value;
        var index = recordSeed.Get % lines.Length;
        var bytes = Encoding.UTF8.GetBytes(lines[index]);
        var at = byteSeed.Get % bytes.Length;
        if (bytes[at] == replacement)
        {
            replacement ^= 0x01;
        }

        bytes[at] = replacement;
        var changed = lines.Select((l, i) => i == index ? bytes : Encoding.UTF8.GetBytes(l)).ToList();
        var v = ChainVerifier.Verify(changed.Select((b, i) => new LedgerLine(i, b)), Ring, wholeChain: true);
        return !v.Valid && v.FirstTampered is { } t && (t.Position == index || (bytes.Contains((byte)'\n') && t.Position >= index));
    }

    private static readonly Lazy<string[]> Template = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-template-").FullName;
        try
        {
            var ledger = new LocalLedger(dir);
            Fill(ledger, 6);
            AuditLog.Append(ledger, Key, new[] { new AuditEntry("halluccheck.pii.v1", null, "{\"detected\":false}") }, true);
            return File.ReadAllLines(ledger.LedgerPath);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    });

    [Fact]
    public void Deleting_Swapping_Duplicating_Inserting_AreFoundAtTheRightPosition()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 6);
        var lines = File.ReadAllLines(ledger.LedgerPath).ToList();
        ChainVerification Check(List<string> l) => ChainVerifier.Verify(l.Select((x, i) => new LedgerLine(i, Encoding.UTF8.GetBytes(x))), Ring, true);

        var deleted = Check(lines.Where((_, i) => i != 2).ToList());
        Assert.False(deleted.Valid);
        Assert.Equal(new long[] { 2 }, deleted.Gaps);
        Assert.Equal(2, deleted.FirstTampered!.Position);

        var swapped = lines.ToList();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        var sw = Check(swapped);
        Assert.False(sw.Valid);
        Assert.Equal(3, sw.FirstTampered!.Position);

        var duplicated = lines.ToList();
        duplicated.Insert(2, lines[1]);
        var dup = Check(duplicated);
        Assert.False(dup.Valid);
        Assert.Equal(new long[] { 1 }, dup.Duplicates);
        Assert.Equal(2, dup.FirstTampered!.Position);

        // A forged record inserted at position 3 (by someone without the key) and the rest renumbered.
        var other = AuditKey.Generate();
        var forged = RecordCodec.Create(other, 3, Check(lines.Take(3).ToList()).HeadHmac, "halluccheck.score.v1", "p1", "{\"score\":1}", DateTimeOffset.UtcNow, "local");
        var inserted = lines.Take(3).Append(forged.Line!).Concat(lines.Skip(3)).ToList();
        var ins = Check(inserted);
        Assert.False(ins.Valid);
        Assert.Equal(3, ins.FirstTampered!.Position);
    }

    [Fact]
    public void Truncation_IsDetectedAgainstACheckpoint_AndACheckpointMustBeAuthentic()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 5);
        var checkpoint = AuditLog.Checkpoint(ledger, Ring);
        Assert.Equal(4, checkpoint.Position);
        Assert.Equal(5, checkpoint.RecordCount);
        var anchored = AuditLog.Verify(ledger, Ring, checkpoint);
        Assert.True(anchored.Valid && anchored.Anchored, anchored.Reason);

        Fill(ledger, 2); // growth after the checkpoint is fine
        Assert.True(AuditLog.Verify(ledger, Ring, checkpoint).Valid);

        // Roll back: drop the last three lines. The plain chain still verifies; the checkpoint does not.
        var lines = File.ReadAllLines(ledger.LedgerPath);
        File.WriteAllLines(ledger.LedgerPath, lines.Take(4));
        Assert.True(AuditLog.Verify(ledger, Ring).Valid);
        var rolledBack = AuditLog.Verify(ledger, Ring, checkpoint);
        Assert.False(rolledBack.Valid);
        Assert.False(rolledBack.Anchored);
        Assert.Contains("does not contain position 4", rolledBack.Reason, StringComparison.Ordinal);

        var path = s.File("cp.json");
        File.WriteAllText(path, checkpoint.ToJson().Replace("\"position\":4", "\"position\":3", StringComparison.Ordinal));
        var forged = AuditLog.Verify(ledger, Ring, AuditCheckpoint.Load(path));
        Assert.False(forged.Valid);
        Assert.Contains("checkpoint file was altered", forged.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongKey_IsInvalidWithAReason_NotAnException()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 3);
        var v = AuditLog.Verify(ledger, new AuditKeyring(new[] { AuditKey.Generate() }));
        Assert.False(v.Valid);
        Assert.Equal(0, v.VerifiedCount);
        Assert.Contains("not in the keyring", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RotatedKeys_KeepVerifying_WithAKeyring()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 2);
        var next = AuditKey.Generate();
        AuditLog.Append(ledger, next, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":0.9}") }, true);
        Assert.True(AuditLog.Verify(ledger, new AuditKeyring(new[] { next, Key })).Valid);
        Assert.False(AuditLog.Verify(ledger, new AuditKeyring(new[] { next })).Valid);
    }

    [Fact]
    public void Keys_NeverShowTheirSecret_AndNeedAtLeast32Bytes()
    {
        Assert.DoesNotContain(Key.ExportBase64(), Key.ToString(), StringComparison.Ordinal);
        Assert.Equal(16, Key.KeyId.Length);
        var shortKey = Convert.ToBase64String(new byte[16]);
        var ex = Assert.Throws<EvalSigException>(() => AuditKey.FromBase64(shortKey, "test"));
        Assert.Equal(EvalSigError.AuditKeyInvalid, ex.Error);
        Assert.DoesNotContain(shortKey, ex.Message, StringComparison.Ordinal);
        Assert.Equal(EvalSigError.AuditKeyInvalid, Assert.Throws<EvalSigException>(() => AuditKey.FromBase64("not base64!!", "test")).Error);
    }

    [Fact]
    public void SchemaKeys_UnknownAndMissingFields_AreRejected_AndNothingIsWritten()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 1);
        var before = File.ReadAllBytes(ledger.LedgerPath);
        EvalSigError Err(params AuditEntry[] e) => Assert.Throws<EvalSigException>(() => AuditLog.Append(ledger, Key, e, strictSchema: true)).Error;
        Assert.Equal(EvalSigError.AuditSchemaUnknown, Err(new AuditEntry("acme.review.v1", null, "{}")));
        Assert.Equal(EvalSigError.AuditPayloadInvalid, Err(new AuditEntry("halluccheck.score.v1", null, "{\"score\":\"high\"}")));
        Assert.Equal(EvalSigError.AuditPayloadInvalid, Err(new AuditEntry("halluccheck.gate.v1", null, "{}")));
        Assert.Equal(EvalSigError.AuditSchemaInvalid, Err(new AuditEntry("Not A Key", null, "{}")));
        // One bad entry in a batch: the whole batch is refused.
        Assert.Equal(EvalSigError.AuditPayloadInvalid, Err(new AuditEntry("halluccheck.score.v1", null, "{\"score\":1}"), new AuditEntry("halluccheck.pii.v1", null, "{}")));
        Assert.Equal(before, File.ReadAllBytes(ledger.LedgerPath));

        AuditLog.Append(ledger, Key, new[] { new AuditEntry("acme.review.v1", null, "{}") }, strictSchema: false);
        AuditSchemaRegistry.Register(s.Path, "acme.release.v1", new[] { new PayloadField("approver", PayloadFieldType.String) }, "Release approvals");
        Assert.Equal(EvalSigError.AuditPayloadInvalid, Err(new AuditEntry("acme.release.v1", null, "{}")));
        AuditLog.Append(ledger, Key, new[] { new AuditEntry("acme.release.v1", null, "{\"approver\":\"ana\"}") }, strictSchema: true);
        Assert.Contains(AuditSchemaRegistry.Load(s.Path).All, x => x.SchemaKey == "acme.release.v1" && !x.BuiltIn);
        Assert.True(AuditLog.Verify(ledger, Ring).Valid);
    }

    [Fact]
    public void TornTail_IsReported_RefusesAppends_AndRepairQuarantinesOnlyTheTornBytes()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 3);
        var good = File.ReadAllBytes(ledger.LedgerPath);
        File.AppendAllText(ledger.LedgerPath, "{\"chain_position\":3,\"hm");
        var status = ledger.GetStatus();
        Assert.True(status.TornTail);
        Assert.Equal("degraded", status.Status);
        Assert.Equal(3, status.RecordCount);
        var v = AuditLog.Verify(ledger, Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.True(v.TornTail);
        Assert.Equal(EvalSigError.AuditLedgerTorn, Assert.Throws<EvalSigException>(() => Fill(ledger, 1)).Error);

        Assert.Equal((good.LongLength, 23L, "torn final line"), ledger.PlanRepair());
        var quarantine = ledger.Repair();
        Assert.Equal("{\"chain_position\":3,\"hm", File.ReadAllText(quarantine!));
        Assert.Equal(good, File.ReadAllBytes(ledger.LedgerPath));
        Fill(ledger, 1);
        Assert.True(AuditLog.Verify(ledger, Ring).Valid);
        Assert.Equal("ok", ledger.GetStatus().Status);
    }

    [Fact]
    public void InterruptedBatch_IsFound_AndRepairedAsAWhole()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 2);
        var good = File.ReadAllBytes(ledger.LedgerPath);
        // Simulate a crash half-way through a 3-record batch: intent written, two whole lines and a torn one.
        var scratch = new LocalLedger(s.File("other"));
        Fill(scratch, 2);
        var batchLines = File.ReadAllText(ledger.LedgerPath).Length;
        File.WriteAllText(Path.Combine(s.Path, "ledger.batch"), $"{{\"start\":{good.Length},\"count\":3}}");
        var tail = AuditLedgerTestsHelpers.ContinueLines(ledger, 2);
        File.AppendAllText(ledger.LedgerPath, tail);
        Assert.Equal("degraded", ledger.GetStatus().Status);
        Assert.Equal(EvalSigError.AuditLedgerTorn, Assert.Throws<EvalSigException>(() => Fill(ledger, 1)).Error);
        ledger.Repair();
        Assert.Equal(good, File.ReadAllBytes(ledger.LedgerPath));
        Assert.False(File.Exists(Path.Combine(s.Path, "ledger.batch")));
        Assert.True(batchLines > 0);
    }

    [Fact]
    public void Index_DeletedOrGarbage_IsRebuilt_AndQueriesReturnTheSameRecords()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 20, project: "a");
        Fill(ledger, 10, schema: "halluccheck.score.v1", project: "b");
        var q = new AuditQuery { ProjectId = "b", Skip = 2, First = 5 };
        var keyed = new AuditReadOptions { Keyring = Ring };
        var expected = ledger.Query(q, keyed).Select(r => r.RecordId).ToList();
        Assert.Equal(5, expected.Count);
        var index = Path.Combine(s.Path, "index.sqlite");
        Assert.True(File.Exists(index));

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(index);
        Assert.Equal(expected, ledger.Query(q, keyed).Select(r => r.RecordId));

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in Directory.GetFiles(s.Path, "index.sqlite*"))
        {
            File.Delete(f);
        }

        File.WriteAllBytes(index, Enumerable.Repeat((byte)0x5A, 8192).ToArray());
        Assert.Equal(expected, ledger.Query(q).Select(r => r.RecordId)); // keyless: a scan, the index left alone
        Assert.Equal(expected, ledger.Query(q, keyed).Select(r => r.RecordId)); // keyed: rebuilt
        Assert.True(ledger.GetStatus(keyed).IndexHealthy);
    }

    [Fact]
    public void Index_ThatSqliteCannotUseAtAll_FallsBackToScanningTheLedger_AndStatusIsDegraded()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 12, project: "a");
        var expected = ledger.Query(new AuditQuery { Skip = 3, First = 4 }).Select(r => r.RecordId).ToList();

        // A directory where index.sqlite should be: SQLite can neither open nor replace it.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in Directory.GetFiles(s.Path, "index.sqlite*"))
        {
            File.Delete(f);
        }

        Directory.CreateDirectory(Path.Combine(s.Path, "index.sqlite"));
        File.WriteAllText(Path.Combine(s.Path, "index.sqlite", "keep"), "x");
        Assert.Equal(expected, ledger.Query(new AuditQuery { Skip = 3, First = 4 }).Select(r => r.RecordId));
        var status = ledger.GetStatus();
        Assert.False(status.IndexHealthy);
        Assert.Equal("degraded", status.Status);
        Assert.Equal(12, status.RecordCount);
    }

    [Fact]
    public void Query_FiltersByTimeSchemaProject_InChainOrder()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        var a = Fill(ledger, 3, project: "a");
        AuditLog.Append(ledger, Key, new[] { new AuditEntry("halluccheck.pii.v1", "a", "{\"detected\":true}") }, true);
        var all = ledger.Query(new AuditQuery()).ToList();
        Assert.Equal(new long[] { 0, 1, 2, 3 }, all.Select(r => r.ChainPosition));
        Assert.Single(ledger.Query(new AuditQuery { SchemaKey = "halluccheck.pii.v1" }));
        Assert.Empty(ledger.Query(new AuditQuery { From = DateTimeOffset.UtcNow.AddMinutes(1) }));
        Assert.Equal(4, ledger.Query(new AuditQuery { From = a[0].Timestamp, To = DateTimeOffset.UtcNow.AddMinutes(1) }).Count());
        Assert.Equal(EvalSigError.AuditQueryInvalid, Assert.Throws<EvalSigException>(() => ledger.Query(new AuditQuery { From = DateTimeOffset.UtcNow, To = DateTimeOffset.UtcNow.AddDays(-1) }).ToList()).Error);
    }

    [Theory]
    [InlineData(AuditExportFormat.Jsonl, false)]
    [InlineData(AuditExportFormat.Jsonl, true)]
    [InlineData(AuditExportFormat.Csv, false)]
    [InlineData(AuditExportFormat.Csv, true)]
    public void Exports_ReVerify_AndATamperedExportDoesNot(AuditExportFormat format, bool gzip)
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Fill(ledger, 5);
        var path = s.File("export" + (format == AuditExportFormat.Csv ? ".csv" : ".jsonl") + (gzip ? ".gz" : string.Empty));
        Assert.Equal(5, AuditExport.Write(ledger.Query(new AuditQuery()), path, format, gzip, noClobber: true));
        var v = AuditLog.VerifyExport(path, Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(5, v.VerifiedCount);
        Assert.Equal(EvalSigError.FileAlreadyExists, Assert.Throws<EvalSigException>(() => AuditExport.Write(ledger.Query(new AuditQuery()), path, format, gzip, noClobber: true)).Error);

        var text = gzip ? new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress)).ReadToEnd() : File.ReadAllText(path);
        var tampered = text.Replace("rec 3", "rec 9", StringComparison.Ordinal);
        Assert.NotEqual(text, tampered);
        var tamperedPath = s.File("tampered" + (format == AuditExportFormat.Csv ? ".csv" : ".jsonl"));
        File.WriteAllText(tamperedPath, tampered);
        var t = AuditLog.VerifyExport(tamperedPath, Ring);
        Assert.False(t.Valid);
        Assert.Equal(3, t.FirstTampered!.Position);
    }

    [Fact]
    public void EmptyLedgerFile_IsValid_ButNoLedgerAtAll_IsAuditLedgerNotFound()
    {
        using var s = new Scratch();
        File.WriteAllBytes(Path.Combine(s.Path, LocalLedger.LedgerFileName), Array.Empty<byte>());
        var v = AuditLog.Verify(new LocalLedger(s.Path), Ring);
        Assert.True(v.Valid);
        Assert.Equal(0, v.RecordCount);
        Assert.Equal(EvalSigError.AuditLedgerNotFound, Assert.Throws<EvalSigException>(() => AuditLog.Verify(new LocalLedger(s.File("nothing-here")), Ring)).Error);
    }

    [Fact]
    public void Sign_SignsTheCanonicalPayload_WithoutAppending()
    {
        using var s = new Scratch();
        var signed = AuditLog.Sign("{\"b\":2,\"a\":[1.50,\"x\"]}", Key);
        Assert.Equal("{\"a\":[1.5,\"x\"],\"b\":2}", signed.CanonicalJson);
        Assert.True(AuditLog.VerifySignature(signed, Ring));
        Assert.False(AuditLog.VerifySignature(signed with { CanonicalJson = "{\"a\":[1.5,\"y\"],\"b\":2}" }, Ring));
        Assert.False(File.Exists(Path.Combine(s.Path, LocalLedger.LedgerFileName)));
    }
}

internal static class AuditLedgerTestsHelpers
{
    /// <summary>Two whole lines continuing the ledger's chain and a torn third, as a crash would leave.</summary>
    public static string ContinueLines(LocalLedger ledger, int whole)
    {
        var lines = File.ReadAllLines(ledger.LedgerPath);
        var last = RecordCodec.Parse(lines[^1], "local");
        var sb = new StringBuilder();
        var prev = last.Hmac;
        for (var i = 0; i < whole; i++)
        {
            var r = RecordCodec.Create(AuditLedgerTests.Key, last.ChainPosition + 1 + i, prev, "halluccheck.score.v1", null, "{\"score\":1}", DateTimeOffset.UtcNow, "local");
            sb.Append(r.Line).Append('\n');
            prev = r.Hmac;
        }

        return sb.Append("{\"chain_posi").ToString();
    }
}

