using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>Issues 15 and 17 at the command line: fail-closed verify, keys, rotation, migration, the authenticated index and its status line.</summary>
public class CliAuditTrustTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-trust-").FullName;

    private string Ledger => Path.Combine(_dir, "ledger");

    private string Key => Path.Combine(_dir, "audit.key");

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    private void Append(int n, params string[] extra)
    {
        var r = Cli.Run(new[] { "audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}" }.Concat(extra).ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        for (var i = 1; i < n; i++)
        {
            Assert.Equal(0, Cli.Run(new[] { "audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", $"{{\"score\":{i}}}" }.Concat(extra).ToArray()).ExitCode);
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("file")]
    [InlineData("jsonl-directory")]
    public void Verify_WithNothingToVerify_IsExit65AuditLedgerNotFound_NeverValid(string what)
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(1);
        var target = what switch
        {
            "missing" => Path.Combine(_dir, "typo"),
            "file" => Path.Combine(Ledger, "ledger.jsonl"),
            _ => Directory.CreateDirectory(Path.Combine(_dir, "odd", "ledger.jsonl")).Parent!.FullName,
        };
        var r = Cli.Run("audit", "verify", "--ledger", target, "--key-path", Key);
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("error AuditLedgerNotFound", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("VALID", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_AGappedExport_IsInvalid_UnlessRange()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(5);
        var full = Path.Combine(_dir, "full.jsonl");
        Assert.Equal(0, Cli.Run("audit", "export", "--ledger", Ledger, "--key-path", Key, "--output", full).ExitCode);
        var gapped = Path.Combine(_dir, "gapped.jsonl");
        File.WriteAllLines(gapped, File.ReadAllLines(full).Skip(2));
        var v = Cli.Run("audit", "verify", "--path", gapped, "--key-path", Key, "--json");
        Assert.Equal(1, v.ExitCode);
        Assert.Equal(new long[] { 0, 1 }, JsonDocument.Parse(v.Stdout).RootElement.GetProperty("gaps").EnumerateArray().Select(g => g.GetInt64()));
        Assert.Equal(0, Cli.Run("audit", "verify", "--path", gapped, "--key-path", Key, "--range").ExitCode);
        Assert.Equal(65, Cli.Run("audit", "verify", "--path", Path.Combine(_dir, "none.jsonl"), "--key-path", Key).ExitCode);
    }

    [Fact]
    public void AnExplicitKeyPath_ReplacesEvalsigAuditKey_InsteadOfJoiningIt()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(2);
        var other = Path.Combine(_dir, "other.key");
        Assert.Equal(0, Cli.Run("audit", "key", "--output", other).ExitCode);
        var env = new Dictionary<string, string?> { ["EVALSIG_AUDIT_KEY"] = File.ReadAllText(Key).Trim() };
        Assert.Equal(1, Cli.RunWith(env, "audit", "verify", "--ledger", Ledger, "--key-path", other).ExitCode);
        Assert.Equal(0, Cli.RunWith(env, "audit", "verify", "--ledger", Ledger).ExitCode);
    }

    [Fact]
    public void KeyRotate_LeavesTheOldKeyVerifyOnly_RecordsTheRotation_AndAppendsWithTheOldKeyAreCaught()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        var oldCopy = Path.Combine(_dir, "old.key");
        File.Copy(Key, oldCopy);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(oldCopy, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        Append(1);
        var rotate = Cli.Run("audit", "key", "rotate", "--key-path", Key, "--ledger", Ledger);
        Assert.True(rotate.ExitCode == 0, rotate.Stderr);
        Assert.Contains("rotation recorded at position 1", rotate.Stdout, StringComparison.Ordinal);
        Assert.Matches("key_id [0-9a-f]{16} active, [0-9a-f]{16} verify-only", rotate.Stdout);
        Assert.Equal(0, Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key).ExitCode);
        Append(1); // the new key signs
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", oldCopy, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":9}").ExitCode);
        var v = Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key, "--json");
        Assert.Equal(1, v.ExitCode);
        var first = JsonDocument.Parse(v.Stdout).RootElement.GetProperty("first_tampered");
        Assert.Equal(3, first.GetProperty("position").GetInt64());
        Assert.Contains("rotated out", first.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Query_WithoutAKey_WarnsTheIndexIsUnauthenticated_AndCatchUpPrintsAStatusLine()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(3);
        var keyed = Cli.Run("audit", "query", "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(0, keyed.ExitCode);
        Assert.Equal(3, keyed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("evalsig: Indexing ledger.jsonl:", keyed.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", keyed.Stderr, StringComparison.Ordinal);

        var keyless = Cli.Run("audit", "query", "--ledger", Ledger);
        Assert.Equal(0, keyless.ExitCode);
        Assert.Equal(3, keyless.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("evalsig: warning:", keyless.Stderr, StringComparison.Ordinal);
        Assert.Contains("unauthenticated", keyless.Stderr, StringComparison.Ordinal);

        var status = Cli.Run("audit", "status", "--ledger", Ledger, "--key-path", Key);
        Assert.Contains("IndexAuthenticated True", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendUpdateIndex_LeavesNothingToCatchUp()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(2, "--update-index");
        var q = Cli.Run("audit", "query", "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(0, q.ExitCode);
        Assert.Equal(2, q.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("Indexing", q.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_ReportsAnotherLedgersIndexAsDegraded_AndRebuildsIt()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Append(3);
        var other = Path.Combine(_dir, "other");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0, Cli.Run("audit", "append", "--ledger", other, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}").ExitCode);
        }

        Assert.Equal(0, Cli.Run("audit", "query", "--ledger", Ledger, "--key-path", Key).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "query", "--ledger", other, "--key-path", Key).ExitCode);
        foreach (var f in Directory.GetFiles(Ledger, "index.sqlite*"))
        {
            File.Delete(f);
        }

        foreach (var f in Directory.GetFiles(other, "index.sqlite*"))
        {
            File.Copy(f, Path.Combine(Ledger, Path.GetFileName(f)));
        }

        var s = Cli.Run("audit", "status", "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(0, s.ExitCode);
        Assert.Contains("Status         degraded", s.Stdout, StringComparison.Ordinal);
        Assert.Contains("Records        3", s.Stdout, StringComparison.Ordinal);
        Assert.Contains("did not match", s.Stdout, StringComparison.Ordinal);
        Assert.Contains("Status         ok", Cli.Run("audit", "status", "--ledger", Ledger, "--key-path", Key).Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"score\":1,\"score\":2}", "duplicate member")]
    [InlineData("{\"score\":1e999}", "outside the range")]
    [InlineData("{\"score\":1e-400}", "would become 0")]
    public void Append_APayloadJsonCannotCarryExactly_IsAuditPayloadInvalid_NotExit70(string payload, string reason)
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        var r = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", payload);
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("error AuditPayloadInvalid", r.Stderr, StringComparison.Ordinal);
        Assert.Contains(reason, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AKeyFileOthersCanRead_IsAuditKeyInsecure_ForAppend()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // POSIX mode bits
        }

        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        File.SetUnixFileMode(Key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var r = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("error AuditKeyInsecure", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Ledger, "ledger.jsonl")));
    }
    [Fact]
    public void Migrate_SealsAFormatOneLedger_ExplicitlyAndOnce_AndAppendsWaitForIt()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        WriteFormatOneLedger(Ledger, Convert.FromBase64String(File.ReadAllText(Key).Trim()), 3);
        var before = Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key, "--json");
        Assert.Equal(1, before.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(before.Stdout).RootElement.GetProperty("legacy_count").GetInt64());
        var refused = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}");
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains("error AuditLedgerMigrationRequired", refused.Stderr, StringComparison.Ordinal);

        var migrate = Cli.Run("audit", "migrate", "--ledger", Ledger, "--key-path", Key);
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.StartsWith("migrated: ", migrate.Stdout, StringComparison.Ordinal);
        Assert.StartsWith("unchanged: ", Cli.Run("audit", "migrate", "--ledger", Ledger, "--key-path", Key).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}").ExitCode);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(Ledger, "ledger.jsonl")).Length);
    }

    /// <summary>A format-1 ledger as EvalSig 0.1.0 wrote it: the undivided key, no version member.</summary>
    private static void WriteFormatOneLedger(string directory, byte[] key, int n)
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
