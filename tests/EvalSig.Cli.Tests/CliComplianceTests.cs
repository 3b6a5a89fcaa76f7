using System;
using System.IO;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

public class CliComplianceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-compliance-").FullName;

    private string Ledger => Path.Combine(_dir, "ledger");

    private string Key => Path.Combine(_dir, "audit.key");

    public CliComplianceTests()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        File.Copy(Cli.Example("baseline.json"), Path.Combine(_dir, "base.json"));
        File.Copy(Cli.Example("candidate.json"), Path.Combine(_dir, "cand.json"));
    }

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Scorecard_TextAndJson()
    {
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.85}").ExitCode);
        var text = Cli.Run("scorecard", "--ledger", Ledger);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Hallucination          85.0  green  flat  (1 records)", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("PII hygiene               -  no data", text.Stdout, StringComparison.Ordinal);
        var json = JsonDocument.Parse(Cli.Run("scorecard", "--ledger", Ledger, "--json").Stdout).RootElement;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("dimensions")[1].GetProperty("score").ValueKind);
        var bad = Cli.Run("scorecard", "--ledger", Ledger, "--from", "someday");
        Assert.Equal(64, bad.ExitCode);
        Assert.Contains("error AuditQueryInvalid", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_CreateVerify_AndTampering()
    {
        var envelope = Path.Combine(_dir, "audit.json");
        var gateJson = Path.Combine(_dir, "gate.json");
        Assert.Equal(0, Cli.Run("gate", Path.Combine(_dir, "base.json"), Path.Combine(_dir, "cand.json"), "--min-delta", "0.005", "--output", gateJson).ExitCode);
        var create = Cli.Run("envelope", "create", Path.Combine(_dir, "base.json"), Path.Combine(_dir, "cand.json"), "--report", gateJson, "--output", envelope, "--ledger", Ledger, "--key-path", Key, "--store", Path.Combine(_dir, "store"), "--project", "rc");
        Assert.Equal(0, create.ExitCode);
        Assert.StartsWith("ALLOW -> ", create.Stdout, StringComparison.Ordinal);
        var verify = Cli.Run("envelope", "verify", envelope, "--key-path", Key);
        Assert.Equal(0, verify.ExitCode);
        Assert.StartsWith("VALID", verify.Stdout, StringComparison.Ordinal);

        var again = Cli.Run("envelope", "create", Path.Combine(_dir, "base.json"), Path.Combine(_dir, "cand.json"), "--output", envelope, "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(64, again.ExitCode);
        Assert.Contains("error FileAlreadyExists", again.Stderr, StringComparison.Ordinal);

        File.AppendAllText(Path.Combine(_dir, "cand.json"), " ");
        var changed = Cli.Run("envelope", "verify", envelope, "--key-path", Key, "--json");
        Assert.Equal(1, changed.ExitCode);
        Assert.False(JsonDocument.Parse(changed.Stdout).RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains("candidate file", changed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_ReportThatDoesNotFollowFromTheFiles_IsRefused()
    {
        var gateJson = Path.Combine(_dir, "gate.json");
        Cli.Run("gate", Path.Combine(_dir, "base.json"), Path.Combine(_dir, "cand.json"), "--min-delta", "0.005", "--output", gateJson);
        var r = Cli.Run("envelope", "create", Path.Combine(_dir, "cand.json"), Path.Combine(_dir, "base.json"), "--report", gateJson, "--output", Path.Combine(_dir, "x.json"), "--ledger", Ledger, "--key-path", Key);
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("error EnvelopeInputMismatch", r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.json")));
    }
}
