using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DuckDB.NET.Data;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.ObjectStorage;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>The run store in object storage, against Azurite and s3rver.</summary>
public class ObjectRunStoreTests
{
    private static RunFrame Frame(string runId, double shift = 0, DateTimeOffset? ts = null, int n = 40)
    {
        var ids = Enumerable.Range(0, n).Select(i => "q" + i).ToArray();
        var scores = Enumerable.Range(0, n).Select(i => ((i * 7) % 10 / 10.0) + shift).ToArray();
        var clusters = Enumerable.Range(0, n).Select(i => (string?)("c" + (i / 5))).ToArray();
        return RunFrame.Create(runId, "model-" + runId, "task-a", "accuracy", ids, scores, clusters, null, null, configHash: "cfg1", timestamp: ts);
    }

    [Fact]
    public void SaveHistoryLoad_RoundTrip_WithUnchangedConflictAndForcedVersion()
    {
        var root = Emulated.Location(Emulated.Azurite, "runs");
        var store = RunStores.Open(root);
        var ts = new DateTimeOffset(2026, 3, 15, 10, 30, 0, TimeSpan.Zero);
        var saved = store.Save("chat", Frame("r1", ts: ts), force: false);
        Assert.Equal(SaveOutcome.Saved, saved.Outcome);
        Assert.StartsWith("az://runs/", saved.Run.Path, StringComparison.Ordinal);
        Assert.Contains("/chat/year=2026/month=03/run_id=r1.parquet", saved.Run.Path, StringComparison.Ordinal);
        Assert.Equal(SaveOutcome.Unchanged, store.Save("chat", Frame("r1", ts: ts), force: false).Outcome);
        Assert.Equal(EvalSigError.RunAlreadyExists, Assert.Throws<EvalSigException>(() => store.Save("chat", Frame("r1", 0.1, ts), force: false)).Error);

        var v2 = store.Save("chat", Frame("r1", 0.1, ts.AddMonths(1)), force: true);
        Assert.Equal(SaveOutcome.NewVersion, v2.Outcome);
        Assert.Equal(2, v2.Run.Version);
        var all = store.History("chat", new HistoryQuery { IncludeSuperseded = true });
        Assert.Equal(2, all.Count);
        Assert.EndsWith(".v1.superseded", all.Single(r => r.Superseded).Path.Split('?')[0], StringComparison.Ordinal);
        Assert.Single(store.History("chat"));
        var loaded = store.Load("chat", "r1");
        Assert.Equal(Frame("r1", 0.1).ScoreArray, loaded.ScoreArray);
        Assert.Equal("chat", loaded.ProjectId);
        Assert.Equal(loaded.ScoreArray, RunStores.ReadPath(v2.Run.Path).ScoreArray);
        Assert.Equal(Frame("r1").ScoreArray, RunStores.ReadPath(all.Single(r => r.Superseded).Path).ScoreArray);
        Assert.Equal(new[] { "chat" }, store.Projects());
    }

    [Fact]
    public void ConcurrentSaves_IntoOneProject_NeverLoseOne()
    {
        var root = Emulated.Location(Emulated.Azurite, "runs");
        var results = new ConcurrentBag<SaveOutcome>();
        Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
        {
            var store = RunStores.Open(root);
            results.Add(store.Save("busy", Frame("run" + i, i / 100.0), force: false).Outcome);
        });
        Assert.All(results, o => Assert.Equal(SaveOutcome.Saved, o));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "run" + i), RunStores.Open(root).History("busy").Select(r => r.RunId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheBucketLayout_IsReadByDuckDb_CurrentVersionsOnly()
    {
        using var s = new Scratch();
        var root = Emulated.Location(Emulated.Azurite, "runs");
        var store = RunStores.Open(root);
        store.Save("p", Frame("a", ts: new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero)), false);
        store.Save("p", Frame("b", 0.2, new DateTimeOffset(2026, 2, 5, 0, 0, 0, TimeSpan.Zero)), false);
        store.Save("p", Frame("b", 0.3, new DateTimeOffset(2026, 2, 6, 0, 0, 0, TimeSpan.Zero)), true);

        // A byte-for-byte copy of the objects under the project (as `azcopy`/`aws s3 sync` would make).
        var location = ObjectStoreLocation.Parse(root);
        using var raw = Emulated.Raw(root);
        foreach (var o in raw.List(location.KeyRoot + "p/", null, default))
        {
            var target = Path.Combine(s.Path, o.Name[location.KeyRoot.Length..].Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllBytes(target, raw.Read(o.Name, default)!.Bytes);
        }

        Assert.Single(Directory.GetFiles(s.Path, "*.superseded", SearchOption.AllDirectories));
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT run_id, month, count(*), round(avg(score), 6) FROM read_parquet('{Path.Combine(s.Path, "p").Replace("'", "''", StringComparison.Ordinal)}/**/*.parquet', hive_partitioning=true) GROUP BY ALL ORDER BY run_id";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal("a", r.GetString(0));
        Assert.True(r.Read());
        Assert.Equal("b", r.GetString(0));
        Assert.Equal(Math.Round(Frame("b", 0.3).ScoreArray.Average(), 6), Convert.ToDouble(r.GetValue(3), System.Globalization.CultureInfo.InvariantCulture), 6);
        Assert.False(r.Read());
    }

    [Fact]
    public void S3rver_IgnoresConditions_SoSavesAreRefused_UnlessSingleWriter()
    {
        var multi = Emulated.Location(Emulated.S3rver, "runs");
        Assert.Equal(EvalSigError.StorageUnsafe, Assert.Throws<EvalSigException>(() => RunStores.Open(multi).Save("p", Frame("a"), false)).Error);
        var single = Emulated.Location(Emulated.S3rver, "runs", "writers=single");
        var store = RunStores.Open(single);
        Assert.Equal(SaveOutcome.Saved, store.Save("p", Frame("a"), false).Outcome);
        Assert.Equal(Frame("a").ScoreArray, store.Load("p", "a").ScoreArray);
        Assert.StartsWith("s3://runs/", store.History("p").Single().Path, StringComparison.Ordinal);
    }
}
