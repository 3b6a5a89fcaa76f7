using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 17, first list: each bullet's original failure, reproduced, and what a user sees now.
/// (Run store, storage faults and directory fsync have their own classes below and in
/// StorageFaultTests.)
/// </summary>
public class FailClosedVerificationTests
{
    private static readonly AuditKeyring Ring = AuditLedgerTests.Ring;

    [Fact]
    public void Verify_AMissingOrMistypedLedger_IsAuditLedgerNotFound_NeverValidWithNoRecords()
    {
        using var s = new Scratch();
        var missing = new LocalLedger(s.File("no-such-ledger"));
        var ex = Assert.Throws<EvalSigException>(() => AuditLog.Verify(missing, Ring));
        Assert.Equal(EvalSigError.AuditLedgerNotFound, ex.Error);
        Assert.Equal(EvalSigErrorKind.ObjectNotFound, ex.Kind); // the CLI's exit 65
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);

        // An existing directory that holds no ledger.jsonl (a typo one level up) is not "no records" either.
        Directory.CreateDirectory(s.File("empty"));
        Assert.Equal(EvalSigError.AuditLedgerNotFound, Assert.Throws<EvalSigException>(() => AuditLog.Verify(new LocalLedger(s.File("empty")), Ring)).Error);
        Assert.Equal(EvalSigError.AuditLedgerNotFound, Assert.Throws<EvalSigException>(() => missing.Query(new AuditQuery()).ToList()).Error);
        Assert.Equal("missing", missing.GetStatus().Status);
    }

    [Fact]
    public void Verify_APathThatIsAFile_OrALedgerJsonlThatIsADirectory_IsAuditLedgerNotFound()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 2);
        var asFile = Assert.Throws<EvalSigException>(() => AuditLog.Verify(new LocalLedger(ledger.LedgerPath), Ring));
        Assert.Equal(EvalSigError.AuditLedgerNotFound, asFile.Error);
        Assert.Contains("is a file, not a ledger directory", asFile.Message, StringComparison.Ordinal);

        var odd = s.File("odd");
        Directory.CreateDirectory(Path.Combine(odd, LocalLedger.LedgerFileName));
        var asDirectory = Assert.Throws<EvalSigException>(() => AuditLog.Verify(new LocalLedger(odd), Ring));
        Assert.Equal(EvalSigError.AuditLedgerNotFound, asDirectory.Error);
        Assert.Contains("is a directory, not a ledger file", asDirectory.Message, StringComparison.Ordinal);

        // Appending there is refused the same way (before: a raw IOException).
        Assert.Equal(EvalSigError.AuditLedgerNotFound, Assert.Throws<EvalSigException>(() => AuditLedgerTests.Fill(new LocalLedger(odd), 1)).Error);
    }

    [Fact]
    public void VerifyExport_MissingOrADirectory_IsAuditExportInvalid()
    {
        using var s = new Scratch();
        Assert.Equal(EvalSigError.AuditExportInvalid, Assert.Throws<EvalSigException>(() => AuditLog.VerifyExport(s.File("nope.jsonl"), Ring)).Error);
        Assert.Equal(EvalSigError.AuditExportInvalid, Assert.Throws<EvalSigException>(() => AuditLog.VerifyExport(s.Path, Ring)).Error);
    }

    [Theory]
    [InlineData(AuditExportFormat.Jsonl)]
    [InlineData(AuditExportFormat.Csv)]
    public void AnExportWhoseFirstPositionsWereRemoved_IsInvalid_UnlessVerifiedAsARangeOnPurpose(AuditExportFormat format)
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 8);
        var path = s.File("export." + format.ToString().ToLowerInvariant());
        AuditExport.Write(ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = Ring }), path, format, compress: false, noClobber: false);
        var lines = File.ReadAllLines(path).ToList();
        lines.RemoveRange(format == AuditExportFormat.Csv ? 1 : 0, 3); // drop positions 0..2
        File.WriteAllLines(path, lines);

        var v = AuditLog.VerifyExport(path, Ring);
        Assert.False(v.Valid);
        Assert.Equal(new long[] { 0, 1, 2 }, v.Gaps);
        Assert.Contains("records 0..2 are missing", v.Reason, StringComparison.Ordinal);

        var range = AuditLog.VerifyExport(path, Ring, range: true);
        Assert.True(range.Valid, range.Reason);
        Assert.Contains("the range 3..7", range.Reason, StringComparison.Ordinal);
        Assert.Contains(range.Notes, n => n.Contains("verified as such on request", StringComparison.Ordinal));
    }

    [Fact]
    public void ACheckpoint_IsCheckedForPipedRecordsToo_AndSaysWhichRecordIsMissing()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 6);
        var checkpoint = AuditLog.Checkpoint(ledger, Ring);
        var records = ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = Ring }).ToList();

        var whole = ChainVerifier.Verify(records, Ring, wholeChain: true, checkpoint);
        Assert.True(whole.Valid && whole.Anchored, whole.Reason);

        // Before: Valid=True, Anchored=False with the checkpoint's head record missing.
        var truncated = ChainVerifier.Verify(records.Take(4), Ring, wholeChain: true, checkpoint);
        Assert.False(truncated.Valid);
        Assert.False(truncated.Anchored);
        Assert.Contains("the records given do not contain position 5", truncated.Reason, StringComparison.Ordinal);
        Assert.Contains(checkpoint.HeadHmac, truncated.Reason, StringComparison.Ordinal);

        var range = ChainVerifier.Verify(records.Skip(2), Ring, wholeChain: false, checkpoint);
        Assert.True(range.Valid && range.Anchored, range.Reason);
    }
}

public class DomainSeparationTests
{
    private static readonly AuditKeyring Ring = AuditLedgerTests.Ring;
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void EveryPurposeHasItsOwnHkdfKey_PinnedByAnIndependentHkdf()
    {
        var labels = new[] { "ledger-record", "checkpoint", "envelope", "signature", "index" };
        var derived = labels.Select(l => AuditLedgerTests.Hkdf(Secret, "evalsig/audit/v2/" + l)).ToList();
        Assert.Equal(labels.Length, derived.Select(Convert.ToHexString).Distinct().Count());
        var data = Encoding.UTF8.GetBytes("{\"same\":\"bytes\"}");
        foreach (var (purpose, key) in new[] { KeyPurpose.LedgerRecord, KeyPurpose.Checkpoint, KeyPurpose.Envelope, KeyPurpose.Signature, KeyPurpose.Index }.Zip(derived))
        {
            var expected = "hmac-sha256:" + Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(key, data)).ToLowerInvariant();
            Assert.Equal(expected, AuditLedgerTests.Key.Sign(purpose, data));
        }
    }

    [Fact]
    public void AFreeFormSignature_CannotPassForACheckpointOfATruncatedLedger()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 5);
        var lines = File.ReadAllLines(ledger.LedgerPath);
        File.WriteAllLines(ledger.LedgerPath, lines.Take(3)); // truncate to positions 0..2
        var head = RecordCodec.Parse(lines[2], "local");

        // The attack of the issue: ask New-AuditSignature to sign exactly a checkpoint's MAC input.
        var body = $"{{\"created_at\":\"2026-01-01T00:00:00.000000Z\",\"head_hmac\":\"{head.Hmac}\",\"key_id\":\"{AuditLedgerTests.Key.KeyId}\",\"position\":2,\"record_count\":3,\"schema_key\":\"evalsig.checkpoint.v1\",\"version\":2}}";
        var signed = AuditLog.Sign(body, AuditLedgerTests.Key);
        Assert.Equal(body, signed.CanonicalJson);
        var forged = new AuditCheckpoint(2, head.Hmac, 3, "2026-01-01T00:00:00.000000Z", AuditLedgerTests.Key.KeyId, signed.Hmac);
        var v = AuditLog.Verify(ledger, Ring, forged);
        Assert.False(v.Valid);
        Assert.Contains("checkpoint's HMAC does not verify", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFreeFormSignature_CannotPassForALedgerRecord()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        var first = AuditLedgerTests.Fill(ledger, 1)[0];

        // A forged record at position 1: its MAC input signed through New-AuditSignature.
        var macInput = Encoding.UTF8.GetString(RecordCodec.MacInput(1, AuditLedgerTests.Key.KeyId, "{\"approved_by\":\"CFO\",\"score\":1}", first.Hmac, "p1", Uuid7.New(DateTimeOffset.UtcNow), "halluccheck.score.v1", "2026-01-01T00:00:00.000000Z", 2));
        var signature = AuditLog.Sign(macInput, AuditLedgerTests.Key);
        Assert.Equal(macInput, signature.CanonicalJson);
        var line = macInput.Replace("{\"chain_position\":1", "{\"chain_position\":1,\"hmac\":\"" + signature.Hmac + "\"", StringComparison.Ordinal);
        File.AppendAllText(ledger.LedgerPath, line + "\n");
        var v = AuditLog.Verify(ledger, Ring);
        Assert.False(v.Valid);
        Assert.Equal(1, v.FirstTampered!.Position);
        Assert.Contains("HMAC mismatch", v.FirstTampered.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AFormatOneCheckpoint_IsRefusedByName()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 2);
        var cp = AuditLog.Checkpoint(ledger, Ring);
        var path = s.Write("old.json", cp.ToJson().Replace(",\"version\":2", string.Empty, StringComparison.Ordinal));
        var v = AuditLog.Verify(ledger, Ring, AuditCheckpoint.Load(path));
        Assert.False(v.Valid);
        Assert.Contains("format 1", v.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Format-1 ledgers (written before key derivation) and their explicit migration.</summary>
public class LedgerMigrationTests
{
    private static readonly AuditKeyring Ring = AuditLedgerTests.Ring;

    /// <summary>A ledger as EvalSig wrote it before record format 2: the undivided key, no version member.</summary>
    internal static void WriteLegacy(LocalLedger ledger, int n)
    {
        Directory.CreateDirectory(ledger.Directory);
        var sb = new StringBuilder();
        string? prev = null;
        for (var i = 0; i < n; i++)
        {
            var r = RecordCodec.CreateLegacy(AuditLedgerTests.Key, i, prev, "halluccheck.score.v1", "p", $"{{\"score\":{i}}}", DateTimeOffset.UtcNow, "local");
            sb.Append(r.Line).Append('\n');
            prev = r.Hmac;
        }

        File.WriteAllText(ledger.LedgerPath, sb.ToString());
    }

    [Fact]
    public void AFormatOneLedger_IsNotSilentlyValid_AppendsNeedTheMigration_WhichIsExplicitAndOnce()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        WriteLegacy(ledger, 4);

        var before = AuditLog.Verify(ledger, Ring);
        Assert.False(before.Valid);
        Assert.Equal(4, before.LegacyCount);
        Assert.Equal(0, before.TamperedCount);
        Assert.Contains("Update-AuditLedger", before.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ledger.GetStatus().RecordFormat);
        Assert.Equal(EvalSigError.AuditLedgerMigrationRequired, Assert.Throws<EvalSigException>(() => AuditLedgerTests.Fill(ledger, 1)).Error);
        Assert.Equal(EvalSigError.AuditSchemaInvalid, Assert.Throws<EvalSigException>(() => AuditLog.Append(ledger, AuditLedgerTests.Key, new[] { new AuditEntry(ChainVerifier.MigrationSchemaKey, null, "{\"from_version\":1,\"legacy_head_hmac\":\"x\",\"legacy_records\":4}") }, true)).Error);

        var migrated = AuditLog.Migrate(ledger, Ring);
        Assert.True(migrated.Migrated);
        Assert.Equal(4, migrated.MigrationPosition);
        var after = AuditLog.Verify(ledger, Ring);
        Assert.True(after.Valid, after.Reason);
        Assert.Equal(4, after.LegacyCount);
        Assert.False(AuditLog.Migrate(ledger, Ring).Migrated);

        AuditLedgerTests.Fill(ledger, 2);
        Assert.True(AuditLog.Verify(ledger, Ring).Valid);
        Assert.Equal(2, ledger.GetStatus().RecordFormat);
    }

    [Fact]
    public void AFormatOneRecordAfterTheMigration_IsAForgery()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        WriteLegacy(ledger, 2);
        AuditLog.Migrate(ledger, Ring);
        var head = ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = Ring }).Last();
        var forged = RecordCodec.CreateLegacy(AuditLedgerTests.Key, head.ChainPosition + 1, head.Hmac, "halluccheck.score.v1", null, "{\"score\":1}", DateTimeOffset.UtcNow, "local");
        File.AppendAllText(ledger.LedgerPath, forged.Line + "\n");
        var v = AuditLog.Verify(ledger, Ring);
        Assert.False(v.Valid);
        Assert.Contains("downgraded", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ATamperedFormatOneLedger_IsNotMigrated()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        WriteLegacy(ledger, 3);
        var lines = File.ReadAllLines(ledger.LedgerPath);
        lines[1] = lines[1].Replace("\"score\":1", "\"score\":9", StringComparison.Ordinal);
        File.WriteAllLines(ledger.LedgerPath, lines);
        Assert.Equal(EvalSigError.AuditLedgerCorrupt, Assert.Throws<EvalSigException>(() => AuditLog.Migrate(ledger, Ring)).Error);
    }
}

public class KeyHygieneTests
{
    [Fact]
    public void WeakKeys_AreRefusedByName()
    {
        var zeros = Assert.Throws<EvalSigException>(() => AuditKey.FromBase64(Convert.ToBase64String(new byte[32]), "the file 'k'"));
        Assert.Equal(EvalSigError.AuditKeyInvalid, zeros.Error);
        Assert.Contains("the file 'k'", zeros.Message, StringComparison.Ordinal);
        Assert.Contains("every byte is the same", zeros.Message, StringComparison.Ordinal);
        var fewValues = Enumerable.Range(0, 32).Select(i => (byte)(i % 4)).ToArray();
        Assert.Contains("only 4 distinct byte values", Assert.Throws<EvalSigException>(() => AuditKey.FromBase64(Convert.ToBase64String(fewValues), "x")).Message, StringComparison.Ordinal);
        Assert.Contains("128 bits", Assert.Throws<EvalSigException>(() => AuditKey.FromBase64(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), "x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyFileOthersCanRead_IsRefusedForSigning_AndAWarningForVerifying()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // POSIX mode bits; Windows ACLs are documented, not inspected
        }

        using var s = new Scratch();
        var path = s.File("audit.key");
        AuditKeyFile.Create(path, force: false);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var refused = Assert.Throws<EvalSigException>(() => AuditKeyring.Resolve(new[] { path }, null, forSigning: true));
        Assert.Equal(EvalSigError.AuditKeyInsecure, refused.Error);
        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Contains("mode 0644", refused.Message, StringComparison.Ordinal);
        var ring = AuditKeyring.Resolve(new[] { path }, null);
        Assert.Contains(ring.Warnings, w => w.Contains("its group and others", StringComparison.Ordinal));
    }

    [Fact]
    public void Rotation_KeepsTheOldKeyVerifyOnly_AndAppendsWithItFail()
    {
        using var s = new Scratch();
        var path = s.File("audit.key");
        var original = AuditKeyFile.Create(path, force: false);
        var (next, retired) = AuditKeyFile.Rotate(path);
        Assert.Equal(original.KeyId, retired.KeyId);
        Assert.Equal(next.KeyId, retired.ReplacedByKeyId);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path)); // the keyring stays owner-only
        }

        var ring = AuditKeyring.Resolve(new[] { path }, null);
        Assert.Equal(next.KeyId, ring.SigningKey.KeyId);
        Assert.Equal(AuditKeyStatus.VerifyOnly, ring.Find(original.KeyId)!.Status);
        Assert.DoesNotContain(original.ExportBase64(), retired.ToString(), StringComparison.Ordinal);

        using var ledger = new Scratch();
        var l = new LocalLedger(ledger.Path);
        var ex = Assert.Throws<EvalSigException>(() => AuditLog.Append(l, ring.Find(original.KeyId)!, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":1}") }, true));
        Assert.Equal(EvalSigError.AuditKeyRetired, ex.Error);
        Assert.Contains(next.KeyId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARotatedOutKey_SigningLater_DoesNotVerify_ByItsSuccessorOrByItsRetirementTime()
    {
        using var s = new Scratch();
        var path = s.File("audit.key");
        var oldKey = AuditKeyFile.Create(path, force: false);
        var oldCopy = AuditKey.FromBase64(oldKey.ExportBase64(), "a copy of the old key file"); // what an attacker kept
        var ledger = new LocalLedger(s.File("ledger"));
        AuditLog.Append(ledger, oldKey, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":1}") }, true);
        var (next, retired) = AuditKeyFile.Rotate(path);
        AuditLog.RecordRotation(ledger, next, retired.KeyId);
        var ring = AuditKeyring.Resolve(new[] { path }, null);
        Assert.True(AuditLog.Verify(ledger, ring).Valid);

        // The rotated-out key keeps signing: before, these verified.
        AuditLog.Append(ledger, oldCopy, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":2}") }, true);
        var v = AuditLog.Verify(ledger, ring);
        Assert.False(v.Valid);
        Assert.Equal(2, v.FirstTampered!.Position);
        Assert.Contains("rotated out", v.FirstTampered.Reason, StringComparison.Ordinal);

        // Without the rotation record, the retirement time still catches it.
        var other = new LocalLedger(s.File("other"));
        AuditLog.Append(other, oldCopy, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":3}") }, true);
        var late = AuditLog.Verify(other, ring);
        Assert.False(late.Valid);
        Assert.Contains("after it was retired", late.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Explicit keys replace EVALSIG_AUDIT_KEY: a test that changes the process environment, so it runs alone.</summary>
[Collection(nameof(ProcessEnvironment))]
public class ExplicitKeyTests
{
    [Fact]
    public void AnExplicitKey_ReplacesTheEnvironmentKey_InsteadOfJoiningIt()
    {
        using var s = new Scratch();
        var a = s.File("a.key");
        AuditKeyFile.Create(a, force: false);
        var b = AuditKey.Generate();
        var ledger = new LocalLedger(s.File("ledger"));
        AuditLog.Append(ledger, b, new[] { new AuditEntry("halluccheck.score.v1", null, "{\"score\":1}") }, true); // re-signed with key B

        var saved = Environment.GetEnvironmentVariable(AuditKey.EnvironmentVariable);
        Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, b.ExportBase64());
        try
        {
            var ring = AuditKeyring.Resolve(new[] { a }, null);
            Assert.Single(ring.Keys);
            var v = AuditLog.Verify(ledger, ring);
            Assert.False(v.Valid); // before: VALID, because B from the environment joined the keyring
            Assert.Contains("not in the keyring", v.Reason, StringComparison.Ordinal);
            Assert.True(AuditLog.Verify(ledger, AuditKeyring.Resolve(null, null)).Valid); // no explicit key: the environment's
        }
        finally
        {
            Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, saved);
        }
    }
}

[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment
{
}

/// <summary>Payloads JCS cannot represent are refused by name (before: exit 70, or silently changed).</summary>
public class PayloadExactnessTests
{
    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "duplicate member 'a'")]
    [InlineData("{\"x\":1e999}", "outside the range")]
    [InlineData("{\"x\":\"\\ud800\"}", "lone UTF-16 surrogate")]
    [InlineData("{\"\\udfff\":1}", "lone UTF-16 surrogate")]
    [InlineData("{\"x\":1234567890123456789}", "significant digits")]
    [InlineData("{\"x\":9007199254740993}", "beyond 2^53")]
    [InlineData("{\"x\":1e-400}", "would become 0")]
    public void Append_OfAPayloadJcsCannotRepresent_IsAuditPayloadInvalid_AndWritesNothing(string payload, string reason)
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        var ex = Assert.Throws<EvalSigException>(() => AuditLog.Append(ledger, AuditLedgerTests.Key, new[] { new AuditEntry("acme.x.v1", null, payload) }, strictSchema: false));
        Assert.Equal(EvalSigError.AuditPayloadInvalid, ex.Error);
        Assert.Equal(EvalSigErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ledger.LedgerPath));
    }

    [Theory]
    [InlineData("1.50", "1.5")]
    [InlineData("1E2", "100")]
    [InlineData("-0", "0")]
    [InlineData("0.10000000000000001", "0.1")]
    [InlineData("333333333.33333329", "333333333.3333333")]
    [InlineData("1E30", "1e+30")]
    [InlineData("9007199254740992", "9007199254740992")]
    public void NumbersADoubleHolds_AreCanonicalized(string number, string canonical)
        => Assert.Equal("{\"x\":" + canonical + "}", Encoding.UTF8.GetString(CanonicalJson.Canonicalize("{\"x\":" + number + "}")));
}
