using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 5 targets: save a 1,000,000-item run under 2 s; Import-EvalRun of it under 1 s;
/// Get-EvalHistory over a project with 10,000 runs under 200 ms.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class RunStoreBenchmarks
{
    private string _dir = string.Empty;
    private RunFrame _frame = null!;
    private EvalRunStore _store = null!;
    private int _saves;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-store-bench-").FullName;
        var rng = new Random(5);
        var n = 1_000_000;
        _frame = RunFrame.Create(
            "big", "acme-7b", "mmlu-pro", "accuracy",
            Enumerable.Range(0, n).Select(i => "q" + i.ToString("D7", CultureInfo.InvariantCulture)).ToArray(),
            Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray(),
            Enumerable.Range(0, n).Select(i => (string?)("p" + (i / 5).ToString(CultureInfo.InvariantCulture))).ToArray(),
            metadataJson: Enumerable.Range(0, n).Select(i => i % 10 == 0 ? "{\"subject\":\"law\"}" : null).ToArray(),
            timestamp: new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        _store = new EvalRunStore(_dir);
        _store.Save("load", _frame, false);

        // A project with 10,000 runs: the manifest as 10,000 saves would leave it.
        var sb = new StringBuilder("{\n  \"project_id\": \"busy\",\n  \"version\": 1,\n  \"runs\": [\n");
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10_000; i++)
        {
            var ts = start.AddHours(i);
            sb.Append(CultureInfo.InvariantCulture, $"    {{\"run_id\":\"run-{i:D5}\",\"model_id\":\"model-{i % 7}\",\"task_id\":\"mmlu-pro\",\"metric_name\":\"accuracy\",\"ts\":\"{ts:yyyy-MM-dd'T'HH:mm:ss}.000000Z\",\"path\":\"year={ts:yyyy}/month={ts:MM}/run_id=run-{i:D5}.parquet\",\"n_items\":12000,\"config_hash\":\"cfg\",\"delta\":0.01,\"p_value\":0.03,\"verdict\":\"{(i % 3 == 0 ? "ALLOW" : "INCONCLUSIVE")}\",\"parent_run_id\":\"base\",\"version\":1,\"superseded\":false,\"content_sha256\":\"{i:x64}\",\"saved_at\":\"{ts:yyyy-MM-dd'T'HH:mm:ss}.000000Z\"}}{(i < 9_999 ? "," : string.Empty)}\n");
        }

        sb.Append("  ]\n}\n");
        Directory.CreateDirectory(Path.Combine(_dir, "busy"));
        File.WriteAllText(Path.Combine(_dir, "busy", EvalRunStore.ManifestFileName), sb.ToString());
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    /// <summary>A new 1,000,000-item run each time (a new run id): content hash, Parquet write, manifest update.</summary>
    [Benchmark]
    public int Save_1M()
    {
        var f = _frame;
        var fresh = f.WithHeader(f.Header with { RunId = "big-" + (_saves++).ToString(CultureInfo.InvariantCulture) });
        var r = _store.Save("save", fresh, force: false);
        return r.Outcome == SaveOutcome.Saved ? r.Run.NItems : throw new InvalidOperationException("not a fresh save");
    }

    [Benchmark]
    public int ImportEvalRun_1M() => _store.Load("load", "big").Count;

    [Benchmark]
    public int GetEvalHistory_10kRuns() => _store.History("busy").Count;
}
