using System;
using System.IO;
using System.Linq;
using DuckDB.NET.Data;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

public class RunStoreTests
{
    private static RunFrame Frame(string runId, double shift = 0, DateTimeOffset? ts = null, int n = 50)
    {
        var ids = Enumerable.Range(0, n).Select(i => "q" + i).ToArray();
        var scores = Enumerable.Range(0, n).Select(i => ((i * 7) % 10 / 10.0) + shift).ToArray();
        var clusters = Enumerable.Range(0, n).Select(i => (string?)("c" + (i / 5))).ToArray();
        var meta = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? "{\"subject\":\"law\",\"n\":" + i + "}" : null).ToArray();
        return RunFrame.Create(runId, "model-" + runId, "task-a", "accuracy", ids, scores, clusters, null, meta, configHash: "cfg1", timestamp: ts);
    }

    [Fact]
    public void Save_WritesThePartitionedLayout_AndAManifest()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        var ts = new DateTimeOffset(2026, 3, 15, 10, 30, 0, TimeSpan.Zero);
        var r = store.Save("mmlu-pro", Frame("run-1", ts: ts), force: false);
        Assert.Equal(SaveOutcome.Saved, r.Outcome);
        Assert.Equal(Path.Combine(s.Path, "mmlu-pro", "year=2026", "month=03", "run_id=run-1.parquet"), r.Run.Path);
        Assert.True(File.Exists(r.Run.Path));
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(s.Path, "mmlu-pro", "manifest.json"))).RootElement;
        Assert.Equal("mmlu-pro", manifest.GetProperty("project_id").GetString());
        var run = manifest.GetProperty("runs")[0];
        foreach (var key in new[] { "run_id", "model_id", "task_id", "metric_name", "ts", "path", "n_items", "config_hash", "delta", "p_value", "verdict", "parent_run_id" })
        {
            Assert.True(run.TryGetProperty(key, out _), key);
        }

        Assert.Equal("year=2026/month=03/run_id=run-1.parquet", run.GetProperty("path").GetString());
        Assert.Equal("2026-03-15T10:30:00.000000Z", run.GetProperty("ts").GetString());
    }

    [Fact]
    public void Load_ReturnsTheRunExactlyAsSaved_WithItsRealTimestamp()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        var original = Frame("run-1");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        store.Save("p", original, false);
        var back = store.Load("p", "run-1");
        Assert.Equal(original.ScoreArray.Select(BitConverter.DoubleToInt64Bits), back.ScoreArray.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(original.ItemIds, back.ItemIds);
        Assert.Equal(original.ClusterIds, back.ClusterIds);
        Assert.Equal(original.MetadataJson, back.MetadataJson);
        Assert.Equal("p", back.ProjectId);
        Assert.True(back.Timestamp > before, "ts is the save time when the run has none - never 1970");
        Assert.Equal(EvalRunStore.ContentHash(original), EvalRunStore.ContentHash(back));
    }

    [Fact]
    public void SameContent_IsANoOp_DifferentContent_IsRefused_AndForceKeepsTheOldFile()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        var first = store.Save("p", Frame("run-1"), false);
        Assert.Equal(SaveOutcome.Unchanged, store.Save("p", Frame("run-1"), false).Outcome);
        var ex = Assert.Throws<EvalSigException>(() => store.Save("p", Frame("run-1", shift: 0.01), false));
        Assert.Equal(EvalSigError.RunAlreadyExists, ex.Error);
        var forced = store.Save("p", Frame("run-1", shift: 0.01), force: true);
        Assert.Equal(SaveOutcome.NewVersion, forced.Outcome);
        Assert.Equal(2, forced.Run.Version);
        var all = store.History("p", new HistoryQuery { IncludeSuperseded = true });
        Assert.Equal(2, all.Count);
        var old = all.Single(r => r.Superseded);
        Assert.True(File.Exists(old.Path), "the superseded version is kept");
        Assert.EndsWith(".v1.superseded", old.Path, StringComparison.Ordinal);
        Assert.Single(store.History("p"));
        Assert.Equal(0.01, store.Load("p", "run-1").ScoreArray[0] - Frame("run-1").ScoreArray[0], 12);
        Assert.Equal(first.Run.Path, forced.Run.Path);
    }

    [Fact]
    public void SaveReport_SavesBothRuns_AndRecordsTheCandidatesVerdict()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        var b = RunFrameFile.Read(TestPaths.Reference("binary-unclustered", "baseline.json"));
        var c = RunFrameFile.Read(TestPaths.Reference("binary-unclustered", "candidate.json"));
        var report = EvalGate.Decide(b, c, new GateOptions { MinDelta = 0.005 });
        var saved = store.SaveReport("gate", report, false);
        Assert.Equal(2, saved.Count);
        var history = store.History("gate");
        var cand = history.Single(r => r.RunId == c.RunId);
        Assert.Equal("ALLOW", cand.Verdict);
        Assert.Equal(report.Comparison.Delta, cand.Delta);
        Assert.Equal(report.Comparison.PValue, cand.PValue);
        Assert.Equal(b.RunId, cand.ParentRunId);
        Assert.Null(history.Single(r => r.RunId == b.RunId).Verdict);
        Assert.Equal(EvalSigError.RunStoreInvalid, Assert.Throws<EvalSigException>(() => store.SaveReport("gate", report with { BaselineRun = null }, false)).Error);
    }

    [Fact]
    public void History_FiltersByInstantModelTaskMetricAndVerdict()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        store.Save("p", Frame("a", ts: new DateTimeOffset(2026, 1, 1, 23, 30, 0, TimeSpan.Zero)), false);
        store.Save("p", Frame("b", ts: new DateTimeOffset(2026, 1, 2, 0, 30, 0, TimeSpan.FromHours(2))), false); // 2026-01-01T22:30Z
        store.Save("p", Frame("c", ts: new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero)), false);
        Assert.Equal(new[] { "b", "a", "c" }, store.History("p").Select(r => r.RunId));
        Assert.Equal(new[] { "b", "a" }, store.History("p", new HistoryQuery { Until = new DateTimeOffset(2026, 1, 1, 23, 59, 0, TimeSpan.Zero) }).Select(r => r.RunId));
        Assert.Equal(new[] { "c" }, store.History("p", new HistoryQuery { Model = "model-c" }).Select(r => r.RunId));
        Assert.Empty(store.History("p", new HistoryQuery { Verdict = "ALLOW" }));
        Assert.Equal(3, store.History("p", new HistoryQuery { Task = "task-a", Metric = "accuracy" }).Count);
        Assert.Equal(EvalSigError.RunNotFound, Assert.Throws<EvalSigException>(() => store.History("nope")).Error);
        Assert.Equal(EvalSigError.RunNotFound, Assert.Throws<EvalSigException>(() => store.Load("p", "zzz")).Error);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("..")]
    [InlineData("/abs")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData("spaces are bad")]
    public void Ids_ThatCouldEscapeTheRoot_AreInvalidIdentifier(string id)
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        Assert.Equal(EvalSigError.InvalidIdentifier, Assert.Throws<EvalSigException>(() => store.Save(id, Frame("ok"), false)).Error);
        if (id.Length > 0)
        {
            var bad = RunFrame.Create(id, "m", "t", "a", new[] { "x" }, new[] { 1.0 });
            Assert.Equal(EvalSigError.InvalidIdentifier, Assert.Throws<EvalSigException>(() => store.Save("p", bad, false)).Error);
        }

        Assert.DoesNotContain(Directory.GetFileSystemEntries(s.Path), e => Path.GetFileName(e) != "p");
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(s.Path)!, "escape*"));
    }

    [Fact]
    public void DuckDb_ReadsTheStore_WithHivePartitioning()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        store.Save("proj", Frame("r1", ts: new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)), false);
        store.Save("proj", Frame("r2", shift: 0.1, ts: new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero)), false);
        store.Save("proj", Frame("r1", shift: 0.2, ts: new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)), force: true); // superseded r1 must not show
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT run_id, count(*), sum(score), min(year), min(month), min(project_id), min(epoch), count(metadata_json), min(ts) FROM read_parquet('{Path.Combine(s.Path, "proj").Replace("'", "''", StringComparison.Ordinal)}/**/*.parquet', hive_partitioning=true) GROUP BY run_id ORDER BY run_id";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal("r1", r.GetString(0));
        Assert.Equal(50, Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(store.Load("proj", "r1").ScoreArray.Sum(), Convert.ToDouble(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(2026L, Convert.ToInt64(r.GetValue(3), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3L, Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("proj", r.GetString(5));
        Assert.Equal(17L, Convert.ToInt64(r.GetValue(7), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new DateTime(2026, 3, 1), Convert.ToDateTime(r.GetValue(8), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(r.Read());
        Assert.Equal("r2", r.GetString(0));
        Assert.Equal(4L, Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(r.Read());
    }

    [Fact]
    public void ConcurrentSavers_DoNotLoseManifestEntries()
    {
        using var s = new Scratch();
        var store = new EvalRunStore(s.Path);
        System.Threading.Tasks.Parallel.For(0, 16, i => new EvalRunStore(s.Path).Save("p", Frame("run-" + i), false));
        Assert.Equal(16, store.History("p").Count);
    }
}

public class ParquetInteropTests
{
    [Fact]
    public void ParquetWrittenByDuckDb_WithExtraColumns_ReadsThemAsMetadata_AndTheyServeAsClusterKeys()
    {
        using var s = new Scratch();
        var path = s.File("duck.parquet");
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"COPY (SELECT 'run-d' AS run_id, 'm' AS model_id, 't' AS task_id, 'acc' AS metric_name, 'q' || i AS item_id, (i % 7) / 7.0 AS score, 'p' || (i // 2) AS passage_id, i::BIGINT AS n, (i % 2 = 0) AS even FROM range(60) t(i)) TO '{path.Replace("'", "''", StringComparison.Ordinal)}' (FORMAT PARQUET)";
            cmd.ExecuteNonQuery();
        }

        var frame = RunFrameFile.Read(path);
        Assert.Equal(60, frame.Count);
        Assert.Equal("p10", frame.GetItem(21).Metadata["passage_id"]);
        Assert.Equal(21L, frame.GetItem(21).Metadata["n"]);
        Assert.Equal(false, frame.GetItem(21).Metadata["even"]);

        var other = RunFrame.Create("c", "m", "t", "acc", frame.ItemIds.ToArray(), frame.Scores.Select(x => x + 0.01).ToArray(), metadataJson: frame.MetadataJson.ToArray());
        var cmp = EvalComparer.Compare(frame, other, new InferenceOptions { ClusterKey = "passage_id" });
        Assert.Equal(30, cmp.NClusters);
    }
}
