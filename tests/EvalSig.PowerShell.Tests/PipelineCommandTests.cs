using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>The cmdlets' pipeline output, JUnit export and multi-task release gates, in the hosted engine.</summary>
public class PipelineCommandTests
{
    private static string Ref(string name, string file) => Path.Combine(Paths.Reference(name), file);

    private static Dictionary<string, object?> Runs(string name, double minDelta) => new()
    {
        ["b"] = Ref(name, "baseline.json"),
        ["c"] = Ref(name, "candidate.json"),
        ["d"] = minDelta,
    };

    private static string AzData(string s) => s.Replace("%", "%AZP25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("binary-unclustered", 0.02, "ALLOW")]
    [InlineData("binary-clustered", 0.02, "REJECT")]
    [InlineData("tiny", 0.005, "INCONCLUSIVE")]
    public void InvokeEvalGate_CiProviderAzureDevOps_WritesTheLinesToTheHost_AndTheReportToTheOutput(string name, double minDelta, string verdict)
    {
        using var temp = new TempDirectory();
        var r = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $c -Method PairedT -MinDelta $d -CiProvider AzureDevOps", Runs(name, minDelta));
        r.ShouldSucceed();
        dynamic report = r.One();
        Assert.Equal(verdict, report.Verdict.ToString());
        var lines = r.HostLines;
        var summary = lines.Single(l => l.StartsWith("##vso[task.uploadsummary]", StringComparison.Ordinal))["##vso[task.uploadsummary]".Length..];
        try
        {
            var c = report.Comparison;
            var expected = new List<string> { PowerShellHost.Run("[EvalSig.Core.Pipelines.CiReporter]::VerdictLine($r)", new() { ["r"] = r.Output[0] }).One().ToString() };
            Assert.StartsWith($"EvalSig gate: {verdict} ({report.Reason}) delta ", expected[0], StringComparison.Ordinal);
            if (verdict != "ALLOW")
            {
                var suggestion = report.Suggestion is null ? string.Empty : "\n" + (string)report.Suggestion;
                expected.Add($"##vso[task.logissue type={(verdict == "REJECT" ? "error" : "warning")}]" + AzData($"EvalSig gate {verdict} ({report.Reason}): {report.Explanation}{suggestion}"));
            }

            var reasonJson = JsonDocument.Parse(PowerShellHost.Run("$r | Export-EvalReport Json", new() { ["r"] = r.Output[0] }).One().ToString()).RootElement.GetProperty("reason").GetString();
            foreach (var (k, v) in new[]
            {
                ("verdict", verdict), ("reason", reasonJson!), ("exit_code", ((int)report.StepExitCode).ToString(CultureInfo.InvariantCulture)), ("delta", R(c.Delta)), ("ci_lower", R(c.CiLower)),
                ("ci_upper", "Infinity"), ("p_value", R(c.PValue)), ("mde", R(c.Mde)), ("method", "paired_t"),
            })
            {
                expected.Add($"##vso[task.setvariable variable={k};isOutput=true]{v}");
            }

            expected.Add("##vso[task.uploadsummary]" + summary);
            if (verdict == "INCONCLUSIVE")
            {
                expected.Add("##vso[task.complete result=Failed]EvalSig: INCONCLUSIVE treated as Failed");
            }

            Assert.Equal(expected, lines);
            Assert.Equal("EvalSig gate.md", Path.GetFileName(summary));
            Assert.StartsWith($"## EvalSig gate: **{verdict}**", File.ReadAllText(summary), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(summary)!, true);
        }
    }

    [Fact]
    public void InvokeEvalGate_OutsideAPipeline_WritesNothingToTheHost()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $c -MinDelta $d", Runs("binary-clustered", 0.02));
        r.ShouldSucceed();
        Assert.Empty(r.Information);
        Assert.Single(r.Output);
    }

    [Fact]
    public void InvokeEvalGate_InconclusiveAsSucceededWithIssues_StepExitCodeZero_AndCompletesTheTask()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $c -MinDelta $d -InconclusiveAs SucceededWithIssues -CiProvider AzureDevOps", Runs("tiny", 0.005));
        r.ShouldSucceed();
        dynamic report = r.One();
        Assert.Equal("INCONCLUSIVE", report.Verdict.ToString());
        Assert.Equal(2, (int)report.ExitCode);
        Assert.Equal(0, (int)report.StepExitCode);
        Assert.Equal("##vso[task.complete result=SucceededWithIssues]EvalSig: INCONCLUSIVE treated as SucceededWithIssues", r.HostLines[^1]);
        Directory.Delete(Path.GetDirectoryName(r.HostLines.Single(l => l.StartsWith("##vso[task.uploadsummary]", StringComparison.Ordinal))["##vso[task.uploadsummary]".Length..])!, true);
    }

    [Fact]
    public void InvokeEvalGate_CiProviderGitHubActions_WithoutItsFiles_StillAnnotates()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $c -MinDelta $d -CiProvider GitHubActions", Runs("binary-clustered", 0.02));
        r.ShouldSucceed();
        Assert.Equal(2, r.HostLines.Count);
        Assert.StartsWith("::error title=EvalSig gate REJECT::EvalSig gate REJECT (BelowMinDelta): ", r.HostLines[1], StringComparison.Ordinal);
    }

    private static JsonElement PAdjust() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Paths.RepoRoot, "tests", "data", "multitest", "p_adjust.json"))).RootElement.GetProperty("reference_tasks");

    [Theory]
    [InlineData("Holm", "holm")]
    [InlineData("BenjaminiHochberg", "BH")]
    [InlineData("Bonferroni", "bonferroni")]
    public void InvokeEvalGate_Pair_AnyImproves_AdjustedPValues_MatchRsPAdjust(string correction, string rMethod)
    {
        var names = PAdjust().GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToArray();
        var expected = PAdjust().GetProperty(rMethod).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var r = PowerShellHost.Run(
            "$pairs = foreach ($n in $names) { @{ Name = $n; Baseline = Join-Path $root \"$n/baseline.json\"; Candidate = Join-Path $root \"$n/candidate.json\"; Method = 'PairedT' } }\n" +
            "Invoke-EvalGate -Pair $pairs -ReleaseDecision AnyImproves -Correction $corr",
            new() { ["names"] = names, ["root"] = Path.Combine(Paths.RepoRoot, "tests", "data", "reference"), ["corr"] = correction });
        r.ShouldSucceed();
        Assert.Equal("EvalSig.Core.Release.ReleaseReport", r.One().BaseObject.GetType().FullName);
        dynamic release = r.One();
        Assert.Equal(correction, release.Correction.ToString());
        for (var i = 0; i < names.Length; i++)
        {
            dynamic task = release.Tasks[i];
            Assert.Equal(names[i], (string)task.Task);
            Assert.True(Math.Abs((double)task.AdjustedPValue - expected[i]) <= 1e-9 * expected[i], $"{names[i]}: {(double)task.AdjustedPValue} vs {expected[i]}");
        }
    }

    [Fact]
    public void InvokeEvalGate_PipedPairs_AllMustPass_RejectsWhenAnyTaskRejects()
    {
        var r = PowerShellHost.Run(
            "$pairs = @(\n" +
            "  [pscustomobject]@{ Name = 'mmlu'; Baseline = (Import-RunFrame (Join-Path $root 'binary-unclustered/baseline.json')); Candidate = (Join-Path $root 'binary-unclustered/candidate.json'); MinDelta = 0.02 }\n" +
            "  [pscustomobject]@{ Name = 'gsm8k'; Baseline = (Join-Path $root 'binary-clustered/baseline.json'); Candidate = (Join-Path $root 'binary-clustered/candidate.json'); MinDelta = '0.02' })\n" +
            "$pairs | Invoke-EvalGate -ReleaseDecision AllMustPass",
            new() { ["root"] = Path.Combine(Paths.RepoRoot, "tests", "data", "reference") });
        r.ShouldSucceed();
        dynamic release = r.One();
        Assert.Equal("REJECT", release.Verdict.ToString());
        Assert.Equal(1, (int)release.ExitCode);
        Assert.Equal("ALLOW", release.Tasks[0].Verdict.ToString());
        Assert.Equal("REJECT", release.Tasks[1].Verdict.ToString());
        Assert.Equal("None", release.Correction.ToString());
        Assert.Equal((double)release.Tasks[1].Comparison.PValue, (double)release.Tasks[1].AdjustedPValue);
    }

    [Theory]
    [InlineData("gates.json", "{ \"release_decision\": \"all_must_pass\", \"tasks\": [ { \"name\": \"a\", \"baseline\": \"REF/binary-unclustered/baseline.json\", \"candidate\": \"REF/binary-unclustered/candidate.json\" }, { \"name\": \"b\", \"baseline\": \"REF/tiny/baseline.json\", \"candidate\": \"REF/tiny/candidate.json\", \"min_delta\": 0.005 } ] }")]
    [InlineData("gates.yml", "release_decision: all_must_pass\ntasks:\n  - name: a\n    baseline: REF/binary-unclustered/baseline.json\n    candidate: REF/binary-unclustered/candidate.json\n  - name: b\n    baseline: REF/tiny/baseline.json\n    candidate: REF/tiny/candidate.json\n    min_delta: 0.005\n")]
    public void InvokeEvalGate_Manifest_GivesOneReportPerTaskAndTheReleaseVerdict(string file, string text)
    {
        using var temp = new TempDirectory();
        var manifest = temp.Write(file, text.Replace("REF", Path.Combine(Paths.RepoRoot, "tests", "data", "reference").Replace('\\', '/')));
        var r = PowerShellHost.Run("Invoke-EvalGate -Manifest $m -InconclusiveAs SucceededWithIssues", new() { ["m"] = manifest });
        r.ShouldSucceed();
        dynamic release = r.One();
        Assert.Equal("INCONCLUSIVE", release.Verdict.ToString());
        Assert.Equal(0, (int)release.StepExitCode);
        Assert.Equal(2, (int)release.Tasks.Length);
        Assert.Equal("SucceededWithIssues", release.Tasks[1].Options.InconclusiveAs.ToString());
    }

    [Theory]
    [InlineData("Invoke-EvalGate -Manifest $missing", "ManifestNotFound,EvalSig.Commands.InvokeEvalGateCommand")]
    [InlineData("Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = $b }", "ManifestInvalid,EvalSig.Commands.InvokeEvalGateCommand")]
    [InlineData("Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = $b; Candidate = $c; Alpah = 0.1 }", "ManifestInvalid,EvalSig.Commands.InvokeEvalGateCommand")]
    [InlineData("Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = $b; Candidate = $c } -Correction Holm", "InvalidCorrection,EvalSig.Commands.InvokeEvalGateCommand")]
    [InlineData("Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = $b; Candidate = 'nope.json' }", "RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand")]
    public void InvokeEvalGate_BadTasks_StopTheScriptWithTheirIds(string script, string id)
    {
        var vars = Runs("tiny", 0);
        vars["missing"] = "/nonexistent/gates.json";
        var r = PowerShellHost.Run(script + "\n'after the gate'", vars);
        Assert.Equal(new[] { id }, r.ErrorIds);
        Assert.DoesNotContain(r.Output, o => o.ToString() == "after the gate");
    }

    internal static void AssertValidJUnit(string xml)
    {
        foreach (var xsd in new[] { "windyroad-JUnit.xsd", "jenkins-junit-10.xsd" })
        {
            var set = new XmlSchemaSet();
            set.Add(null, Path.Combine(Paths.RepoRoot, "tests", "data", "junit", xsd));
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

    [Fact]
    public void ExportEvalReport_JUnit_OneFileForEveryPipedGate_ValidAgainstBothSchemas()
    {
        using var temp = new TempDirectory();
        var r = PowerShellHost.Run(
            "$a = Invoke-EvalGate (Join-Path $root 'binary-unclustered/baseline.json') (Join-Path $root 'binary-unclustered/candidate.json') -MinDelta 0.02\n" +
            "$b = Invoke-EvalGate (Join-Path $root 'binary-clustered/baseline.json') (Join-Path $root 'binary-clustered/candidate.json') -MinDelta 0.02\n" +
            "$c = Invoke-EvalGate (Join-Path $root 'tiny/baseline.json') (Join-Path $root 'tiny/candidate.json') -MinDelta 0.005 -InconclusiveAs Succeeded\n" +
            "$a, $b, $c | Export-EvalReport -Format JUnit -Path $out -PassThru",
            new() { ["root"] = Path.Combine(Paths.RepoRoot, "tests", "data", "reference"), ["out"] = temp.File("gate.xml") });
        r.ShouldSucceed();
        Assert.Equal(temp.File("gate.xml"), ((FileInfo)r.One().BaseObject).FullName);
        var xml = File.ReadAllText(temp.File("gate.xml"));
        AssertValidJUnit(xml);
        var suite = XDocument.Parse(xml).Root!.Element("testsuite")!;
        Assert.Equal(("3", "1", "1"), (suite.Attribute("tests")!.Value, suite.Attribute("failures")!.Value, suite.Attribute("skipped")!.Value));
    }

    [Fact]
    public void ExportEvalReport_JUnit_ForAReleaseAndAnAuditChain()
    {
        using var temp = new TempDirectory();
        var r = PowerShellHost.Run(
            "$release = Invoke-EvalGate -Pair @{ Name = 'a'; Baseline = (Join-Path $root 'binary-clustered/baseline.json'); Candidate = (Join-Path $root 'binary-clustered/candidate.json'); MinDelta = 0.02 }\n" +
            "$release | Export-EvalReport -Format JUnit\n" +
            "New-AuditKey -Path $key | Out-Null\n" +
            "$release.Tasks | Add-AuditRecord -Ledger $ledger -KeyPath $key | Out-Null\n" +
            "Test-AuditChain -Ledger $ledger -KeyPath $key | Export-EvalReport -Format JUnit\n" +
            "Test-AuditChain -Ledger $ledger -KeyPath $key | Export-EvalReport -Format Json",
            new() { ["root"] = Path.Combine(Paths.RepoRoot, "tests", "data", "reference"), ["key"] = temp.File("k.key"), ["ledger"] = temp.File("ledger") });
        r.ShouldSucceed();
        Assert.Equal(3, r.Output.Count);
        AssertValidJUnit(r.Output[0].ToString());
        Assert.Equal(2, XDocument.Parse(r.Output[0].ToString()).Descendants("failure").Count());
        AssertValidJUnit(r.Output[1].ToString());
        Assert.Equal("audit chain " + temp.File("ledger"), XDocument.Parse(r.Output[1].ToString()).Descendants("testcase").Single().Attribute("name")!.Value);
        Assert.True(JsonDocument.Parse(r.Output[2].ToString()).RootElement.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public void TestAuditChain_CiProvider_ReportsAnInvalidChainAsAnError()
    {
        using var temp = new TempDirectory();
        var r = PowerShellHost.Run(
            "New-AuditKey -Path $key | Out-Null\n" +
            "Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.score.v1 -Payload @{ score = 0.5 } | Out-Null\n" +
            "Add-AuditRecord -Ledger $ledger -KeyPath $key -SchemaKey halluccheck.score.v1 -Payload @{ score = 0.93 } | Out-Null\n" +
            "$lines = Get-Content (Join-Path $ledger 'ledger.jsonl'); $lines[1] = $lines[1].Replace('0.93', '0.99'); Set-Content (Join-Path $ledger 'ledger.jsonl') $lines\n" +
            "Test-AuditChain -Ledger $ledger -KeyPath $key -CiProvider AzureDevOps",
            new() { ["key"] = temp.File("k.key"), ["ledger"] = temp.File("ledger") });
        r.ShouldSucceed();
        dynamic v = r.One();
        Assert.False((bool)v.Valid);
        Assert.Equal(2, r.HostLines.Count);
        Assert.StartsWith("EvalSig audit chain: INVALID - verified 1, tampered 1", r.HostLines[0], StringComparison.Ordinal);
        Assert.StartsWith($"##vso[task.logissue type=error]EvalSig audit chain INVALID ({temp.File("ledger")}): ", r.HostLines[1], StringComparison.Ordinal);
    }
}

/// <summary>Auto-detection reads this process's environment: these run alone (see ProcessEnvironmentTests).</summary>
[Collection(ProcessEnvironmentTests.Name)]
public class PipelineEnvironmentTests
{
    [Fact]
    public void InvokeEvalGate_Auto_FollowsTfBuildAndGitHubActions()
    {
        using var temp = new TempDirectory();
        var vars = new Dictionary<string, object?>
        {
            ["b"] = Path.Combine(Paths.Reference("binary-clustered"), "baseline.json"),
            ["c"] = Path.Combine(Paths.Reference("binary-clustered"), "candidate.json"),
            ["agent"] = temp.Path,
            ["out"] = temp.File("github_output"),
            ["summary"] = temp.File("step_summary.md"),
        };
        var r = PowerShellHost.Run(
            "try {\n" +
            "  $env:TF_BUILD = 'True'; $env:AGENT_TEMPDIRECTORY = $agent\n" +
            "  Invoke-EvalGate $b $c -MinDelta 0.02 | Out-Null\n" +
            "  Write-Host '--'\n" +
            "  $env:TF_BUILD = $null; $env:GITHUB_ACTIONS = 'true'; $env:GITHUB_OUTPUT = $out; $env:GITHUB_STEP_SUMMARY = $summary\n" +
            "  Invoke-EvalGate $b $c -MinDelta 0.02 | Out-Null\n" +
            "  Write-Host '--'\n" +
            "  Invoke-EvalGate $b $c -MinDelta 0.02 -CiProvider None | Out-Null\n" +
            "} finally { $env:TF_BUILD = $env:AGENT_TEMPDIRECTORY = $env:GITHUB_ACTIONS = $env:GITHUB_OUTPUT = $env:GITHUB_STEP_SUMMARY = $null }",
            vars);
        r.ShouldSucceed();
        var lines = r.HostLines;
        var sep = lines.Select((l, i) => (l, i)).Where(x => x.l == "--").Select(x => x.i).ToArray();
        Assert.Equal(2, sep.Length);
        Assert.Equal(lines.Count - 1, sep[1]);
        Assert.Contains("##vso[task.setvariable variable=verdict;isOutput=true]REJECT", lines.Take(sep[0]));
        Assert.StartsWith("::error title=EvalSig gate REJECT::", lines[sep[0] + 2], StringComparison.Ordinal);
        Assert.Contains("verdict=REJECT\n", File.ReadAllText(temp.File("github_output")), StringComparison.Ordinal);
        Assert.StartsWith("## EvalSig gate: **REJECT**", File.ReadAllText(temp.File("step_summary.md")), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(temp.Path, "EvalSig gate.md", SearchOption.AllDirectories));
    }

    [Fact]
    public void InvokeEvalGate_LongWork_PrintsStatusLines_UnderAProvider()
    {
        var r = PowerShellHost.Run(
            "try { $env:EVALSIG_CI_STATUS_SECONDS = '0'\n" +
            "  Invoke-EvalGate $b $c -Method PairedBootstrap -Resamples 20000 -CiProvider GitHubActions | Out-Null\n" +
            "} finally { $env:EVALSIG_CI_STATUS_SECONDS = $null }",
            new() { ["b"] = Path.Combine(Paths.Reference("continuous-clustered"), "baseline.json"), ["c"] = Path.Combine(Paths.Reference("continuous-clustered"), "candidate.json") });
        r.ShouldSucceed();
        var status = r.HostLines.Where(l => l.StartsWith("EvalSig: Invoke-EvalGate continuous-clustered-cand: ", StringComparison.Ordinal)).ToList();
        Assert.True(status.Count >= 2, string.Join("\n", r.HostLines));
        Assert.Matches(@": done \(\d+ s\)$", status[^1]);
        Assert.NotEmpty(r.Progress);
    }
}
