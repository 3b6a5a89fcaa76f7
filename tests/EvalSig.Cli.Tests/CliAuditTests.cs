using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

public class CliAuditTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-audit-").FullName;

    private string Ledger => Path.Combine(_dir, "ledger");

    private string Key => Path.Combine(_dir, "audit.key");

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Audit_KeyAppendQueryVerifyExportCheckpointStatus()
    {
        var key = Cli.Run("audit", "key", "--output", Key);
        Assert.Equal(0, key.ExitCode);
        Assert.Matches("^key_id [0-9a-f]{16} -> ", key.Stdout);
        Assert.DoesNotContain(File.ReadAllText(Key).Trim(), key.Stdout, StringComparison.Ordinal);
        Assert.Equal(64, Cli.Run("audit", "key", "--output", Key).ExitCode);

        var gateJson = Path.Combine(_dir, "gate.json");
        Assert.Equal(0, Cli.Run("gate", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--min-delta", "0.005", "--output", gateJson).ExitCode);
        var appendGate = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--payload-file", gateJson, "--project-id", "demo");
        Assert.Equal(0, appendGate.ExitCode);
        Assert.Contains("evalsig.gate.v1", appendGate.Stdout, StringComparison.Ordinal);
        var appendScore = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.93}", "--json");
        Assert.Equal(0, appendScore.ExitCode);
        Assert.Equal(1, JsonDocument.Parse(appendScore.Stdout).RootElement.GetProperty("chain_position").GetInt64());

        var query = Cli.Run("audit", "query", "--ledger", Ledger, "--schema-key", "evalsig.gate.v1");
        Assert.Equal(0, query.ExitCode);
        Assert.Single(query.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var verify = Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("VALID", verify.Stdout, StringComparison.Ordinal);

        var checkpoint = Path.Combine(_dir, "cp.json");
        Assert.Equal(0, Cli.Run("audit", "checkpoint", "--ledger", Ledger, "--key-path", Key, "--output", checkpoint).ExitCode);
        var export = Path.Combine(_dir, "audit.csv.gz");
        Assert.Equal(0, Cli.Run("audit", "export", "--ledger", Ledger, "--output", export, "--format", "csv", "--compress").ExitCode);
        var verifyExport = Cli.Run("audit", "verify", "--path", export, "--key-path", Key, "--json");
        Assert.Equal(0, verifyExport.ExitCode);
        Assert.True(JsonDocument.Parse(verifyExport.Stdout).RootElement.GetProperty("valid").GetBoolean());

        var status = Cli.Run("audit", "status", "--ledger", Ledger);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("Records        2", status.Stdout, StringComparison.Ordinal);

        // Tamper: verification fails with exit 1; roll back: the checkpoint catches it.
        var path = Path.Combine(Ledger, "ledger.jsonl");
        var lines = File.ReadAllLines(path);
        File.WriteAllLines(path, new[] { lines[0], lines[1].Replace("0.93", "0.99", StringComparison.Ordinal) });
        Assert.Equal(1, Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key).ExitCode);
        File.WriteAllLines(path, new[] { lines[0] });
        Assert.Equal(0, Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key).ExitCode);
        var anchored = Cli.Run("audit", "verify", "--ledger", Ledger, "--key-path", Key, "--checkpoint", checkpoint);
        Assert.Equal(1, anchored.ExitCode);
        Assert.Contains("does not contain position 1", anchored.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_TornLedger_IsAnError_UntilRepaired()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}").ExitCode);
        File.AppendAllText(Path.Combine(Ledger, "ledger.jsonl"), "{\"torn");
        var refused = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":2}");
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains("error AuditLedgerTorn", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("would quarantine 6 bytes", Cli.Run("audit", "repair", "--ledger", Ledger, "--dry-run").Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("audit", "repair", "--ledger", Ledger).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":2}").ExitCode);
    }

    [Theory]
    [InlineData(64, "AuditKeyMissing", "audit", "append", "--ledger", "{ledger}", "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}")]
    [InlineData(64, "AuditSchemaUnknown", "audit", "append", "--ledger", "{ledger}", "--key-path", "{key}", "--schema-key", "acme.nope.v1", "--payload", "{}")]
    [InlineData(64, "AuditPayloadInvalid", "audit", "append", "--ledger", "{ledger}", "--key-path", "{key}", "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":\"x\"}")]
    [InlineData(64, "AuditPayloadInvalid", "audit", "append", "--ledger", "{ledger}", "--key-path", "{key}", "--schema-key", "halluccheck.score.v1", "--payload", "not json")]
    [InlineData(64, "AuditQueryInvalid", "audit", "query", "--ledger", "{ledger}", "--from", "yesterday-ish")]
    [InlineData(64, "UsageError", "audit", "export", "--ledger", "{ledger}")]
    [InlineData(65, "AuditKeyMissing", "audit", "verify", "--ledger", "{ledger}", "--key-path", "/nonexistent.key")]
    public void Audit_Errors_HaveStableIdsAndExitCodes(int exit, string id, params string[] args)
    {
        if (id != "AuditKeyMissing" || args.Contains("--key-path"))
        {
            Cli.Run("audit", "key", "--output", Key);
        }

        var resolved = args.Select(a => a.Replace("{ledger}", Ledger, StringComparison.Ordinal).Replace("{key}", Key, StringComparison.Ordinal)).ToArray();
        var r = Cli.Run(resolved);
        Assert.Equal(exit, r.ExitCode);
        Assert.Contains("error " + id, r.Stderr, StringComparison.Ordinal);
    }
}
