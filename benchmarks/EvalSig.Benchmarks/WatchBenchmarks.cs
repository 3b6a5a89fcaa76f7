using System;
using System.Collections.Generic;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Sequential;

namespace EvalSig.Benchmarks;

/// <summary>
/// Watching a 1,000,000-item candidate stream against a 1,000,000-item baseline, looking after every
/// item: O(n) overall and constant memory beyond the baseline (the candidate items are generated on
/// the fly and never stored). A null stream, so the watch reads every item (the worst case).
/// Compare the 100k and 1M rows for linearity; MemoryDiagnoser shows allocations do not grow per item.
/// </summary>
[MemoryDiagnoser]
public class WatchBenchmarks
{
    private RunFrame _baseline1M = null!;
    private RunFrame _baseline100k = null!;
    private string[] _ids = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ids = new string[1_000_000];
        var scores = new double[_ids.Length];
        var rng = new Random(11);
        for (var i = 0; i < _ids.Length; i++)
        {
            _ids[i] = "q" + i.ToString(CultureInfo.InvariantCulture);
            scores[i] = rng.NextDouble() < 0.6 ? 1 : 0;
        }

        _baseline1M = RunFrame.Create("base", "m", "t", "acc", _ids, scores);
        _baseline100k = RunFrame.Create("base", "m", "t", "acc", _ids[..100_000], scores[..100_000]);
    }

    [Benchmark]
    public WatchReport Betting_100k() => EvalWatch.Run(_baseline100k, Stream(100_000), new WatchOptions { Sequence = SequenceKind.Betting });

    [Benchmark]
    public WatchReport Betting_1M() => EvalWatch.Run(_baseline1M, Stream(1_000_000), new WatchOptions { Sequence = SequenceKind.Betting });

    [Benchmark]
    public WatchReport Asymptotic_100k() => EvalWatch.Run(_baseline100k, Stream(100_000), new WatchOptions { Sequence = SequenceKind.Asymptotic });

    [Benchmark]
    public WatchReport Asymptotic_1M() => EvalWatch.Run(_baseline1M, Stream(1_000_000), new WatchOptions { Sequence = SequenceKind.Asymptotic });

    /// <summary>Candidate items generated as they are consumed: the same success rate as the baseline (a null).</summary>
    private IEnumerable<RunFrameItem> Stream(int n)
    {
        var rng = new Random(12);
        for (var i = 0; i < n; i++)
        {
            yield return new RunFrameItem(_ids[i], rng.NextDouble() < 0.6 ? 1 : 0, null, 0, null);
        }
    }
}
