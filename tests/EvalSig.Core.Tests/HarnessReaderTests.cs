using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Each reader on real logs of its tool; expected counts and scores checked by hand against the files.</summary>
public class HarnessReaderTests
{
    private static readonly string Negotiation1604 = HarnessData.Path("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl");
    private static readonly string Negotiation1815 = HarnessData.Path("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T18-15-33.115417.jsonl");
    private static readonly string TruthfulQa = HarnessData.Path("lm-eval", "truthfulqa-gpt-neo-125m", "samples_truthfulqa_gen_2025-05-31T14-30-51.983293.jsonl");
    private static readonly string Polymer = HarnessData.Path("lm-eval", "polymer-gpt-4o-mini", "samples_polymer_tg_prediction_2025-06-30T19-40-09.461247.jsonl");
    private static readonly string PopularityJson = HarnessData.Path("inspect", "2025-05-12T20-28-13-04-00_popularity.json");
    private static readonly string LogFormatsJson = HarnessData.Path("inspect", "log_formats.json");
    private static readonly string BbqGemini = HarnessData.Path("helm", "bbq_google_gemini-1.5-pro-001");
    private static readonly string RedTeamQwen = HarnessData.Path("helm", "anthropic_red_team_qwen_qwen2-72b-instruct");
    private static readonly string RedTeamLlama = HarnessData.Path("helm", "anthropic_red_team_meta_llama-3-70b");

    [Fact]
    public void LmEval_Negotiation_ReadsTheOnlyPerItemMetric_WithRunFieldsFromResults()
    {
        var f = RunFrameFile.Read(Negotiation1604);
        Assert.Equal(20, f.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), f.ItemIds);
        Assert.Equal(new[] { "10", "11", "12", "13" }, f.Items.Where(i => i.Score == 1).Select(i => i.ItemId));
        Assert.Equal(0.2, f.MeanScore, 12);
        Assert.Equal("Qwen/Qwen3-8B", f.ModelId);
        Assert.Equal("negotiationtom_intention", f.TaskId);
        Assert.Equal("exact_match", f.MetricName);
        Assert.Equal("52cfbd295b9d569ee4e910967cff043a7bd4e7c7d81dd507408996aeabfce0c9", f.ConfigHash);
        Assert.Equal(RunFrameFormat.LmEval, f.Provenance!.Format);
        Assert.Equal("lm-evaluation-harness", f.Provenance.Tool);
        Assert.Equal("0.4.13.dev0", f.Provenance.ToolVersion);
        Assert.Equal("0-0", f.GetItem(0).Metadata["dialogue_id"]);
    }

    [Fact]
    public void LmEval_CorpusLevelMetric_IsRefusedWithTheChoices()
    {
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(Negotiation1815, new RunFrameReadOptions { Metric = "micro_f1" }));
        Assert.Contains("'micro_f1' is a corpus-level metric", ex.Message, StringComparison.Ordinal);
        Assert.Contains("per-item metrics in this file: 'exact_match'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("metric", Assert.Single(ex.Problems).Field);
    }

    [Fact]
    public void LmEval_SeveralMetrics_NeedAChoice_ThenReadTheChosenOne()
    {
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(TruthfulQa));
        Assert.Contains("per-item metrics 'bleu_max', 'bleu_acc', 'bleu_diff'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("choose one with -Metric or --metric", ex.Message, StringComparison.Ordinal);

        var f = RunFrameFile.Read(TruthfulQa, new RunFrameReadOptions { Metric = "bleu_acc" });
        Assert.Equal(20, f.Count);
        Assert.Equal(new[] { "0", "1", "4", "5", "6", "7", "13", "15", "16", "17" }, f.Items.Where(i => i.Score == 1).Select(i => i.ItemId));
        Assert.Equal("EleutherAI/gpt-neo-125M", f.ModelId);
        Assert.Equal("0.4.8", f.Provenance!.ToolVersion);
        Assert.Equal(19, f.Items.Count(i => (string?)i.Metadata["category"] == "Misconceptions"));
        Assert.Equal(393.6721300223088 / 20, RunFrameFile.Read(TruthfulQa, new RunFrameReadOptions { Metric = "bleu_max" }).MeanScore, 12);
    }

    [Fact]
    public void LmEval_UnknownMetric_NamesTheMetricsThereAre()
    {
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(Negotiation1604, new RunFrameReadOptions { Metric = "acc" }));
        Assert.Contains("no metric 'acc' in the samples; per-item metrics in this file: 'exact_match' (corpus-level, not usable per item: 'micro_f1', 'macro_f1')", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LmEval_BareInfinity_IsANamedNonFiniteScore_NotMalformedJson()
    {
        var problems = RunFrameFile.Validate(Polymer);
        Assert.Equal(17, problems.Count);
        Assert.All(problems, p => Assert.Equal("score", p.Field));
        Assert.Contains("line 1: 'mae' is Infinity, not a finite score", problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LmEval_FilterThatIsNotThere_ListsTheFilters()
    {
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(Negotiation1604, new RunFrameReadOptions { Filter = "strict-match" }));
        Assert.Contains("no line has filter 'strict-match'; the samples have filter(s) 'none'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LmEval_TwoFilters_AreAnError_UnlessOneIsChosen()
    {
        // A real file with a second filter's copy of each line added by the test (no public samples file with two filters is small enough to commit).
        using var scratch = new Scratch();
        var lines = File.ReadAllLines(Negotiation1604);
        var doubled = lines.Concat(lines.Select(l => l.Replace("\"filter\": \"none\"", "\"filter\": \"strict-match\"", StringComparison.Ordinal))).ToArray();
        var path = scratch.File("samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl");
        File.WriteAllLines(path, doubled);
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));
        Assert.Contains("several filters 'none', 'strict-match'; choose one with -Filter or --filter", ex.Message, StringComparison.Ordinal);
        var f = RunFrameFile.Read(path, new RunFrameReadOptions { Filter = "strict-match" });
        Assert.Equal(20, f.Count);
        Assert.Equal("exact_match,strict-match", f.MetricName);
    }

    // No .eval log is committed (a binary zip): the .eval tests build the container at test time from the real
    // JSON log of the same run, in inspect_ai's EvalRecorder layout (tests/Shared/Harness/InspectEvalLog.cs).
    [Fact]
    public void Inspect_EvalLog_BuiltFromTheRealJsonLog_LetterGradesAsValueToFloat()
    {
        using var scratch = new Scratch();
        var f = RunFrameFile.Read(InspectEvalLog.WriteFromJson(PopularityJson, scratch.File("popularity.eval")));
        Assert.Equal(new[] { "1", "2", "3" }, f.ItemIds);
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, f.Scores);
        Assert.All(f.ItemEpochs, e => Assert.Equal(0, e));
        Assert.Equal("VnKtvCqGnnegLQ7qSBFDzx", f.RunId);
        Assert.Equal("openai/gpt-4o-mini", f.ModelId);
        Assert.Equal("popularity", f.TaskId);
        Assert.Equal("match", f.MetricName);
        Assert.Equal("0.3.95.dev16+g6527d0861", f.Provenance!.ToolVersion);
        Assert.Equal(RunFrameFormat.Inspect, f.Provenance.Format);
        Assert.Contains("log status is 'cancelled', not 'success': only the samples it holds are read", f.Provenance.Notes);
        Assert.Contains("Inspect log format version 2", f.Provenance.Notes);
    }

    [Fact]
    public void Inspect_SampleMetadata_ScalarFieldsAreItemMetadata_NestedOnesAreLeftOut()
    {
        using var scratch = new Scratch();
        var f = RunFrameFile.Read(InspectEvalLog.WriteFromJson(PopularityJson, scratch.File("popularity.eval")));
        Assert.Equal(new object?[] { 0.8860552919198255, 0.9271239981649271, 0.8858943501974486 }, f.Items.Select(i => i.Metadata["label_confidence"]));
        Assert.False(f.GetItem(0).Metadata.ContainsKey("nested"));
        Assert.Equal(f.Items.Select(i => i.Metadata["label_confidence"]), RunFrameFile.Read(PopularityJson).Items.Select(i => i.Metadata["label_confidence"]));
    }

    [Fact]
    public void Inspect_UnscoredLog_SaysToScoreItFirst()
    {
        // No real unscored log is in reach: the real log with its scores and results taken out by the test,
        // which is what 'inspect eval --no-score' writes (samples without scores, no results).
        var node = JsonNode.Parse(File.ReadAllText(PopularityJson))!.AsObject();
        node.Remove("results");
        node.Remove("reductions");
        foreach (var s in node["samples"]!.AsArray())
        {
            s!.AsObject().Remove("scores");
        }

        using var scratch = new Scratch();
        var path = scratch.File("unscored.eval");
        File.WriteAllBytes(path, InspectEvalLog.FromJson(node.ToJsonString()));
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));
        Assert.Contains("the log has no scores (it was run without scoring); score it with 'inspect score' first", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_JsonAndEvalOfTheSameLog_GiveTheSameFrame()
    {
        using var scratch = new Scratch();
        var fromJson = RunFrameFile.Read(LogFormatsJson);
        var fromEval = RunFrameFile.Read(InspectEvalLog.WriteFromJson(LogFormatsJson, scratch.File("log_formats.eval")));
        Assert.Equal(fromEval.ItemIds, fromJson.ItemIds);
        Assert.Equal(fromEval.Scores, fromJson.Scores);
        Assert.Equal(fromEval.RunId, fromJson.RunId);
        Assert.Equal(fromEval.ModelId, fromJson.ModelId);
        Assert.Equal(fromEval.Timestamp, fromJson.Timestamp);
        Assert.Equal(0.0, Assert.Single(fromJson.Scores));
        Assert.Equal("BpiPFmbVcMCRUAXv8ovCTx", fromJson.RunId);
        Assert.Equal("ollama/llama3.1", fromJson.ModelId);
        Assert.Equal("0.3.41.dev123+g9ad2119a.d20241015", fromEval.Provenance!.ToolVersion);
    }

    [Fact]
    public void Inspect_JsonLog_ThreeSamples()
    {
        var f = RunFrameFile.Read(PopularityJson);
        Assert.Equal(new[] { "1", "2", "3" }, f.ItemIds);
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, f.Scores);
        Assert.Equal("0.3.95.dev16+g6527d0861", f.Provenance!.ToolVersion);
    }

    [Fact]
    public void Inspect_UnfinishedEvalLog_IsReadFromTheJournal_AndSaysSo()
    {
        // While an evaluation runs, the .eval holds _journal/start.json, the flushed samples and their
        // journal summaries, but no header.json: the run fields come from start.json.
        using var scratch = new Scratch();
        var f = RunFrameFile.Read(InspectEvalLog.WriteFromJson(PopularityJson, scratch.File("running.eval"), finished: false));
        Assert.Equal(new[] { "1", "2", "3" }, f.ItemIds);
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, f.Scores);
        Assert.Equal("openai/gpt-4o-mini", f.ModelId);
        Assert.Contains("the log has no header.json (the evaluation did not finish): run fields from _journal/start.json", f.Provenance!.Notes);
        Assert.DoesNotContain(f.Provenance.Notes, n => n.StartsWith("log status", StringComparison.Ordinal));
    }

    [Fact]
    public void Inspect_Epochs_CountFromZero()
    {
        // Both real logs have one epoch (epoch 1 in the log, epoch 0 in the RunFrame, pinned above). For a
        // second epoch the test adds to the real log a copy of each sample with epoch 2 and the grade flipped.
        var node = JsonNode.Parse(File.ReadAllText(PopularityJson))!.AsObject();
        var samples = node["samples"]!.AsArray();
        foreach (var s in samples.ToList())
        {
            var second = s!.DeepClone().AsObject();
            second["epoch"] = 2;
            second["scores"]!["match"]!["value"] = (string?)s["scores"]!["match"]!["value"] == "C" ? "I" : "C";
            samples.Add(second);
        }

        using var scratch = new Scratch();
        var path = scratch.File("epochs.eval");
        File.WriteAllBytes(path, InspectEvalLog.FromJson(node.ToJsonString()));
        var f = RunFrameFile.Read(path);
        var byKey = f.Items.ToDictionary(i => (i.ItemId, i.Epoch), i => i.Score);
        Assert.Equal(6, f.Count);
        Assert.Equal(new[] { 1.0, 1.0, 0.0 }, new[] { byKey[("1", 0)], byKey[("2", 0)], byKey[("3", 0)] });
        Assert.Equal(new[] { 0.0, 0.0, 1.0 }, new[] { byKey[("1", 1)], byKey[("2", 1)], byKey[("3", 1)] });
    }

    [Fact]
    public void Inspect_SeveralScorers_NeedAChoice()
    {
        // The real JSON log with a second scorer added to each sample by the test (no public log has two).
        var node = JsonNode.Parse(File.ReadAllText(PopularityJson))!;
        foreach (var s in node["samples"]!.AsArray())
        {
            s!["scores"]!["model_graded_fact"] = JsonNode.Parse("{\"value\": \"P\"}");
        }

        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.ReadText(node.ToJsonString()));
        Assert.Contains("scores has scorers 'match', 'model_graded_fact'; choose one with -Scorer or --scorer", ex.Message, StringComparison.Ordinal);
        var graded = RunFrameFile.ReadText(node.ToJsonString(), new RunFrameReadOptions { Metric = "model_graded_fact" });
        Assert.All(graded.Scores, s => Assert.Equal(0.5, s));
        Assert.Equal(RunFrameFileTestsSource.Text, graded.Provenance!.Source);
    }

    [Fact]
    public void Inspect_DictionaryScores_NeedAKey()
    {
        var node = JsonNode.Parse(File.ReadAllText(PopularityJson))!;
        foreach (var s in node["samples"]!.AsArray())
        {
            s!["scores"]!["match"]!["value"] = JsonNode.Parse("{\"accuracy\": 1, \"helpfulness\": \"0.25\"}");
        }

        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.ReadText(node.ToJsonString()));
        Assert.Contains("dictionary of values with keys 'accuracy', 'helpfulness'; choose one with -ScoreKey or --score-key", ex.Message, StringComparison.Ordinal);
        var f = RunFrameFile.ReadText(node.ToJsonString(), new RunFrameReadOptions { ScoreKey = "helpfulness" });
        Assert.All(f.Scores, s => Assert.Equal(0.25, s));
        Assert.Equal("match/helpfulness", f.MetricName);
    }

    [Fact]
    public void Helm_Bbq_ChosenStatPerInstance_WithSplits_AndNoRunSpec()
    {
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(BbqGemini));
        Assert.Contains("'exact_match', 'exact_match@5'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("choose one with -Stat or --stat", ex.Message, StringComparison.Ordinal);

        var gemini = RunFrameFile.Read(BbqGemini, new RunFrameReadOptions { Metric = "exact_match" });
        Assert.Equal(new[] { "id58485", "id58351" }, gemini.ItemIds);
        Assert.Equal(new[] { 0.0, 0.0 }, gemini.Scores);
        Assert.Equal("test", gemini.GetItem(0).Metadata["split"]);
        Assert.Equal(RunFrameFormat.Helm, gemini.Provenance!.Format);

        // The folder has no run_spec.json (the index does not serve it): run id from the folder name, model and task unknown.
        Assert.Equal("bbq_google_gemini-1.5-pro-001", gemini.RunId);
        Assert.Equal("unknown", gemini.ModelId);
        Assert.Equal("unknown", gemini.TaskId);
        Assert.Contains("no run_spec.json: run id from the folder name, model 'unknown'", gemini.Provenance.Notes);
        Assert.Equal(new[] { 71.0, 64.0 }, RunFrameFile.Read(Path.Combine(BbqGemini, "per_instance_stats.json"), new RunFrameReadOptions { Metric = "num_prompt_tokens" }).Scores);
    }

    [Fact]
    public void Helm_RunSpec_GivesModelTaskAndRunName()
    {
        var llama = RunFrameFile.Read(RedTeamLlama, new RunFrameReadOptions { Metric = "art_score" });
        Assert.Equal(new[] { "id10944", "id4449" }, llama.ItemIds);
        Assert.Equal(new[] { 1.0, 0.75 }, llama.Scores);
        Assert.Equal("meta/llama-3-70b", llama.ModelId);
        Assert.Equal("anthropic_red_team", llama.TaskId);
        Assert.Equal("anthropic_red_team_model_meta_llama-3-70b", llama.RunId);
        Assert.Contains(llama.Provenance!.Notes, n => n.Contains("'anthropic_red_team:model=meta_llama-3-70b'", StringComparison.Ordinal));
        Assert.Contains("no scenario_state.json or instances.json: splits are not available as metadata", llama.Provenance.Notes);
    }

    [Fact]
    public void Helm_StatsSpreadOverTwoEntriesPerInstance_AreMerged()
    {
        var art = RunFrameFile.Read(RedTeamQwen, new RunFrameReadOptions { Metric = "art_score" });
        Assert.Equal(new[] { "id10944", "id4449" }, art.ItemIds);
        Assert.Equal(new[] { 1.0, 1.0 }, art.Scores);
        Assert.Equal("test", art.GetItem(1).Metadata["split"]);
        var tokens = RunFrameFile.Read(RedTeamQwen, new RunFrameReadOptions { Metric = "num_prompt_tokens" });
        Assert.Equal(new[] { 4.0, 27.0 }, tokens.Scores);
        Assert.Equal(new[] { 1.0, 0.5 }, RunFrameFile.Read(RedTeamLlama, new RunFrameReadOptions { Metric = "art_gpt_score" }).Scores);
    }

    [Fact]
    public void Helm_Perturbations_AreKeptApartFromTheUnperturbedInstance()
    {
        // A real run with one perturbed entry added by the test: no public HELM run in reach has perturbations.
        using var scratch = new Scratch();
        foreach (var file in Directory.GetFiles(BbqGemini))
        {
            File.Copy(file, Path.Combine(scratch.Path, Path.GetFileName(file)));
        }

        var stats = JsonNode.Parse(File.ReadAllText(Path.Combine(scratch.Path, "per_instance_stats.json")))!.AsArray();
        var perturbed = JsonNode.Parse(stats[0]!.ToJsonString())!;
        perturbed["perturbation"] = JsonNode.Parse("{\"name\": \"typo\", \"robustness\": true, \"fairness\": false, \"computed_on\": \"perturbed\", \"prob\": 0.1}");
        foreach (var s in perturbed["stats"]!.AsArray())
        {
            if ((string?)s!["name"]!["name"] == "exact_match")
            {
                s["mean"] = 1.0;
            }
        }

        stats.Add(perturbed);
        File.WriteAllText(Path.Combine(scratch.Path, "per_instance_stats.json"), stats.ToJsonString());
        var plain = RunFrameFile.Read(scratch.Path, new RunFrameReadOptions { Metric = "exact_match" });
        Assert.Equal(new[] { 0.0, 0.0 }, plain.Scores);
        Assert.Contains(plain.Provenance!.Notes, n => n.Contains("left out the entries of perturbation(s) 'typo'", StringComparison.Ordinal));
        var typo = RunFrameFile.Read(scratch.Path, new RunFrameReadOptions { Metric = "exact_match", Perturbation = "typo" });
        Assert.Equal("id58485", Assert.Single(typo.ItemIds));
        Assert.Equal(1.0, Assert.Single(typo.Scores));
        Assert.Equal("exact_match/typo", typo.MetricName);
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(BbqGemini, new RunFrameReadOptions { Metric = "exact_match", Perturbation = "typo" }));
        Assert.Contains("this run has no perturbed instances", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lm-eval/negotiationtom-qwen3-8b/samples_negotiationtom_intention_2026-07-08T16-04-34.219874.jsonl", RunFrameFormat.LmEval)]
    [InlineData("inspect/2025-05-12T20-28-13-04-00_popularity.json", RunFrameFormat.Inspect)]
    public void Detection_FromContent_WorksOnAStreamWithoutAName(string relative, RunFrameFormat expected)
    {
        // An unseekable stream named "-" (no extension): the content alone decides.
        using var pipe = new UnseekableStream(File.ReadAllBytes(HarnessData.Path(relative.Split('/'))));
        var f = RunFrameFile.Read(pipe, "-", new RunFrameReadOptions { Metric = expected == RunFrameFormat.LmEval ? "exact_match" : null });
        Assert.Equal(expected, f.Provenance!.Format);
        Assert.Equal("-", f.Provenance.Source);
    }

    [Fact]
    public void Detection_AnEvalZipOnAnUnseekableStream_IsReadAsInspect()
    {
        // The .eval container built from the real log_formats.json, piped without a name.
        using var pipe = new UnseekableStream(InspectEvalLog.FromJson(File.ReadAllText(LogFormatsJson)));
        var f = RunFrameFile.Read(pipe, "-");
        Assert.Equal(RunFrameFormat.Inspect, f.Provenance!.Format);
        Assert.Equal("-", f.Provenance.Source);
        Assert.Equal(new[] { "1" }, f.ItemIds);
        Assert.Equal("BpiPFmbVcMCRUAXv8ovCTx", f.RunId);
    }

    [Fact]
    public void HelmFromStandardInput_IsUnsupported_WithAReason()
    {
        using var pipe = new UnseekableStream(File.ReadAllBytes(Path.Combine(BbqGemini, "per_instance_stats.json")));
        var ex = Assert.Throws<EvalSigException>(() => RunFrameFile.Read(pipe, "-"));
        Assert.Equal(EvalSigError.RunFrameUnsupported, ex.Error);
        Assert.Contains("give the run folder's path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunFrameJson_FromAnUnseekableStream_ReadsLikeTheFile()
    {
        var path = Path.Combine(TestPaths.RepoRoot, "examples", "candidate.json");
        using var pipe = new UnseekableStream(File.ReadAllBytes(path));
        var fromPipe = RunFrameFile.Read(pipe, "-");
        var fromFile = RunFrameFile.Read(path);
        Assert.Equal(fromFile.ItemIds, fromPipe.ItemIds);
        Assert.Equal(fromFile.Scores, fromPipe.Scores);
        Assert.Equal(RunFrameFormat.Json, fromPipe.Provenance!.Format);
    }

    [Fact]
    public void RunFrameText_IsReadAsContent()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "examples", "baseline.json"));
        Assert.True(RunFrameFile.LooksLikeContent(text));
        Assert.False(RunFrameFile.LooksLikeContent("baseline.json"));
        Assert.Equal(RunFrameFile.Read(Path.Combine(TestPaths.RepoRoot, "examples", "baseline.json")).Scores, RunFrameFile.ReadText(text).Scores);
    }
}

internal static class RunFrameFileTestsSource
{
    public const string Text = RunFrameFile.TextSource;
}

/// <summary>A stream that cannot seek, like a pipe or standard input.</summary>
internal sealed class UnseekableStream : MemoryStream
{
    public UnseekableStream(byte[] bytes)
        : base(bytes, writable: false)
    {
    }

    public override bool CanSeek => false;

    public override long Position
    {
        get => base.Position;
        set => throw new NotSupportedException("unseekable");
    }

    public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException("unseekable");

    public override long Length => throw new NotSupportedException("unseekable");
}
