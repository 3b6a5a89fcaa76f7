using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>Issue 16's details on the command line: date bounds, CLI parity, CLI-only syntax in errors, key variables, completion.</summary>
public class CliDetailsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-details-").FullName;

    private string Ledger => Path.Combine(_dir, "ledger");

    private string Key => Path.Combine(_dir, "audit.key");

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    private static readonly string[] Article30Flags = { "--controller-name", "Acme", "--controller-contact", "privacy@acme.example", "--purpose", "Release evaluation", "--data-subject-category", "Customers", "--personal-data-category", "Transcripts", "--recipient-category", "none" };

    [Fact]
    public void PlainDateUpperBound_IncludesTheWholeDay_InHistoryAuditScorecardAndArticle30()
    {
        var late = Path.Combine(_dir, "late.json");
        File.WriteAllText(late, File.ReadAllText(Cli.Reference("tiny", "baseline.json")).Replace("\"run_id\"", "\"timestamp\": \"2026-06-30T18:00:00Z\",\n \"run_id\"", StringComparison.Ordinal));
        var root = Path.Combine(_dir, "store");
        Assert.Equal(0, Cli.Run("store", "save", late, "--root", root, "--project", "p").ExitCode);
        Assert.Single(Lines(Cli.Run("history", "--root", root, "--project", "p", "--until", "2026-06-30")));
        Assert.Single(Lines(Cli.Run("history", "--root", root, "--project", "p", "--since", "2026-06-30", "--until", "2026-06-30")));
        Assert.Empty(Lines(Cli.Run("history", "--root", root, "--project", "p", "--until", "2026-06-29")));

        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "halluccheck.pii.v1", "--payload", "{\"detected\":false}").ExitCode);
        var stamp = DateTimeOffset.Parse(JsonDocument.Parse(Cli.Run("audit", "query", "--ledger", Ledger, "--json").Stdout).RootElement.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime;
        var day = stamp.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var before = stamp.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Single(Lines(Cli.Run("audit", "query", "--ledger", Ledger, "--from", day, "--to", day)));
        Assert.Empty(Lines(Cli.Run("audit", "query", "--ledger", Ledger, "--to", before)));
        var card = JsonDocument.Parse(Cli.Run("scorecard", "--ledger", Ledger, "--to", day, "--json").Stdout).RootElement;
        Assert.Contains(day + "T23:59:59.999999Z", card.ToString(), StringComparison.Ordinal);
        var a30 = Cli.Run(new[] { "article30", "--ledger", Ledger, "--key-path", Key, "--to", day }.Concat(Article30Flags).ToArray());
        Assert.Equal(0, a30.ExitCode);
        Assert.Equal(1, JsonDocument.Parse(a30.Stdout).RootElement.GetProperty("evidence").GetProperty("record_count").GetInt64());
    }

    [Fact]
    public void Cli_SignsRegistersAndListsSchemas_AndWritesArticle30_LikeTheCmdlets()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        var unknown = Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "acme.review.v1", "--payload", "{\"approver\":\"j\"}");
        Assert.Equal(64, unknown.ExitCode);
        Assert.Contains("--no-strict-schema", unknown.Stderr, StringComparison.Ordinal);
        Assert.Contains("evalsig audit schema register", unknown.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("-StrictSchema", unknown.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Register-AuditSchema", unknown.Stderr, StringComparison.Ordinal);

        var register = Cli.Run("audit", "schema", "register", "acme.review.v1", "approver:string", "--ledger", Ledger, "--description", "Reviews", "--json");
        Assert.Equal(0, register.ExitCode);
        Assert.Equal("acme.review.v1", JsonDocument.Parse(register.Stdout).RootElement.GetProperty("schema_key").GetString());
        var list = Lines(Cli.Run("audit", "schema", "list", "--ledger", Ledger));
        Assert.Contains(list, l => l.StartsWith("acme.review.v1 ", StringComparison.Ordinal) && l.Contains("custom", StringComparison.Ordinal));
        Assert.Contains(list, l => l.StartsWith("halluccheck.gate.v1 ", StringComparison.Ordinal) && l.Contains("verdict|decision|status:string", StringComparison.Ordinal));
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", Ledger, "--key-path", Key, "--schema-key", "acme.review.v1", "--payload", "{\"approver\":\"j\"}").ExitCode);

        var sign = Cli.Run("audit", "sign", "--key-path", Key, "--payload", "{\"b\":2,\"a\":1}");
        Assert.Equal(0, sign.ExitCode);
        var signed = JsonDocument.Parse(sign.Stdout).RootElement;
        Assert.Equal("{\"a\":1,\"b\":2}", signed.GetProperty("canonical_json").GetString());
        Assert.StartsWith("hmac-sha256:", signed.GetProperty("hmac").GetString(), StringComparison.Ordinal);

        var md = Path.Combine(_dir, "a30.md");
        var a30 = Cli.Run(new[] { "article30", "--ledger", Ledger, "--key-path", Key, "--markdown", "--append", "--output", md, "--third-country-transfer", "US=SCCs 2021/914" }.Concat(Article30Flags).ToArray());
        Assert.Equal(0, a30.ExitCode);
        Assert.StartsWith("# Record of Processing Activities (GDPR Article 30(1))", File.ReadAllText(md), StringComparison.Ordinal);
        Assert.Single(Lines(Cli.Run("audit", "query", "--ledger", Ledger, "--schema-key", "evalsig.article30.v1")));
        var incomplete = Cli.Run("article30", "--ledger", Ledger, "--key-path", Key, "--controller-name", "Acme");
        Assert.Equal(64, incomplete.ExitCode);
        Assert.Contains("--controller-contact", incomplete.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("-ControllerContact", incomplete.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyVariables_TextInEvalsigAuditKey_PathInEvalsigAuditKeyFile()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);
        var byFile = new Dictionary<string, string?> { ["EVALSIG_AUDIT_KEY"] = null, ["EVALSIG_AUDIT_KEY_FILE"] = Key };
        Assert.Equal(0, Cli.RunWith(byFile, "audit", "append", "--ledger", Ledger, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.9}").ExitCode);
        var byText = new Dictionary<string, string?> { ["EVALSIG_AUDIT_KEY"] = File.ReadAllText(Key).Trim(), ["EVALSIG_AUDIT_KEY_FILE"] = null };
        Assert.Equal(0, Cli.RunWith(byText, "audit", "verify", "--ledger", Ledger).ExitCode);
        var pathInText = Cli.RunWith(new Dictionary<string, string?> { ["EVALSIG_AUDIT_KEY"] = Key, ["EVALSIG_AUDIT_KEY_FILE"] = null }, "audit", "verify", "--ledger", Ledger);
        Assert.Equal(64, pathInText.ExitCode);
        Assert.Contains("EVALSIG_AUDIT_KEY_FILE", pathInText.Stderr, StringComparison.Ordinal);
        var none = Cli.RunWith(new Dictionary<string, string?> { ["EVALSIG_AUDIT_KEY"] = null, ["EVALSIG_AUDIT_KEY_FILE"] = null }, "audit", "verify", "--ledger", Ledger);
        Assert.Contains("--key-path", none.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("New-AuditKey", none.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Completion_BashAcceptsTheScript_AndItCompletesSubcommandsAndOptions()
    {
        var r = Cli.Bash("""
            script=$(dotnet "$EVALSIG_DLL" completion bash) || exit 3
            bash -n <(printf '%s\n' "$script") || exit 4
            eval "$script"
            COMP_WORDS=(evalsig au); COMP_CWORD=1; _evalsig; echo "1:${COMPREPLY[*]}"
            COMP_WORDS=(evalsig audit schema ""); COMP_CWORD=3; _evalsig; echo "2:${COMPREPLY[*]}"
            COMP_WORDS=(evalsig gate --min); COMP_CWORD=2; _evalsig; echo "3:${COMPREPLY[*]}"
            COMP_WORDS=(evalsig audit append --no); COMP_CWORD=3; _evalsig; echo "4:${COMPREPLY[*]}"
            """);
        Assert.Equal(0, r.ExitCode);
        var lines = Lines(r);
        Assert.Contains("1:audit", lines);
        Assert.Contains("2:list register", lines);
        Assert.Contains("3:--min-delta", lines);
        Assert.Contains("4:--no-strict-schema", lines);
        Assert.Contains("Register-ArgumentCompleter -Native -CommandName 'evalsig'", Cli.Run("completion", "pwsh").Stdout, StringComparison.Ordinal);
        Assert.Contains("bashcompinit", Cli.Run("completion", "zsh").Stdout, StringComparison.Ordinal);
        Assert.Equal(64, Cli.Run("completion", "fish").ExitCode);
    }

    [Fact]
    public void ACommandLineBuildsOnlyItsCommand_YetHelpTyposAndTheRootListEveryCommand()
    {
        // Start-up (issue 16): 'evalsig gate ...' builds the gate's tree alone. Its help is complete, and a
        // command line that names no known command still sees them all.
        var gateHelp = Cli.Run("gate", "--help");
        Assert.Equal(0, gateHelp.ExitCode);
        Assert.Contains("--min-delta", gateHelp.Stdout, StringComparison.Ordinal);
        Assert.Contains("--manifest", gateHelp.Stdout, StringComparison.Ordinal);

        var root = Cli.Run("--help");
        Assert.Equal(0, root.ExitCode);
        foreach (var command in new[] { "gate", "compare", "mde", "doctor", "watch", "version", "audit", "history", "store", "scorecard", "envelope", "article30", "completion" })
        {
            Assert.Contains("  " + command, root.Stdout, StringComparison.Ordinal);
        }

        var typo = Cli.Run("gaet", "a.json", "b.json");
        Assert.Equal(64, typo.ExitCode);
        Assert.Contains("gaet", typo.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("version").ExitCode);
        Assert.Equal(0, Cli.Run("gate", Cli.Example("baseline.json"), Cli.Example("baseline.json"), "--min-delta", "0", "--decision", "non-inferiority", "--margin", "0.01").ExitCode);
    }

    private static List<string> Lines(CliResult r)
        => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
}
