using System.IO;
using System.Linq;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>The cmdlets on real evaluation-tool logs (tests/data/harness) and the sequential watch, in a PowerShell 7.6 runspace.</summary>
public class HarnessCommandTests
{
    private static string Harness(params string[] parts) => Path.Combine(new[] { Paths.RepoRoot, "tests", "data", "harness" }.Concat(parts).ToArray());

    private static string Example(string file) => Path.Combine(Paths.RepoRoot, "examples", file);

    [Fact]
    public void ImportRunFrame_HelmFolder_WithStat()
    {
        var r = PowerShellHost.Run("Import-RunFrame -LiteralPath $p -Stat exact_match | ForEach-Object { $_.Count; $_.ModelId; $_.Provenance.Tool }", new() { ["p"] = Harness("helm", "bbq_google_gemini-1.5-pro-001") });
        r.ShouldSucceed();
        Assert.Equal(new object[] { 2, "google/gemini-1.5-pro-001", "HELM" }, r.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void ImportRunFrame_InspectLogWithoutScores_IsRunFrameInvalid()
    {
        var r = PowerShellHost.Run("Import-RunFrame $p", new() { ["p"] = Harness("inspect", "2025-02-11T15-17-00-05-00_popularity_dPiJifoWeEQBrfWsAopzWr.eval") });
        Assert.Empty(r.Output);
        Assert.Equal("RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand", Assert.Single(r.ErrorIds));
        Assert.Contains("score it with 'inspect score' first", r.ErrorText, System.StringComparison.Ordinal);
    }

    [Fact]
    public void InvokeEvalGate_TakesJsonTextFromThePipeline()
    {
        var r = PowerShellHost.Run("[System.IO.File]::ReadAllText($c) | Invoke-EvalGate -Baseline $b -MinDelta 0.005", new() { ["b"] = Example("baseline.json"), ["c"] = Example("candidate.json") });
        r.ShouldSucceed();
        dynamic report = r.One();
        Assert.Equal("ALLOW", report.Verdict.ToString());
    }

    [Fact]
    public void WatchEvalGate_WritesAWatchReport_WithVerdictReasonAndExitCode()
    {
        var r = PowerShellHost.Run("Watch-EvalGate $b $c", new()
        {
            ["b"] = Harness("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl"),
            ["c"] = Harness("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T18-15-33.115417.jsonl"),
        });
        r.ShouldSucceed();
        var report = r.One();
        Assert.Equal("EvalSig.Core.Sequential.WatchReport", report.BaseObject.GetType().FullName);
        Assert.Equal("INCONCLUSIVE", report.Properties["Verdict"].Value.ToString());
        Assert.Equal("StreamEnded", report.Properties["Reason"].Value.ToString());
        Assert.Equal(2, (int)report.Properties["ExitCode"].Value);
    }

    [Fact]
    public void WatchEvalGate_BadOption_IsATerminatingErrorWithItsId()
    {
        var r = PowerShellHost.Run("Watch-EvalGate $b $b -Alpha 2", new() { ["b"] = Example("baseline.json") });
        Assert.Empty(r.Output);
        Assert.Contains("InvalidAlpha,EvalSig.Commands.WatchEvalGateCommand", r.ErrorIds);
    }
}
