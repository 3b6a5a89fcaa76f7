using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>Issues 15 and 17 as cmdlet users meet them: fail-closed verification, keys, migration, the authenticated index, storage faults.</summary>
public class AuditTrustCommandTests
{
    /// <summary>A ledger directory and a key file for one test; the audit cmdlets get both by default.</summary>
    private sealed class Env : IDisposable
    {
        public Env()
        {
            PowerShellHost.Run("New-AuditKey -Path $p", new() { ["p"] = Key }).ShouldSucceed();
        }

        public TempDirectory Dir { get; } = new();

        public string Ledger => Dir.File("ledger");

        public string Key => Dir.File("audit.key");

        public string LedgerFile => Path.Combine(Ledger, "ledger.jsonl");

        public PsResult Run(string script, Dictionary<string, object?>? vars = null, bool withKey = true)
        {
            var v = vars ?? new();
            v["ledger"] = Ledger;
            v["key"] = Key;
            return PowerShellHost.Run("$PSDefaultParameterValues = @{ '*-Audit*:Ledger' = $ledger" + (withKey ? "; '*-Audit*:KeyPath' = $key" : string.Empty) + " }\n" + script, v);
        }

        public void Dispose() => Dir.Dispose();
    }

    [Theory]
    [InlineData("Test-AuditChain -Ledger $missing", "AuditLedgerNotFound,EvalSig.Commands.TestAuditChainCommand")]
    [InlineData("Test-AuditChain -Ledger $file", "AuditLedgerNotFound,EvalSig.Commands.TestAuditChainCommand")]
    [InlineData("Get-AuditRecord -Ledger $missing", "AuditLedgerNotFound,EvalSig.Commands.GetAuditRecordCommand")]
    [InlineData("Export-AuditLog -Ledger $missing -Path $out", "AuditLedgerNotFound,EvalSig.Commands.ExportAuditLogCommand")]
    [InlineData("Test-AuditChain -Path $out", "AuditExportInvalid,EvalSig.Commands.TestAuditChainCommand")]
    public void Verification_FailsClosed_WhenThereIsNothingToVerify(string script, string id)
    {
        using var e = new Env();
        e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1").ShouldSucceed();
        var r = e.Run(script, new() { ["missing"] = e.Dir.File("typo"), ["file"] = e.LedgerFile, ["out"] = e.Dir.File("none.jsonl") });
        Assert.Empty(r.Output);
        Assert.Equal(id, Assert.Single(r.ErrorIds));
        Assert.Equal("missing", e.Run("(Get-AuditStatus -Ledger $missing).Status", new() { ["missing"] = e.Dir.File("typo") }).One().ToString());
    }

    [Fact]
    public void TestAuditChain_AGappedExportIsInvalid_RangeAcceptsItOnPurpose_AndACheckpointIsCheckedForPipedRecords()
    {
        using var e = new Env();
        var export = e.Dir.File("x.jsonl");
        var cp = e.Dir.File("cp.json");
        e.Run("""
            1..6 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
            Export-AuditCheckpoint $cp | Out-Null
            Get-AuditRecord -Skip 2 | Export-AuditLog -Path $x
            """, new() { ["x"] = export, ["cp"] = cp }).ShouldSucceed();
        var r = e.Run("""
            $v = Test-AuditChain -Path $x; $v.Valid; $v.Gaps -join ','
            (Test-AuditChain -Path $x -Range).Valid
            $t = Get-AuditRecord -First 4 | Test-AuditChain -Checkpoint $cp; $t.Valid; $t.Reason
            (Get-AuditRecord | Test-AuditChain -Checkpoint $cp).Anchored
            """, new() { ["x"] = export, ["cp"] = cp });
        r.ShouldSucceed();
        var o = r.Output.Select(x => x.ToString()).ToList();
        Assert.Equal(new[] { "False", "0,1", "True", "False" }, o.Take(4));
        Assert.Contains("the records given do not contain position 5", o[4], StringComparison.Ordinal);
        Assert.Equal("True", o[5]);
    }

    [Fact]
    public void GetAuditRecord_WithoutAKey_WarnsThatTheIndexIsUnauthenticated_AndWithOneDoesNot()
    {
        using var e = new Env();
        e.Run("1..3 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        var keyless = e.Run("@(Get-AuditRecord).Count; (Get-AuditStatus).IndexAuthenticated", withKey: false);
        Assert.Equal(new[] { "3", "False" }, keyless.Output.Select(x => x.ToString()));
        Assert.Contains(keyless.Warnings, w => w.Message.Contains("unauthenticated", StringComparison.Ordinal));
        var keyed = e.Run("@(Get-AuditRecord).Count; (Get-AuditStatus).IndexAuthenticated");
        Assert.Equal(new[] { "3", "True" }, keyed.Output.Select(x => x.ToString()));
        Assert.Empty(keyed.Warnings);
    }

    [Fact]
    public void GetAuditRecord_ReportsIndexCatchUpProgress_AndAddAuditRecordUpdateIndexLeavesNothingToCatchUp()
    {
        using var e = new Env();
        var first = e.Run("1..50 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null; @(Get-AuditRecord).Count");
        Assert.Equal("50", first.One().ToString());
        Assert.Contains(first.Progress, p => p.Activity == "Indexing ledger.jsonl");
        var level = e.Run("1..20 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -UpdateIndex | Out-Null");
        level.ShouldSucceed();
        var after = e.Run("@(Get-AuditRecord).Count");
        Assert.Equal("70", after.One().ToString());
        Assert.DoesNotContain(after.Progress, p => p.Activity == "Indexing ledger.jsonl");
    }

    [Fact]
    public void GetAuditStatus_ReportsATamperedIndex_AndRebuildsIt()
    {
        using var e = new Env();
        // Another ledger's index (same key, 31 records) put in place of this one's.
        var other = e.Dir.File("other");
        e.Run(
            "1..30 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null; Get-AuditRecord | Out-Null\n"
            + "1..31 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -Ledger $other | Out-Null; Get-AuditRecord -Ledger $other | Out-Null",
            new() { ["other"] = other }).ShouldSucceed();
        foreach (var f in Directory.GetFiles(e.Ledger, "index.sqlite*"))
        {
            File.Delete(f);
        }

        foreach (var f in Directory.GetFiles(other, "index.sqlite*"))
        {
            File.Copy(f, Path.Combine(e.Ledger, Path.GetFileName(f)));
        }

        var r = e.Run("$s = Get-AuditStatus; $s.Status; $s.RecordCount; ($s.Problems -join ' '); (Get-AuditStatus).Status");
        r.ShouldSucceed();
        var o = r.Output.Select(x => x.ToString()).ToList();
        Assert.Equal("degraded", o[0]);
        Assert.Equal("30", o[1]);
        Assert.Contains("did not match", o[2], StringComparison.Ordinal);
        Assert.Equal("ok", o[3]);
        Assert.Contains(r.Warnings, w => w.Message.Contains("did not match", StringComparison.Ordinal));
    }

    [Fact]
    public void NewAuditKey_Rotate_KeepsTheOldKeyVerifyOnly_AndTheOldKeySigningLaterIsCaught()
    {
        using var e = new Env();
        var oldCopy = e.Dir.File("old-copy.key");
        File.Copy(e.Key, oldCopy);
        var r = e.Run("""
            @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
            $k = New-AuditKey -Path $key -Rotate -RecordRotationIn $ledger
            $k.RetiredKeyId; $k.KeyId
            (Test-AuditChain).Valid
            @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -KeyPath $old | Out-Null
            $v = Test-AuditChain; $v.Valid; $v.FirstTampered.Position; $v.FirstTampered.Reason
            """, new() { ["old"] = oldCopy });
        r.ShouldSucceed();
        var o = r.Output.Select(x => x.ToString()).ToList();
        Assert.NotEqual(o[0], o[1]);
        Assert.Equal("True", o[2]);
        Assert.Equal(new[] { "False", "2" }, o.Skip(3).Take(2));
        Assert.Contains("rotated out", o[5], StringComparison.Ordinal);
        Assert.Contains("verify-only", File.ReadAllText(e.Key), StringComparison.Ordinal);
    }

    [Fact]
    public void AddAuditRecord_WithAVerifyOnlyKey_IsAuditKeyRetired()
    {
        using var e = new Env();
        var secret = File.ReadAllText(e.Key).Trim();
        var retired = e.Dir.Write("retired.key", $"{{\"format\":\"evalsig.keyring.v1\",\"keys\":[{{\"status\":\"verify-only\",\"key\":\"{secret}\",\"retired_at\":\"2026-01-01T00:00:00.000000Z\"}}]}}");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(retired, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var r = e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -KeyPath $r", new() { ["r"] = retired });
        Assert.Equal("AuditKeyRetired,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        Assert.False(File.Exists(e.LedgerFile));
    }

    [Fact]
    public void AKeyFileOthersCanRead_IsRefusedForSigning_AndAWarningForVerifying()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // POSIX mode bits; Windows ACLs are documented, not inspected
        }

        using var e = new Env();
        e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        File.SetUnixFileMode(e.Key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var refused = e.Run("@{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1");
        Assert.Equal("AuditKeyInsecure,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(refused.ErrorIds));
        Assert.Contains("mode 0644", refused.ErrorText, StringComparison.Ordinal);
        var verified = e.Run("(Test-AuditChain).Valid");
        Assert.Equal("True", verified.One().ToString());
        Assert.Contains(verified.Warnings, w => w.Message.Contains("chmod 600", StringComparison.Ordinal));
    }

    [Fact]
    public void UpdateAuditLedger_MigratesAFormatOneLedger_ExplicitlyAndOnce()
    {
        using var e = new Env();
        WriteFormatOneLedger(e.Ledger, Convert.FromBase64String(File.ReadAllText(e.Key).Trim()), 3);
        var before = e.Run("$v = Test-AuditChain; $v.Valid; $v.LegacyCount; (Get-AuditStatus).RecordFormat");
        Assert.Equal(new[] { "False", "3", "1" }, before.Output.Select(x => x.ToString()));
        var refused = e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1");
        Assert.Equal("AuditLedgerMigrationRequired,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(refused.ErrorIds));
        e.Run("Update-AuditLedger -WhatIf").ShouldSucceed();
        Assert.Equal(3, File.ReadAllLines(e.LedgerFile).Length);

        var r = e.Run("""
            $m = Update-AuditLedger -Confirm:$false; $m.Migrated; $m.MigrationPosition
            (Update-AuditLedger -Confirm:$false).Migrated
            (Test-AuditChain).Valid
            (@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1).ChainPosition
            """);
        r.ShouldSucceed();
        Assert.Equal(new[] { "True", "3", "False", "True", "4" }, r.Output.Select(x => x.ToString()));
        Assert.Equal("EvalSig.Core.Audit.MigrationResult", e.Run("Update-AuditLedger -Confirm:$false").Output[0].BaseObject.GetType().FullName);
    }

    [Fact]
    public void NewAuditSignature_CannotPassForACheckpoint()
    {
        using var e = new Env();
        var cp = e.Dir.File("forged.json");
        var r = e.Run("""
            1..4 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null
            $head = Get-AuditRecord -Skip 1 -First 1
            $body = [ordered]@{ created_at = '2026-01-01T00:00:00.000000Z'; head_hmac = $head.Hmac; key_id = $head.KeyId; position = 1; record_count = 2; schema_key = 'evalsig.checkpoint.v1'; version = 2 }
            $sig = $body | New-AuditSignature
            $body['hmac'] = $sig.Hmac
            $body | ConvertTo-Json -Compress | Set-Content -LiteralPath $cp
            $v = Test-AuditChain -Checkpoint $cp; $v.Valid; $v.Reason
            """, new() { ["cp"] = cp });
        r.ShouldSucceed();
        Assert.Equal("False", r.Output[0].ToString());
        Assert.Contains("checkpoint's HMAC does not verify", r.Output[1].ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"score\":1,\"score\":2}", "duplicate member")]
    [InlineData("{\"score\":1e999}", "outside the range")]
    [InlineData("{\"score\":1234567890123456789}", "significant digits")]
    public void AddAuditRecord_APayloadJcsCannotRepresent_IsAuditPayloadInvalid(string payload, string reason)
    {
        using var e = new Env();
        var r = e.Run("$p | Add-AuditRecord -SchemaKey halluccheck.score.v1", new() { ["p"] = payload });
        Assert.Equal("AuditPayloadInvalid,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        Assert.Contains(reason, r.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public void AddAuditRecord_OnAReadOnlyLedger_FailsAtOnceByName()
    {
        using var e = new Env();
        e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        using var ro = ReadOnly.Make(e.Ledger);
        var r = e.Run("@{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1");
        Assert.Equal(ro.ExpectedId + ",EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds)); // before: 60 s, then AuditLedgerBusy
        Assert.Equal("1", e.Run("@(Get-AuditRecord).Count").One().ToString());
    }

    [Fact]
    public void ABatchCutByACrash_IsInvisibleToGetAuditRecordStatusExportAndCheckpoint_AndTheCheckpointSurvivesTheRepair()
    {
        using var e = new Env();
        e.Run("1..6 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        var bytes = File.ReadAllBytes(e.LedgerFile);
        var committed = 0;
        for (var lines = 0; lines < 4; committed++)
        {
            lines += bytes[committed] == (byte)'\n' ? 1 : 0;
        }

        File.WriteAllText(Path.Combine(e.Ledger, "ledger.batch"), $"{{\"start\":{committed},\"count\":3}}"); // lines 5 and 6 of a batch of 3
        var cp = e.Dir.File("cp.json");
        var x = e.Dir.File("x.jsonl");
        var r = e.Run("""
            (Get-AuditRecord).ChainPosition -join ','
            $s = Get-AuditStatus; $s.RecordCount; $s.UncommittedBytes -gt 0; $s.Status
            (Export-AuditCheckpoint $cp).Position
            Get-AuditRecord | Export-AuditLog -Path $x
            Repair-AuditLedger -Confirm:$false | Out-Null
            $v = Test-AuditChain -Checkpoint $cp; $v.Valid; $v.Anchored
            """, new() { ["cp"] = cp, ["x"] = x });
        r.ShouldSucceed();
        Assert.Equal(new[] { "0,1,2,3", "4", "True", "degraded", "3", "True", "True" }, r.Output.Select(o => o.ToString()));
        Assert.Equal(4, File.ReadAllLines(x).Length);
        Assert.Equal(committed, new FileInfo(e.LedgerFile).Length);
    }

    [Theory]
    [InlineData("\"payload\":", "\"approved_by\":\"CFO\",\"payload\":")]
    [InlineData("\"score\":2", "\"score\": 2")]
    [InlineData("\"score\":2", "\"score\":2E0")]
    public void TestAuditChain_FindsAnAddedMemberOrANonCanonicalReEncoding(string from, string to)
    {
        using var e = new Env();
        e.Run("1..3 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        var lines = File.ReadAllLines(e.LedgerFile);
        var edited = lines[1].Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(lines[1], edited);
        lines[1] = edited;
        File.WriteAllText(e.LedgerFile, string.Join('\n', lines) + "\n");
        var r = e.Run("$v = Test-AuditChain; $v.Valid; $v.FirstTampered.Position");
        Assert.Equal(new[] { "False", "1" }, r.Output.Select(o => o.ToString()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void AddAuditRecord_WithAWeakKey_IsAuditKeyInvalid(int fill)
    {
        using var e = new Env();
        var weak = Convert.ToBase64String(Enumerable.Repeat((byte)fill, 32).ToArray());
        var r = PowerShellHost.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -Ledger $ledger -Key (ConvertTo-SecureString $k -AsPlainText -Force)", new() { ["ledger"] = e.Ledger, ["k"] = weak });
        Assert.Equal("AuditKeyInvalid,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        Assert.Contains("every byte is the same", r.ErrorText, StringComparison.Ordinal);
        Assert.False(File.Exists(e.LedgerFile));
    }

    [Fact]
    public void ExportAuditLog_WithAKey_AuthenticatesTheIndex_AndWithoutOneWarns()
    {
        using var e = new Env();
        e.Run("1..3 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | Out-Null").ShouldSucceed();
        var keyed = e.Run("Export-AuditLog -Path $x -PassThru | Out-Null", new() { ["x"] = e.Dir.File("a.jsonl") });
        keyed.ShouldSucceed();
        Assert.Empty(keyed.Warnings);
        var keyless = e.Run("Export-AuditLog -Path $x", new() { ["x"] = e.Dir.File("b.jsonl") }, withKey: false);
        keyless.ShouldSucceed();
        Assert.Contains(keyless.Warnings, w => w.Message.Contains("unauthenticated", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllText(e.Dir.File("a.jsonl")), File.ReadAllText(e.Dir.File("b.jsonl")));
    }

    /// <summary>A format-1 ledger as EvalSig wrote it before keys were derived: the undivided key, no version member.</summary>
    internal static void WriteFormatOneLedger(string directory, byte[] key, int n)
    {
        Directory.CreateDirectory(directory);
        var keyId = Convert.ToHexString(SHA256.HashData(key)).ToLowerInvariant()[..16];
        var sb = new StringBuilder();
        string? prev = null;
        for (var i = 0; i < n; i++)
        {
            var body = $"{{\"chain_position\":{i},\"key_id\":\"{keyId}\",\"payload\":{{\"score\":{i}}},\"prev_hmac\":{(prev is null ? "null" : "\"" + prev + "\"")},\"project_id\":null,\"record_id\":\"0190f3a0-0000-7000-8000-00000000000{i}\",\"schema_key\":\"halluccheck.score.v1\",\"timestamp\":\"2025-06-01T00:00:0{i}.000000Z\"}}";
            var hmac = "hmac-sha256:" + Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
            sb.Append(body.Replace($"{{\"chain_position\":{i},", $"{{\"chain_position\":{i},\"hmac\":\"{hmac}\",", StringComparison.Ordinal)).Append('\n');
            prev = hmac;
        }

        File.WriteAllText(Path.Combine(directory, "ledger.jsonl"), sb.ToString());
    }
}

/// <summary>
/// Makes a directory read-only for this process: a read-only tmpfs bind where the machine allows
/// (root on Linux: StorageReadOnly), else mode 0555 (StorageAccessDenied for a normal user).
/// </summary>
internal sealed class ReadOnly : IDisposable
{
    private readonly string _path;
    private readonly bool _mounted;

    private ReadOnly(string path, bool mounted, string id) => (_path, _mounted, ExpectedId) = (path, mounted, id);

    public string ExpectedId { get; }

    public static ReadOnly Make(string path)
    {
        if (OperatingSystem.IsLinux() && Environment.UserName == "root" && Run("mount", "--bind", path, path) && Run("mount", "-o", "remount,bind,ro", path))
        {
            return new ReadOnly(path, true, "StorageReadOnly");
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return new ReadOnly(path, false, "StorageAccessDenied");
    }

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _path);
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static bool Run(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
