using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.RunFrames;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>Issue 2 targets: 1,000,000-item JSON (~100 MB) under 3 s; Parquet of the same under 1 s.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class RunFrameImportBenchmarks
{
    private string _dir = string.Empty;
    private string _json = string.Empty;
    private string _parquet = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-bench-").FullName;
        _json = SyntheticRuns.WriteJson(Path.Combine(_dir, "run.json"), 1_000_000);
        _parquet = Path.Combine(_dir, "run.parquet");
        RunFrameFile.Write(RunFrameFile.Read(_json), _parquet, RunFrameFormat.Parquet);
        Console.WriteLine($"// JSON file: {new FileInfo(_json).Length / 1e6:F1} MB, Parquet: {new FileInfo(_parquet).Length / 1e6:F1} MB");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    [Benchmark]
    public int ImportJson_1M() => RunFrameFile.Read(_json).Count;

    [Benchmark]
    public int ImportParquet_1M() => RunFrameFile.Read(_parquet).Count;
}
