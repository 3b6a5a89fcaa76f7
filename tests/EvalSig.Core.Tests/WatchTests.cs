using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Sequential;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Core.Tests;

public class WatchTests
{
    [Fact]
    public void Simulation_Small_TypeIError_StaysAtAlpha_WhilePeekedTTestDoesNot()
    {
        // 400 seeded null streams of 300 items, a look after every item (docs/methodology.md has the full study).
        var rows = WatchSimulation.Run(WatchSimulation.NullSettings.Take(2), streams: 400, items: 300, seed: 14);
        foreach (var r in rows)
        {
            var bound = 0.05 + (2 * r.McSe);
            Assert.True(r.BettingRate <= bound, $"{r.Setting}: betting {r.BettingRate} > {bound}");
            Assert.True(r.AsymptoticRate <= bound, $"{r.Setting}: asymptotic {r.AsymptoticRate} > {bound}");
            Assert.True(r.PeekedTRate > bound, $"{r.Setting}: the peeked t-test should exceed alpha visibly, got {r.PeekedTRate}");
        }
    }

    [Fact]
    public void Simulation_IsReproducible_ForASeed()
    {
        var a = WatchSimulation.Run(WatchSimulation.NullSettings.Take(1), streams: 50, items: 100, seed: 7);
        var b = WatchSimulation.Run(WatchSimulation.NullSettings.Take(1), streams: 50, items: 100, seed: 7);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(SequenceKind.Betting)]
    [InlineData(SequenceKind.Asymptotic)]
    public void ClearImprovement_StopsEarly_WithAllowImproved(SequenceKind kind)
    {
        var n = 2000;
        var ids = Enumerable.Range(0, n).Select(i => "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var rng = new Random(3);
        var b = ids.Select(_ => rng.NextDouble() < 0.5 ? 1.0 : 0.0).ToArray();
        var c = b.Select(x => x == 1 ? 1.0 : (rng.NextDouble() < 0.5 ? 1.0 : 0.0)).ToArray();
        var report = EvalWatch.Run(RunFrame.Create("b", "m", "t", "acc", ids, b), ids.Select((id, i) => new RunFrameItem(id, c[i], null, 0, null)), new WatchOptions { Sequence = kind });
        Assert.Equal(GateVerdict.ALLOW, report.Verdict);
        Assert.Equal(GateReason.Improved, report.Reason);
        Assert.True(report.StoppedEarly);
        Assert.True(report.Observations < n);
        Assert.True(report.Comparison.CiLower > 0);
        Assert.True(report.Comparison.PValue <= 0.05);
        Assert.Equal(kind == SequenceKind.Betting ? "betting_cs" : "asymptotic_cs", report.Comparison.Method);
    }

    [Fact]
    public void ClearRegression_IsRejectRegressed()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var report = EvalWatch.Run(RunFrame.Create("b", "m", "t", "acc", ids, ids.Select(_ => 1.0).ToArray()), ids.Select((id, i) => new RunFrameItem(id, i % 3 == 0 ? 1.0 : 0.0, null, 0, null)), new WatchOptions());
        Assert.Equal(GateVerdict.REJECT, report.Verdict);
        Assert.Equal(GateReason.Regressed, report.Reason);
        Assert.True(report.Comparison.CiUpper < 0);
    }

    [Fact]
    public void StreamThatEndsUndecided_IsInconclusive_StreamEnded()
    {
        var ids = new[] { "a", "b", "c" };
        var report = EvalWatch.Run(RunFrame.Create("b", "m", "t", "acc", ids, new[] { 1.0, 0, 1 }), new[] { new RunFrameItem("a", 1, null, 0, null), new RunFrameItem("zz", 1, null, 0, null), new RunFrameItem("a", 0, null, 0, null) }, new WatchOptions());
        Assert.Equal(GateVerdict.INCONCLUSIVE, report.Verdict);
        Assert.Equal(GateReason.StreamEnded, report.Reason);
        Assert.Equal(3, report.ItemsRead);
        Assert.Equal(1, report.Matched);
        Assert.Equal(1, report.Unmatched);
        Assert.Equal(1, report.Duplicates);
        var json = JsonDocument.Parse(WatchReportText.Json(report)).RootElement;
        Assert.Equal("INCONCLUSIVE", json.GetProperty("verdict").GetString());
        Assert.Equal(2, json.GetProperty("exit_code").GetInt32());
        Assert.Equal("stream_ended", json.GetProperty("reason").GetString());
        Assert.Equal("betting_cs", json.GetProperty("comparison").GetProperty("method").GetString());
        Assert.Equal(1, json.GetProperty("watch").GetProperty("unmatched").GetInt32());
    }

    [Fact]
    public void ClusteredBaseline_IsWatchedPerCluster()
    {
        var ids = Enumerable.Range(0, 40).Select(i => "q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var clusters = ids.Select((_, i) => (string?)("p" + (i / 4).ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var baseline = RunFrame.Create("b", "m", "t", "acc", ids, ids.Select(_ => 0.0).ToArray(), clusters);
        var session = new WatchSession(baseline, new WatchOptions { Alpha = 0.05 });
        for (var i = 0; i < 7; i++)
        {
            session.Observe(ids[i], 1);
        }

        Assert.Equal(1, session.Progress.Observations);
        Assert.Equal(1, session.Progress.ClustersComplete);
        var report = session.Finish();
        Assert.True(report.ClusterLevel);
        Assert.Equal(10, report.ClustersTotal);
        Assert.Contains(report.Comparison.Notes, n => n.StartsWith("Cluster-level watch", StringComparison.Ordinal));
    }

    [Fact]
    public void Betting_OnScoresOutsideZeroOne_IsRefusedWithTheAlternative()
    {
        var ex = Assert.Throws<EvalSigException>(() => new WatchSession(RunFrame.Create("b", "m", "t", "bleu", new[] { "a" }, new[] { 41.1 }), new WatchOptions()));
        Assert.Equal(EvalSigError.WatchInvalid, ex.Error);
        Assert.Contains("Use -Sequence Asymptotic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_ReadsOnlyCompleteLines_AndLmEvalSamplesLines()
    {
        using var scratch = new Scratch();
        var path = scratch.File("cand.jsonl");
        File.WriteAllText(path, "{\"item_id\": \"a\", \"score\": 1, \"run_id\": \"rc-7\"}\n{\"item_id\": \"b\", \"score\": 0}\n{\"item_id\": \"c\", \"sco");
        var items = WatchFeed.FromFile(path, RunFrameReadOptions.Default, follow: false, idleTimeout: TimeSpan.Zero);
        var ex = Assert.Throws<RunFrameInvalidException>(() => items.ToList());
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        File.WriteAllText(path, "{\"item_id\": \"a\", \"score\": 1, \"run_id\": \"rc-7\"}\n{\"item_id\": \"b\", \"score\": 0}\n");
        var list = items.ToList();
        Assert.Equal(new[] { "a", "b" }, list.Select(i => i.ItemId));
        Assert.Equal("rc-7", items.RunId);

        var lm = WatchFeed.FromFile(HarnessData.Path("lm-eval", "negotiationtom-qwen3-8b", "samples_negotiationtom_intention_2026-07-08T18-15-33.115417.jsonl"), RunFrameReadOptions.Default, false, TimeSpan.Zero).ToList();
        Assert.Equal(20, lm.Count);
        Assert.Equal(4, lm.Count(i => i.Score == 1));
    }

    [Fact]
    public async System.Threading.Tasks.Task Feed_Follow_WaitsForAGrowingFile()
    {
        using var scratch = new Scratch();
        var path = scratch.File("growing.jsonl");
        File.WriteAllText(path, "{\"item_id\": \"a\", \"score\": 1}\n{\"item_id\": \"b\", \"sc");
        var writer = System.Threading.Tasks.Task.Run(async () =>
        {
            await System.Threading.Tasks.Task.Delay(300);
            await File.AppendAllTextAsync(path, "ore\": 0}\n{\"item_id\": \"c\", \"score\": 1}\n");
        });
        var items = await System.Threading.Tasks.Task.Run(() => WatchFeed.FromFile(path, RunFrameReadOptions.Default, follow: true, idleTimeout: TimeSpan.FromSeconds(2), pollInterval: TimeSpan.FromMilliseconds(50)).ToList());
        await writer;
        Assert.Equal(new[] { "a", "b", "c" }, items.Select(i => i.ItemId));
    }
}
