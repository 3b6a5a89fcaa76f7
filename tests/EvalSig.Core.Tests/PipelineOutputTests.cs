using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EvalSig.Core.Gating;
using EvalSig.Core.Pipelines;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class PipelineOutputTests
{
    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string AzData(string s) => s.Replace("%", "%AZP25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string GhData(string s) => s.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    /// <summary>The reference cases the issue's scenarios need: ALLOW, REJECT and INCONCLUSIVE under paired t, one-sided.</summary>
    public static TheoryData<string, string, GateVerdict> Verdicts() => new()
    {
        { "binary-unclustered", "0.02", GateVerdict.ALLOW },
        { "binary-clustered", "0.02", GateVerdict.REJECT },
        { "tiny", "0.005", GateVerdict.INCONCLUSIVE },
    };

    internal static GateReport Gate(string name, double minDelta, InconclusiveOutcome inconclusiveAs = InconclusiveOutcome.Failed)
        => EvalGate.Decide(
            RunFrameFile.Read(TestPaths.Reference(name, "baseline.json")),
            RunFrameFile.Read(TestPaths.Reference(name, "candidate.json")),
            new GateOptions { MinDelta = minDelta, InconclusiveAs = inconclusiveAs, Inference = new InferenceOptions { Method = InferenceMethod.PairedT, Alternative = Alternative.Greater } });

    private static (List<string> Lines, CiReporter Reporter) Reporter(CiProvider provider, Dictionary<string, string?> env)
    {
        var lines = new List<string>();
        var ci = CiContext.Resolve(provider, k => env.TryGetValue(k, out var v) ? v : null);
        return (lines, new CiReporter(ci, lines.Add));
    }

    [Fact]
    public void AzureEscaping_FollowsTheTaskLibrary()
    {
        const string text = "50% done;\r\nnext] [x]";
        Assert.Equal("50%AZP25 done;%0D%0Anext] [x]", AzurePipelinesCommand.EscapeData(text));
        Assert.Equal("50%AZP25 done%3B%0D%0Anext%5D [x%5D", AzurePipelinesCommand.EscapeProperty(text));
        Assert.Equal("##vso[task.logissue type=error;code=a%3Bb%5D]50%AZP25 done;%0D%0Anext] [x]", AzurePipelinesCommand.Format("task.logissue", new[] { ("type", "error"), ("code", "a;b]") }, text));
        Assert.Equal("##vso[task.uploadsummary]/tmp/x.md", AzurePipelinesCommand.Format("task.uploadsummary", Array.Empty<(string, string)>(), "/tmp/x.md"));
    }

    [Fact]
    public void GitHubEscaping_FollowsTheToolkit()
    {
        Assert.Equal("50%25 done;%0D%0Anext: a, b", GitHubWorkflowCommand.EscapeData("50% done;\r\nnext: a, b"));
        Assert.Equal("a%3A b%2C c%25", GitHubWorkflowCommand.EscapeProperty("a: b, c%"));
        Assert.Equal("::error title=EvalSig%3A x%2C y::line 1%0Aline 2", GitHubWorkflowCommand.Format("error", new[] { ("title", "EvalSig: x, y") }, "line 1\nline 2"));
        Assert.Equal("verdict=REJECT\n", GitHubWorkflowCommand.OutputEntry("verdict", "REJECT"));
        var multi = GitHubWorkflowCommand.OutputEntry("text", "a\nb");
        var delimiter = multi.Split('\n')[0]["text<<".Length..];
        Assert.StartsWith("ghadelimiter_", delimiter, StringComparison.Ordinal);
        Assert.Equal($"text<<{delimiter}\na\nb\n{delimiter}\n", multi);
    }

    [Theory]
    [InlineData("True", null, CiProvider.AzureDevOps)]
    [InlineData("true", null, CiProvider.AzureDevOps)]
    [InlineData(null, "true", CiProvider.GitHubActions)]
    [InlineData("False", null, CiProvider.None)]
    [InlineData(null, "false", CiProvider.None)]
    [InlineData(null, null, CiProvider.None)]
    public void Auto_DetectsTheProviderFromItsVariable(string? tfBuild, string? githubActions, CiProvider expected)
    {
        var env = new Dictionary<string, string?> { ["TF_BUILD"] = tfBuild, ["GITHUB_ACTIONS"] = githubActions };
        Assert.Equal(expected, CiContext.Resolve(CiProvider.Auto, k => env.GetValueOrDefault(k)).Provider);
        Assert.Equal(CiProvider.None, CiContext.Resolve(CiProvider.None, k => env.GetValueOrDefault(k)).Provider);
    }

    [Fact]
    public void WithoutAProvider_NothingIsWritten()
    {
        var (lines, reporter) = Reporter(CiProvider.Auto, new Dictionary<string, string?>());
        reporter.Gate(Gate("binary-clustered", 0.02));
        Assert.Empty(lines);
        Assert.Null(reporter.Status("x"));
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Azure_WritesTheVerdictLineIssueVariablesAndSummary(string name, string minDelta, GateVerdict verdict)
    {
        using var scratch = new Scratch();
        var report = Gate(name, double.Parse(minDelta, CultureInfo.InvariantCulture));
        Assert.Equal(verdict, report.Verdict);
        var (lines, reporter) = Reporter(CiProvider.Auto, new() { ["TF_BUILD"] = "True", ["AGENT_TEMPDIRECTORY"] = scratch.Path });
        reporter.Gate(report);

        var c = report.Comparison;
        var expected = new List<string> { CiReporter.VerdictLine(report) };
        if (verdict != GateVerdict.ALLOW)
        {
            var type = verdict == GateVerdict.REJECT ? "error" : "warning";
            expected.Add($"##vso[task.logissue type={type}]" + AzData($"EvalSig gate {verdict} ({report.Reason}): {report.Explanation}" + (report.Suggestion is null ? string.Empty : "\n" + report.Suggestion)));
        }

        foreach (var (k, v) in new[]
        {
            ("verdict", verdict.ToString()), ("reason", GateReportJson.ReasonName(report.Reason)), ("exit_code", ((int)verdict).ToString(CultureInfo.InvariantCulture)),
            ("delta", R(c.Delta)), ("ci_lower", R(c.CiLower)), ("ci_upper", "Infinity"), ("p_value", R(c.PValue)), ("mde", R(c.Mde)), ("method", "paired_t"),
        })
        {
            expected.Add($"##vso[task.setvariable variable={k};isOutput=true]{v}");
        }

        var summary = Directory.GetFiles(scratch.Path, "*.md", SearchOption.AllDirectories).Single();
        Assert.Equal("EvalSig gate.md", Path.GetFileName(summary));
        Assert.Equal(GateReportText.Markdown(report), File.ReadAllText(summary));
        expected.Add("##vso[task.uploadsummary]" + summary);
        if (verdict == GateVerdict.INCONCLUSIVE)
        {
            expected.Add("##vso[task.complete result=Failed]EvalSig: INCONCLUSIVE treated as Failed");
        }

        Assert.Equal(expected, lines);
        Assert.StartsWith($"EvalSig gate: {verdict} ({report.Reason}) delta ", lines[0], StringComparison.Ordinal);
        Assert.EndsWith($"method paired_t, exit code {(int)verdict}", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_EscapesTheMessage_PercentAndLineBreak()
    {
        using var scratch = new Scratch();
        var report = Gate("tiny", 0.005);
        var (lines, reporter) = Reporter(CiProvider.AzureDevOps, new() { ["AGENT_TEMPDIRECTORY"] = scratch.Path });
        reporter.Gate(report);
        var issue = lines.Single(l => l.StartsWith("##vso[task.logissue", StringComparison.Ordinal));
        // "80% power" in the explanation and the line break before the suggestion.
        Assert.Contains("80%AZP25 power", issue, StringComparison.Ordinal);
        Assert.Contains("%0ANot enough evidence", issue, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", issue, StringComparison.Ordinal);
        Assert.DoesNotContain("% ", issue.Replace("%AZP25", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(InconclusiveOutcome.SucceededWithIssues)]
    [InlineData(InconclusiveOutcome.Succeeded)]
    public void Azure_InconclusiveAs_CompletesTheTaskWithThatResult_AndStepExitIsZero(InconclusiveOutcome outcome)
    {
        using var scratch = new Scratch();
        var report = Gate("tiny", 0.005, outcome);
        Assert.Equal(GateVerdict.INCONCLUSIVE, report.Verdict);
        Assert.Equal(2, report.ExitCode);
        Assert.Equal(0, report.StepExitCode);
        var (lines, reporter) = Reporter(CiProvider.AzureDevOps, new() { ["AGENT_TEMPDIRECTORY"] = scratch.Path });
        reporter.Gate(report);
        Assert.Equal($"##vso[task.complete result={outcome}]EvalSig: INCONCLUSIVE treated as {outcome}", lines[^1]);
        Assert.Contains("##vso[task.setvariable variable=exit_code;isOutput=true]0", lines);
        Assert.Contains("##vso[task.setvariable variable=verdict;isOutput=true]INCONCLUSIVE", lines);
        Assert.EndsWith($"exit code 0 (INCONCLUSIVE treated as {outcome})", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("##vso[task.logissue type=warning]", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void GitHub_WritesAnnotationOutputsAndStepSummary(string name, string minDelta, GateVerdict verdict)
    {
        using var scratch = new Scratch();
        var output = scratch.Write("output.txt", "earlier=1\n");
        var summary = scratch.Write("summary.md", "# Earlier step\n");
        var report = Gate(name, double.Parse(minDelta, CultureInfo.InvariantCulture));
        var (lines, reporter) = Reporter(CiProvider.Auto, new() { ["GITHUB_ACTIONS"] = "true", ["GITHUB_OUTPUT"] = output, ["GITHUB_STEP_SUMMARY"] = summary });
        reporter.Gate(report);

        var expected = new List<string> { CiReporter.VerdictLine(report) };
        if (verdict != GateVerdict.ALLOW)
        {
            var command = verdict == GateVerdict.REJECT ? "error" : "warning";
            expected.Add($"::{command} title=EvalSig gate {verdict}::" + GhData($"EvalSig gate {verdict} ({report.Reason}): {report.Explanation}" + (report.Suggestion is null ? string.Empty : "\n" + report.Suggestion)));
        }

        Assert.Equal(expected, lines);
        var c = report.Comparison;
        Assert.Equal(
            $"earlier=1\nverdict={verdict}\nreason={GateReportJson.ReasonName(report.Reason)}\nexit_code={(int)verdict}\ndelta={R(c.Delta)}\nci_lower={R(c.CiLower)}\nci_upper=Infinity\np_value={R(c.PValue)}\nmde={R(c.Mde)}\nmethod=paired_t\n",
            File.ReadAllText(output));
        Assert.Equal("# Earlier step\n" + GateReportText.Markdown(report) + "\n", File.ReadAllText(summary));
    }

    [Fact]
    public void GitHub_WithoutItsFiles_StillAnnotates()
    {
        var (lines, reporter) = Reporter(CiProvider.GitHubActions, new());
        reporter.Gate(Gate("binary-clustered", 0.02));
        Assert.Equal(2, lines.Count);
        Assert.StartsWith("::error title=EvalSig gate REJECT::", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void GitHub_AnOutputFileThatCannotBeWritten_IsCiOutputFailed()
    {
        using var scratch = new Scratch();
        var (_, reporter) = Reporter(CiProvider.GitHubActions, new() { ["GITHUB_OUTPUT"] = Path.Combine(scratch.Path, "missing-dir", "out.txt") });
        var ex = Assert.Throws<Diagnostics.EvalSigException>(() => reporter.Gate(Gate("binary-clustered", 0.02)));
        Assert.Equal(Diagnostics.EvalSigError.CiOutputFailed, ex.Error);
    }

    [Fact]
    public void Neutralize_BreaksCommandsInDataDerivedText()
    {
        var azure = CiContext.Resolve(CiProvider.AzureDevOps, _ => null);
        Assert.Equal("note: ## vso[task.complete result=Succeeded] and ## [error]x", azure.Neutralize("note: ##vso[task.complete result=Succeeded] and ##[error]x"));
        var github = CiContext.Resolve(CiProvider.GitHubActions, _ => null);
        Assert.Equal("ok\n  : :error::x\n: :warning::y", github.Neutralize("ok\n  ::error::x\n::warning::y"));
        Assert.Equal("##vso[x]", CiContext.Resolve(CiProvider.None, _ => null).Neutralize("##vso[x]"));
    }

    [Fact]
    public void StatusTicker_PrintsAtMostOneLinePerInterval_AndDoneOnlyAfterAStatus()
    {
        var clock = new ManualClock();
        var ticker = new StatusTicker("Invoke-EvalGate cand", TimeSpan.FromSeconds(10), clock);
        Assert.Null(ticker.Report(0.05));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("EvalSig: Invoke-EvalGate cand: 30% (11 s)", ticker.Report(0.3));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Null(ticker.Report(0.5));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("EvalSig: Invoke-EvalGate cand: 60% (21 s)", ticker.Report(0.6));
        Assert.Equal("EvalSig: Invoke-EvalGate cand: done (21 s)", ticker.Complete());

        var quiet = new StatusTicker("short", TimeSpan.FromSeconds(10), clock);
        Assert.Null(quiet.Report(0.5));
        Assert.Null(quiet.Complete());
    }

    [Fact]
    public void StatusInterval_ComesFromTheEnvironment()
    {
        Assert.Equal(TimeSpan.FromSeconds(CiContext.DefaultStatusSeconds), CiContext.Resolve(CiProvider.AzureDevOps, _ => null).StatusInterval);
        Assert.Equal(TimeSpan.Zero, CiContext.Resolve(CiProvider.AzureDevOps, k => k == "EVALSIG_CI_STATUS_SECONDS" ? "0" : null).StatusInterval);
        Assert.Equal(TimeSpan.FromSeconds(CiContext.DefaultStatusSeconds), CiContext.Resolve(CiProvider.AzureDevOps, k => k == "EVALSIG_CI_STATUS_SECONDS" ? "soon" : null).StatusInterval);
    }

    [Theory]
    [InlineData("azure-devops", CiProvider.AzureDevOps)]
    [InlineData("AzureDevOps", CiProvider.AzureDevOps)]
    [InlineData("github-actions", CiProvider.GitHubActions)]
    [InlineData("none", CiProvider.None)]
    [InlineData("auto", CiProvider.Auto)]
    public void ParseProvider_TakesTheCliAndCmdletSpellings(string text, CiProvider expected)
        => Assert.Equal(expected, CiContext.ParseProvider(text));

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
