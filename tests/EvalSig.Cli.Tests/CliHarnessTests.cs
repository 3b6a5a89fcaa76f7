using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>The CLI on real logs of lm-evaluation-harness, Inspect and HELM, and on standard input and pipes.</summary>
public sealed class CliHarnessTests : IDisposable
{
    private static readonly string Neg1604 = Cli.Harness("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl");
    private static readonly string Neg1815 = Cli.Harness("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T18-15-33.115417.jsonl");
    private static readonly string PopularityJson = Cli.Harness("inspect", "2025-05-12T20-28-13-04-00_popularity.json");
    private static readonly string LogFormatsJson = Cli.Harness("inspect", "log_formats.json");
    private static readonly string BbqGemini = Cli.Harness("helm", "bbq_google_gemini-1.5-pro-001");
    private static readonly string RedTeamQwen = Cli.Harness("helm", "anthropic_red_team_qwen_qwen2-72b-instruct");
    private static readonly string RedTeamLlama = Cli.Harness("helm", "anthropic_red_team_meta_llama-3-70b");

    // No .eval log is committed: .eval containers are built at test time from the real JSON log of the same
    // run, in inspect_ai's EvalRecorder layout (tests/Shared/Harness/InspectEvalLog.cs).
    private readonly string _evalDir = Directory.CreateTempSubdirectory("evalsig-cli-eval-").FullName;

    public CliHarnessTests()
    {
        PopularityEval = InspectEvalLog.WriteFromJson(PopularityJson, Path.Combine(_evalDir, "popularity.eval"));
        LogFormatsEval = InspectEvalLog.WriteFromJson(LogFormatsJson, Path.Combine(_evalDir, "log_formats.eval"));
    }

    private string PopularityEval { get; }

    private string LogFormatsEval { get; }

    public void Dispose() => Directory.Delete(_evalDir, true);

    [Fact]
    public void Gate_BetweenTwoLmEvalRuns_EndToEnd()
    {
        var r = Cli.Run("gate", Neg1604, Neg1815, "--json");
        Assert.Equal(string.Empty, r.Stderr);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(root.GetProperty("exit_code").GetInt32(), r.ExitCode);
        var c = root.GetProperty("comparison");
        Assert.Equal(20, c.GetProperty("n_pairs").GetInt32());
        Assert.Equal(0.0, c.GetProperty("delta").GetDouble());
        Assert.Equal("mcnemar_exact", c.GetProperty("method").GetString());
        Assert.Equal("samples_negotiationtom_intention_2026-07-08T18-15-33.115417", root.GetProperty("candidate_run_id").GetString());
    }

    [Fact]
    public void Gate_WithClustersFromTheLmEvalDoc_UsesThem()
    {
        var r = Cli.Run("compare", Neg1604, Neg1815, "--cluster", "dialogue_id", "--json");
        Assert.Equal(0, r.ExitCode);
        var c = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("comparison");
        Assert.Equal("dialogue_id", c.GetProperty("cluster_key").GetString());
        Assert.True(c.GetProperty("n_clusters").GetInt32() > 1);
    }

    [Fact]
    public void Gate_BetweenTwoInspectLogs_EvalAndJson_EndToEnd()
    {
        // Two real runs of the popularity task: log_formats (sample 1 graded I) as a .eval, popularity (1 C, 2 C, 3 I) as JSON.
        var r = Cli.Run("gate", LogFormatsEval, PopularityJson, "--json");
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(root.GetProperty("exit_code").GetInt32(), r.ExitCode);
        Assert.Equal("BpiPFmbVcMCRUAXv8ovCTx", root.GetProperty("baseline_run_id").GetString());
        var c = root.GetProperty("comparison");
        Assert.Equal(1, c.GetProperty("n_pairs").GetInt32());
        Assert.Equal(0, c.GetProperty("only_in_baseline").GetInt32());
        Assert.Equal(2, c.GetProperty("only_in_candidate").GetInt32());
        Assert.Equal(1.0, c.GetProperty("delta").GetDouble());
    }

    [Fact]
    public void Gate_BetweenTwoHelmRuns_NeedsAStat_ThenDecides()
    {
        var bad = Cli.Run("gate", RedTeamQwen, RedTeamLlama);
        Assert.Equal(65, bad.ExitCode);
        Assert.Contains("error RunFrameInvalid", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("choose one with -Stat or --stat", bad.Stderr, StringComparison.Ordinal);

        // art_score: qwen 1.0 and 1.0, llama 1.0 and 0.75 on the same two instances.
        var r = Cli.Run("gate", RedTeamQwen, RedTeamLlama, "--stat", "art_score", "--json");
        var c = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("comparison");
        Assert.Equal(-0.125, c.GetProperty("delta").GetDouble(), 12);
        Assert.Equal(2, c.GetProperty("n_pairs").GetInt32());
        Assert.Equal(JsonDocument.Parse(r.Stdout).RootElement.GetProperty("exit_code").GetInt32(), r.ExitCode);
    }

    [Fact]
    public void Doctor_ListsTheMetricChoices_AndAcceptsAChoice()
    {
        var truthful = Cli.Harness("lm-eval", "truthfulqa-gpt-neo-125m", "samples_truthfulqa_gen_2025-05-31T14-30-51.983293.jsonl");
        var r = Cli.Run("doctor", truthful);
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("field 'metric': the samples have per-item metrics 'bleu_max'", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("doctor", truthful, "--metric", "bleu_acc").ExitCode);
        var polymer = Cli.Run("doctor", Cli.Harness("lm-eval", "polymer-gpt-4o-mini", "samples_polymer_tg_prediction_2025-06-30T19-40-09.461247.jsonl"));
        Assert.Equal(65, polymer.ExitCode);
        Assert.Contains("(17 problems)", polymer.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("doctor", PopularityEval, PopularityJson, LogFormatsEval).ExitCode);
        Assert.Equal(0, Cli.Run("doctor", RedTeamQwen, RedTeamLlama, "--stat", "art_score").ExitCode);
    }

    [Fact]
    public void UnknownFormatName_IsAUsageError()
    {
        var r = Cli.Run("gate", Neg1604, Neg1815, "--format", "lm_evaluation");
        Assert.Equal(64, r.ExitCode);
        Assert.Contains("error RunFrameFormatUnknown", r.Stderr, StringComparison.Ordinal);
        var helm = Cli.Run("gate", Neg1604, Neg1815, "--format", "helm");
        Assert.Equal(64, helm.ExitCode);
        Assert.Contains("error RunFrameUnsupported: A HELM run is a folder", helm.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_ReadsTheBaselineFromStandardInput()
    {
        var r = Cli.RunWithInput(File.ReadAllText(Cli.Example("baseline.json")), "gate", "-", Cli.Example("candidate.json"), "--min-delta", "0.005");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Verdict      ALLOW (exit 0)", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_ReadsAToolLogFromStandardInput()
    {
        var r = Cli.RunWithInput(File.ReadAllText(Neg1815), "gate", Neg1604, "-", "--json");
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("stdin", root.GetProperty("candidate_run_id").GetString());
        Assert.Equal(20, root.GetProperty("comparison").GetProperty("n_pairs").GetInt32());
    }

    [Fact]
    public void Gate_ProcessSubstitution_AndDevStdin_Work()
    {
        var r = Cli.Bash("dotnet \"$EVALSIG_DLL\" gate examples/baseline.json <(cat examples/candidate.json) --min-delta 0.005");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Verdict      ALLOW (exit 0)", r.Stdout, StringComparison.Ordinal);
        var r2 = Cli.Bash("cat examples/candidate.json | dotnet \"$EVALSIG_DLL\" gate examples/baseline.json /dev/stdin --min-delta 0.005");
        Assert.Equal(0, r2.ExitCode);
        var r3 = Cli.Bash("dotnet \"$EVALSIG_DLL\" gate - examples/candidate.json --min-delta 0.005 < examples/baseline.json");
        Assert.Equal(0, r3.ExitCode);
        Assert.Empty(r3.Stderr);
    }

    [Fact]
    public void UnreadableStandardInput_IsExit65_WithASpecificMessage()
    {
        var r = Cli.RunWithInput("this is not a run", "gate", Cli.Example("baseline.json"), "-");
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("error RunFrameFormatUnknown: Cannot tell the format of '-'", r.Stderr, StringComparison.Ordinal);
        var r2 = Cli.RunWithInput("{\"run_id\": \"x\", \"items\": [", "gate", Cli.Example("baseline.json"), "-");
        Assert.Equal(65, r2.ExitCode);
        Assert.Contains("error RunFrameInvalid", r2.Stderr, StringComparison.Ordinal);
        var both = Cli.RunWithInput("{}", "gate", "-", "-");
        Assert.Equal(64, both.ExitCode);
    }

    [Fact]
    public void StoreSave_TakesToolLogs()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-store-").FullName;
        try
        {
            // Files are saved one by one: the Inspect log (scorer match) is stored, then the HELM run has no stat 'match'.
            var r = Cli.Run("store", "save", PopularityEval, BbqGemini, "--scorer", "match", "--root", dir, "--project", "p");
            Assert.Equal(65, r.ExitCode);
            Assert.StartsWith("saved", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("no stat 'match'", r.Stderr, StringComparison.Ordinal);
            var again = Cli.Run("store", "save", PopularityEval, BbqGemini, "--root", dir, "--project", "p", "--stat", "exact_match");
            Assert.Equal(65, again.ExitCode);
            var ok = Cli.Run("store", "save", BbqGemini, "--root", dir, "--project", "p", "--stat", "exact_match");
            Assert.Equal(0, ok.ExitCode);
            Assert.StartsWith("saved", ok.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Watch_AFileOfItems_StopsEarlyWithAllow()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-watch-").FullName;
        try
        {
            var cand = Path.Combine(dir, "cand.jsonl");
            var items = JsonDocument.Parse(File.ReadAllText(Cli.Example("candidate.json"))).RootElement.GetProperty("items");
            File.WriteAllLines(cand, items.EnumerateArray().Select(i => JsonSerializer.Serialize(new { item_id = i.GetProperty("item_id").GetString(), score = i.GetProperty("score").GetDouble() })));
            var r = Cli.Run("watch", Cli.Example("baseline.json"), cand, "--json", "--progress-every", "100");
            Assert.Equal(0, r.ExitCode);
            var root = JsonDocument.Parse(r.Stdout).RootElement;
            Assert.Equal("ALLOW", root.GetProperty("verdict").GetString());
            Assert.Equal("improved", root.GetProperty("reason").GetString());
            Assert.True(root.GetProperty("watch").GetProperty("stopped_early").GetBoolean());
            Assert.True(root.GetProperty("watch").GetProperty("cluster_level").GetBoolean());
            Assert.Contains("evalsig watch: n=", r.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Watch_LmEvalSamplesOnStandardInput_EndsInconclusive()
    {
        var r = Cli.RunWithInput(File.ReadAllText(Neg1815), "watch", Neg1604, "-", "--progress-every", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("Verdict      INCONCLUSIVE (exit 2) - StreamEnded", r.Stdout, StringComparison.Ordinal);
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public void Watch_ABadLine_IsExit65_WithItsLineNumber()
    {
        var r = Cli.RunWithInput("{\"item_id\": \"q0000\", \"score\": 1}\nnot json\n", "watch", Cli.Example("baseline.json"), "-", "--progress-every", "0");
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("line 2", r.Stderr, StringComparison.Ordinal);
    }
}
