using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using EvalSig.Testing;
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
        var r = PowerShellHost.Run("Import-RunFrame -LiteralPath $p -Stat art_score | ForEach-Object { $_.Count; $_.ModelId; $_.MeanScore; $_.Provenance.Tool }", new() { ["p"] = Harness("helm", "anthropic_red_team_meta_llama-3-70b") });
        r.ShouldSucceed();
        Assert.Equal(new object[] { 2, "meta/llama-3-70b", 0.875, "HELM" }, r.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void ImportRunFrame_InspectEvalLog_BuiltFromTheRealJsonLog()
    {
        // No .eval log is committed: the container is built from the real JSON log of the same run (tests/Shared/Harness).
        var dir = Directory.CreateTempSubdirectory("evalsig-ps-eval-").FullName;
        try
        {
            var eval = InspectEvalLog.WriteFromJson(Harness("inspect", "2025-05-12T20-28-13-04-00_popularity.json"), Path.Combine(dir, "popularity.eval"));
            var r = PowerShellHost.Run("Import-RunFrame -LiteralPath $p -Scorer match | ForEach-Object { $_.Count; $_.RunId; $_.Provenance.ToolVersion }", new() { ["p"] = eval });
            r.ShouldSucceed();
            Assert.Equal(new object[] { 3, "VnKtvCqGnnegLQ7qSBFDzx", "0.3.95.dev16+g6527d0861" }, r.Output.Select(o => o.BaseObject).ToArray());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void ImportRunFrame_InspectLogWithoutScores_IsRunFrameInvalid()
    {
        // The real popularity log with its scores and results taken out by the test (as 'inspect eval --no-score' writes it), as a .eval.
        var node = JsonNode.Parse(File.ReadAllText(Harness("inspect", "2025-05-12T20-28-13-04-00_popularity.json")))!.AsObject();
        node.Remove("results");
        node.Remove("reductions");
        foreach (var s in node["samples"]!.AsArray())
        {
            s!.AsObject().Remove("scores");
        }

        var dir = Directory.CreateTempSubdirectory("evalsig-ps-eval-").FullName;
        var path = Path.Combine(dir, "unscored.eval");
        File.WriteAllBytes(path, InspectEvalLog.FromJson(node.ToJsonString()));
        PsResult r;
        try
        {
            r = PowerShellHost.Run("Import-RunFrame $p", new() { ["p"] = path });
        }
        finally
        {
            Directory.Delete(dir, true);
        }

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
