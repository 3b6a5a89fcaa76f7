using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>
/// The built evalsig as a pipeline step runs it: with TF_BUILD=True (Azure Pipelines) and with
/// GITHUB_ACTIONS=true plus temporary GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, for ALLOW, REJECT
/// and INCONCLUSIVE - the exact logging commands, escaped messages, output variables, summary files
/// and exit codes - and the same command with neither variable set, which prints nothing extra.
/// </summary>
public sealed class CliPipelineTests : IDisposable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-ci-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (var provider in new[] { "azure", "github" })
        {
            data.Add(provider, "binary-unclustered", "0.02", 0);
            data.Add(provider, "binary-clustered", "0.02", 1);
            data.Add(provider, "tiny", "0.005", 2);
        }

        return data;
    }

    private static string[] GateArgs(string name, string minDelta, params string[] more)
        => new[] { "gate", Cli.Reference(name, "baseline.json"), Cli.Reference(name, "candidate.json"), "--method", "paired_t", "--min-delta", minDelta, "--one-sided" }.Concat(more).ToArray();

    private Dictionary<string, string?> Environment(string provider) => provider == "azure"
        ? new() { ["TF_BUILD"] = "True", ["AGENT_TEMPDIRECTORY"] = Path.Combine(_dir, "agent-temp") }
        : new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_OUTPUT"] = Path.Combine(_dir, "github_output"), ["GITHUB_STEP_SUMMARY"] = Path.Combine(_dir, "step_summary.md") };

    private static string Lines(IEnumerable<string> lines) => string.Join("\n", lines);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gate_InAPipeline_WritesExactlyTheProvidersCommands(string provider, string name, string minDelta, int exit)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "agent-temp"));
        var env = Environment(provider);
        var json = Path.Combine(_dir, "gate.json");
        var junit = Path.Combine(_dir, "gate.xml");
        var run = Cli.RunWith(env, GateArgs(name, minDelta, "--output", json, "--junit", junit));
        Assert.Equal(exit, run.ExitCode);
        Assert.Empty(run.Stderr);

        // Nothing extra without a provider: the same command prints the text report alone.
        var plain = Cli.Run(GateArgs(name, minDelta));
        Assert.Equal(exit, plain.ExitCode);
        Assert.Empty(plain.Stderr);
        Assert.DoesNotContain("##vso[", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("::", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("EvalSig gate:", plain.Stdout, StringComparison.Ordinal);
        Assert.StartsWith(plain.Stdout, run.Stdout, StringComparison.Ordinal);
        var ciLines = run.Stdout[plain.Stdout.Length..].TrimEnd('\n').Split('\n');

        var report = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var expected = ExpectedGateLines(provider, report, Directory.GetFiles(Path.Combine(_dir, "agent-temp"), "*.md", SearchOption.AllDirectories));
        Assert.Equal(Lines(expected), Lines(ciLines));

        var markdown = Cli.Run(GateArgs(name, minDelta, "--markdown"));
        if (provider == "azure")
        {
            var summary = Directory.GetFiles(Path.Combine(_dir, "agent-temp"), "*.md", SearchOption.AllDirectories).Single();
            Assert.Equal("EvalSig gate.md", Path.GetFileName(summary));
            Assert.Equal(WithoutTimestamp(markdown.Stdout), WithoutTimestamp(File.ReadAllText(summary)));
        }
        else
        {
            var c = report.GetProperty("comparison");
            Assert.Equal(
                $"verdict={report.GetProperty("verdict").GetString()}\nreason={report.GetProperty("reason").GetString()}\nexit_code={exit}\ndelta={R(c.GetProperty("delta"))}\nci_lower={R(c.GetProperty("ci")[0])}\nci_upper=Infinity\np_value={R(c.GetProperty("p_value"))}\nmde={R(c.GetProperty("mde"))}\nmethod=paired_t\n",
                File.ReadAllText(env["GITHUB_OUTPUT"]!));
            Assert.Equal(WithoutTimestamp(markdown.Stdout) + "\n", WithoutTimestamp(File.ReadAllText(env["GITHUB_STEP_SUMMARY"]!)));
        }

        AssertValidJUnit(File.ReadAllText(junit));
        var testCase = XDocument.Parse(File.ReadAllText(junit)).Descendants("testcase").Single();
        Assert.Equal(exit == 0 ? 0 : 1, testCase.Elements("failure").Count());

        // The scipy reference numbers reach the log: p in the verdict line, delta in the variable.
        var expectedP = JsonDocument.Parse(File.ReadAllText(Cli.Reference(name, "expected.json"))).RootElement.GetProperty("paired_t").GetProperty("p_one_sided").GetDouble();
        Assert.Contains($", p {expectedP.ToString("G4", Inv)} (one-sided)", ciLines[0], StringComparison.Ordinal);
    }

    /// <summary>The lines the CLI must print after its text report, built from its JSON report with the providers' documented escaping.</summary>
    private static List<string> ExpectedGateLines(string provider, JsonElement r, string[] azureSummaries)
    {
        var verdict = r.GetProperty("verdict").GetString()!;
        var reason = Pascal(r.GetProperty("reason").GetString()!);
        var c = r.GetProperty("comparison");
        var ci = c.GetProperty("ci");
        var upper = ci[1].ValueKind == JsonValueKind.Null ? "+inf)" : Bound(ci[1].GetDouble()) + "]";
        var lines = new List<string>
        {
            $"EvalSig gate: {verdict} ({reason}) delta {Signed(c.GetProperty("delta").GetDouble())}, {(c.GetProperty("ci_level").GetDouble() * 100).ToString("0.##", Inv)}% CI [{Bound(ci[0].GetDouble())}, {upper}, p {c.GetProperty("p_value").GetDouble().ToString("G4", Inv)} (one-sided), MDE {c.GetProperty("mde").GetDouble().ToString("G4", Inv)}, method paired_t, exit code {r.GetProperty("step_exit_code").GetInt32()}",
        };
        var suggestion = r.GetProperty("suggestion").ValueKind == JsonValueKind.String ? "\n" + r.GetProperty("suggestion").GetString() : string.Empty;
        var message = $"EvalSig gate {verdict} ({reason}): {r.GetProperty("explanation").GetString()}{suggestion}";
        var issue = verdict switch { "REJECT" => "error", "INCONCLUSIVE" => "warning", _ => null };
        if (provider == "azure")
        {
            if (issue is not null)
            {
                lines.Add($"##vso[task.logissue type={issue}]" + message.Replace("%", "%AZP25").Replace("\r", "%0D").Replace("\n", "%0A"));
            }

            foreach (var (k, v) in new[]
            {
                ("verdict", verdict), ("reason", r.GetProperty("reason").GetString()!), ("exit_code", r.GetProperty("step_exit_code").GetInt32().ToString(Inv)),
                ("delta", R(c.GetProperty("delta"))), ("ci_lower", R(ci[0])), ("ci_upper", "Infinity"), ("p_value", R(c.GetProperty("p_value"))), ("mde", R(c.GetProperty("mde"))), ("method", "paired_t"),
            })
            {
                lines.Add($"##vso[task.setvariable variable={k};isOutput=true]{v}");
            }

            lines.Add("##vso[task.uploadsummary]" + azureSummaries.Single());
            if (verdict == "INCONCLUSIVE")
            {
                lines.Add("##vso[task.complete result=Failed]EvalSig: INCONCLUSIVE treated as Failed");
            }
        }
        else if (issue is not null)
        {
            lines.Add($"::{issue} title=EvalSig gate {verdict}::" + message.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A"));
        }

        return lines;
    }

    [Fact]
    public void Gate_Inconclusive_AsSucceededWithIssues_CompletesTheTaskAndExitsZero()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "agent-temp"));
        var run = Cli.RunWith(Environment("azure"), GateArgs("tiny", "0.005", "--inconclusive-as", "succeeded-with-issues"));
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal("##vso[task.complete result=SucceededWithIssues]EvalSig: INCONCLUSIVE treated as SucceededWithIssues", lines[^1]);
        Assert.Contains("##vso[task.setvariable variable=verdict;isOutput=true]INCONCLUSIVE", lines);
        Assert.Contains("##vso[task.setvariable variable=exit_code;isOutput=true]0", lines);
        Assert.Contains(lines, l => l.StartsWith("##vso[task.logissue type=warning]EvalSig gate INCONCLUSIVE (Underpowered): ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("EvalSig gate: INCONCLUSIVE (Underpowered) ", StringComparison.Ordinal) && l.EndsWith("exit code 0 (INCONCLUSIVE treated as SucceededWithIssues)", StringComparison.Ordinal));

        // Outside a pipeline the exit code follows --inconclusive-as too, and nothing else is printed.
        var plain = Cli.Run(GateArgs("tiny", "0.005", "--inconclusive-as", "succeeded"));
        Assert.Equal(0, plain.ExitCode);
        Assert.DoesNotContain("##vso[", plain.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Cli.Run(GateArgs("tiny", "0.005")).ExitCode);
    }

    [Fact]
    public void Gate_JsonOnStdout_KeepsStdoutClean_UnlessTheProviderIsAskedFor()
    {
        var detected = Cli.RunWith(new Dictionary<string, string?> { ["TF_BUILD"] = "True" }, GateArgs("binary-clustered", "0.02", "--json"));
        Assert.Equal(1, detected.ExitCode);
        Assert.Equal("REJECT", JsonDocument.Parse(detected.Stdout).RootElement.GetProperty("verdict").GetString());
        Assert.Contains("no pipeline output is written", detected.Stderr, StringComparison.Ordinal);

        var asked = Cli.Run(GateArgs("binary-clustered", "0.02", "--json", "--ci", "azure-devops"));
        Assert.Equal(64, asked.ExitCode);
        Assert.StartsWith("evalsig: error UsageError: --ci azure-devops writes logging commands to stdout", asked.Stderr, StringComparison.Ordinal);
        Assert.Equal(64, Cli.Run(GateArgs("binary-clustered", "0.02", "--ci", "jenkins")).ExitCode);
        Assert.Equal(64, Cli.Run(GateArgs("binary-clustered", "0.02", "--inconclusive-as", "maybe")).ExitCode);
    }

    [Fact]
    public void Gate_AskedForAProviderOutsideAPipeline_WritesItsCommands()
    {
        var run = Cli.Run(GateArgs("binary-clustered", "0.02", "--ci", "github-actions"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("\n::error title=EvalSig gate REJECT::EvalSig gate REJECT (", run.Stdout, StringComparison.Ordinal);
        var none = Cli.RunWith(new Dictionary<string, string?> { ["TF_BUILD"] = "True" }, GateArgs("binary-clustered", "0.02", "--ci", "none"));
        Assert.Equal(Cli.Run(GateArgs("binary-clustered", "0.02")).Stdout, none.Stdout);
    }

    [Fact]
    public void Gate_LongWork_PrintsPlainStatusLinesUnderAProvider()
    {
        var env = Environment("github");
        env["EVALSIG_CI_STATUS_SECONDS"] = "0";
        var args = new[] { "gate", Cli.Reference("continuous-clustered", "baseline.json"), Cli.Reference("continuous-clustered", "candidate.json"), "--method", "paired_bootstrap", "--resamples", "20000" };
        var run = Cli.RunWith(env, args);
        Assert.Equal(0, run.ExitCode);
        var status = run.Stdout.Split('\n').Where(l => l.StartsWith("EvalSig: evalsig gate continuous-clustered-cand: ", StringComparison.Ordinal)).ToList();
        Assert.True(status.Count >= 2, run.Stdout);
        Assert.All(status.SkipLast(1), l => Assert.Matches(@": \d{1,2}% \(\d+ s\)$", l));
        Assert.Matches(@": done \(\d+ s\)$", status[^1]);
        Assert.DoesNotContain("EvalSig: evalsig gate", Cli.Run(args).Stdout, StringComparison.Ordinal);
    }

    private string Manifest(string decision, string? correction, params (string Task, string MinDelta)[] tasks)
    {
        var path = Path.Combine(_dir, "gates.json");
        var items = string.Join(",\n", tasks.Select(t => $$"""    { "name": "{{t.Task}}", "baseline": "{{Cli.Reference(t.Task, "baseline.json").Replace("\\", "\\\\")}}", "candidate": "{{Cli.Reference(t.Task, "candidate.json").Replace("\\", "\\\\")}}", "min_delta": {{t.MinDelta}} }"""));
        File.WriteAllText(path, $$"""
            { "release_decision": "{{decision}}", {{(correction is null ? string.Empty : $"\"correction\": \"{correction}\",")}}
              "defaults": { "method": "paired_t" },
              "tasks": [
            {{items}}
              ] }
            """);
        return path;
    }

    [Fact]
    public void Manifest_AllMustPass_RejectsWhenAnyTaskRejects_WithTaskAndReleaseCommands()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "agent-temp"));
        var manifest = Manifest("all_must_pass", null, ("binary-unclustered", "0.02"), ("binary-clustered", "0.02"), ("continuous-clustered", "0.005"));
        var output = Path.Combine(_dir, "release.json");
        var junit = Path.Combine(_dir, "release.xml");
        var run = Cli.RunWith(Environment("azure"), "gate", "--manifest", manifest, "--output", output, "--junit", junit);
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Stderr);
        var report = JsonDocument.Parse(File.ReadAllText(output)).RootElement;
        Assert.Equal("REJECT", report.GetProperty("verdict").GetString());
        Assert.Equal(new[] { "ALLOW", "REJECT", "ALLOW" }, report.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("verdict").GetString()));
        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        Assert.Contains(lines, l => l.StartsWith("EvalSig gate binary-clustered: REJECT (BelowMinDelta) delta ", StringComparison.Ordinal));
        Assert.Contains("EvalSig release: REJECT (AllMustPass, 3 tasks: 2 ALLOW, 1 REJECT, 0 INCONCLUSIVE), exit code 1", lines);
        var issue = lines.Single(l => l.StartsWith("##vso[task.logissue", StringComparison.Ordinal));
        Assert.StartsWith("##vso[task.logissue type=error]EvalSig release REJECT (AllMustPass): AllMustPass: 1 of 3 tasks REJECT - binary-clustered REJECT (BelowMinDelta).%0Abinary-clustered REJECT (BelowMinDelta): ", issue, StringComparison.Ordinal);
        Assert.Contains("##vso[task.setvariable variable=verdict;isOutput=true]REJECT", lines);
        Assert.Contains("##vso[task.setvariable variable=binary_clustered_verdict;isOutput=true]REJECT", lines);
        Assert.Contains("##vso[task.setvariable variable=binary_unclustered_verdict;isOutput=true]ALLOW", lines);
        Assert.Contains("##vso[task.setvariable variable=decision;isOutput=true]all_must_pass", lines);
        Assert.EndsWith("/EvalSig release gate.md", lines.Single(l => l.StartsWith("##vso[task.uploadsummary]", StringComparison.Ordinal)), StringComparison.Ordinal);
        AssertValidJUnit(File.ReadAllText(junit));
        var cases = XDocument.Parse(File.ReadAllText(junit)).Descendants("testcase").ToList();
        Assert.Equal(new[] { "binary-unclustered", "binary-clustered", "continuous-clustered", "release (AllMustPass)" }, cases.Select(c => c.Attribute("name")!.Value));
        Assert.Equal(new[] { false, true, false, true }, cases.Select(c => c.Element("failure") is not null));
    }

    [Theory]
    [InlineData("holm")]
    [InlineData("BH")]
    [InlineData("bonferroni")]
    public void Manifest_AnyImproves_AdjustedPValues_MatchRsPAdjust(string method)
    {
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Cli.RepoRoot, "tests", "data", "multitest", "p_adjust.json"))).RootElement.GetProperty("reference_tasks");
        var names = reference.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToArray();
        var expected = reference.GetProperty(method).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var manifest = Manifest("any_improves", null, names.Select(n => (n, "0")).ToArray());
        var correction = method switch { "holm" => "holm", "BH" => "benjamini-hochberg", _ => "bonferroni" };
        var run = Cli.Run("gate", "--manifest", manifest, "--correction", correction, "--json");
        Assert.Equal(0, run.ExitCode);
        var tasks = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("tasks").EnumerateArray().ToList();
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(names[i], tasks[i].GetProperty("task").GetString());
            var adjusted = tasks[i].GetProperty("adjusted_p_value").GetDouble();
            Assert.True(Math.Abs(adjusted - expected[i]) <= 1e-9 * expected[i], $"{names[i]}: {adjusted:R} vs R {expected[i]:R}");
        }
    }

    [Theory]
    [InlineData(64, "gate", "--manifest", "{m}", "{b}", "{c}")]
    [InlineData(64, "gate", "{b}")]
    [InlineData(64, "gate", "{b}", "{c}", "--release-decision", "any-improves")]
    [InlineData(64, "gate", "--manifest", "{m}", "--release-decision", "all-must-pass", "--correction", "holm")]
    [InlineData(64, "gate", "--manifest", "{m}", "--release-decision", "sometimes")]
    [InlineData(65, "gate", "--manifest", "{missing}")]
    public void Manifest_Misuse_ExitsWithUsageOrDataError(int exit, params string[] args)
    {
        var manifest = Manifest("all_must_pass", null, ("tiny", "0"));
        var resolved = args.Select(a => a.Replace("{m}", manifest).Replace("{b}", Cli.Reference("tiny", "baseline.json")).Replace("{c}", Cli.Reference("tiny", "candidate.json")).Replace("{missing}", Path.Combine(_dir, "none.json"))).ToArray();
        var run = Cli.Run(resolved);
        Assert.Equal(exit, run.ExitCode);
        Assert.StartsWith("evalsig: error ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_JUnitAndPipelineOutput()
    {
        var key = Path.Combine(_dir, "audit.key");
        var ledger = Path.Combine(_dir, "ledger");
        Assert.Equal(0, Cli.Run("audit", "key", "--output", key).ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", ledger, "--key-path", key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.5}").ExitCode);
        Assert.Equal(0, Cli.Run("audit", "append", "--ledger", ledger, "--key-path", key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.93}").ExitCode);
        var junit = Path.Combine(_dir, "audit.xml");
        var env = new Dictionary<string, string?> { ["TF_BUILD"] = "True" };
        var valid = Cli.RunWith(env, "audit", "verify", "--ledger", ledger, "--key-path", key, "--junit", junit);
        Assert.Equal(0, valid.ExitCode);
        Assert.Equal($"EvalSig audit chain: VALID - verified 2, tampered 0, gaps 0, duplicates 0, anchored no ({ledger})", valid.Stdout.TrimEnd('\n').Split('\n')[^1]);
        AssertValidJUnit(File.ReadAllText(junit));
        Assert.Empty(XDocument.Parse(File.ReadAllText(junit)).Descendants("testcase").Single().Elements());

        var path = Path.Combine(ledger, "ledger.jsonl");
        var lines = File.ReadAllLines(path);
        File.WriteAllLines(path, new[] { lines[0], lines[1].Replace("0.93", "0.99", StringComparison.Ordinal) });
        var invalid = Cli.RunWith(env, "audit", "verify", "--ledger", ledger, "--key-path", key, "--junit", junit);
        Assert.Equal(1, invalid.ExitCode);
        var last = invalid.Stdout.TrimEnd('\n').Split('\n')[^1];
        Assert.StartsWith($"##vso[task.logissue type=error]EvalSig audit chain INVALID ({ledger}): ", last, StringComparison.Ordinal);
        AssertValidJUnit(File.ReadAllText(junit));
        Assert.NotNull(XDocument.Parse(File.ReadAllText(junit)).Descendants("failure").Single());

        var plain = Cli.Run("audit", "verify", "--ledger", ledger, "--key-path", key);
        Assert.Equal(1, plain.ExitCode);
        Assert.DoesNotContain("##vso[", plain.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("EvalSig audit chain", plain.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Validates against both committed JUnit schemas (tests/data/junit); warnings are not errors.</summary>
    internal static void AssertValidJUnit(string xml)
    {
        foreach (var xsd in new[] { "windyroad-JUnit.xsd", "jenkins-junit-10.xsd" })
        {
            var set = new XmlSchemaSet();
            set.Add(null, Path.Combine(Cli.RepoRoot, "tests", "data", "junit", xsd));
            var errors = new List<string>();
            var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = set };
            settings.ValidationEventHandler += (_, e) =>
            {
                if (e.Severity == XmlSeverityType.Error)
                {
                    errors.Add(e.Message);
                }
            };
            using (var reader = XmlReader.Create(new StringReader(xml), settings))
            {
                while (reader.Read())
                {
                }
            }

            Assert.True(errors.Count == 0, xsd + ": " + string.Join("; ", errors));
        }
    }

    /// <summary>A confidence bound as EvalSig writes every interval: signed, six decimals (Core's IntervalText).</summary>
    private static string Bound(double v) => v.ToString("+0.000000;-0.000000;0.000000", Inv);

    private static string WithoutTimestamp(string markdown)
        => string.Join("\n", markdown.Split('\n').Where(l => !l.StartsWith("<sub>EvalSig ", StringComparison.Ordinal)));

    private static string R(JsonElement e) => e.GetDouble().ToString("R", Inv);

    private static string Signed(double v) => v.ToString("+0.######;-0.######;0", Inv);

    private static string Pascal(string snake) => string.Concat(snake.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
