using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 3 targets (2 cores): analytic methods over 1,000,000 pairs under 50 ms after loading;
/// cluster bootstrap, 10,000 resamples, 100,000 items in 20,000 clusters under 1 s; paired
/// permutation, 10,000 resamples over 100,000 items under 2 s.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 7)]
public class GateBenchmarks
{
    private RunFrame _b1M = null!;
    private RunFrame _c1M = null!;
    private RunFrame _bBin1M = null!;
    private RunFrame _cBin1M = null!;
    private RunFrame _b100k = null!;
    private RunFrame _c100k = null!;
    private double[] _d1M = Array.Empty<double>();
    private int[] _cluster1M = Array.Empty<int>();

    [GlobalSetup]
    public void Setup()
    {
        (_b1M, _c1M) = Pair(1_000_000, clusterSize: 5, binary: false);
        (_bBin1M, _cBin1M) = Pair(1_000_000, clusterSize: 0, binary: true);
        (_b100k, _c100k) = Pair(100_000, clusterSize: 5, binary: false); // 20,000 clusters
        _d1M = _c1M.Scores.Zip(_b1M.Scores, (c, b) => c - b).ToArray();
        _cluster1M = Enumerable.Range(0, 1_000_000).Select(i => i / 5).ToArray();
    }

    private static (RunFrame, RunFrame) Pair(int n, int clusterSize, bool binary)
    {
        var rng = new Random(n + clusterSize);
        var ids = Enumerable.Range(0, n).Select(i => "q" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var clusters = clusterSize > 0 ? Enumerable.Range(0, n).Select(i => (string?)("p" + (i / clusterSize))).ToArray() : null;
        var b = new double[n];
        var c = new double[n];
        for (var i = 0; i < n; i++)
        {
            b[i] = binary ? (rng.NextDouble() < 0.6 ? 1 : 0) : rng.NextDouble();
            c[i] = binary ? (rng.NextDouble() < 0.1 ? 1 - b[i] : b[i]) : Math.Clamp(b[i] + 0.01 + (0.1 * (rng.NextDouble() - 0.5)), 0, 1);
        }

        return (RunFrame.Create("b", "m", "t", "acc", ids, b, clusters), RunFrame.Create("c", "m", "t", "acc", ids, c, clusters));
    }

    /// <summary>The statistics alone on 1,000,000 paired differences.</summary>
    [Benchmark]
    public double PairedT_1M_Differences() => AnalyticTests.PairedT(_d1M, 0.05, Alternative.Greater).PValue;

    [Benchmark]
    public double ClusteredT_1M_Differences() => AnalyticTests.ClusteredT(_d1M, _cluster1M, 200_000, 0.05, Alternative.Greater).PValue;

    /// <summary>Pairing by item_id (a hash join of 1,000,000 string ids) plus the method.</summary>
    [Benchmark]
    public double Compare_PairedT_1M() => EvalComparer.Compare(_b1M, _c1M, new InferenceOptions { Method = InferenceMethod.PairedT, NoCluster = true }).PValue;

    [Benchmark]
    public double Compare_ClusteredT_1M() => EvalComparer.Compare(_b1M, _c1M, new InferenceOptions { Method = InferenceMethod.ClusteredT }).PValue;

    [Benchmark]
    public double Compare_McNemar_1M() => EvalComparer.Compare(_bBin1M, _cBin1M, new InferenceOptions { Method = InferenceMethod.McNemarExact }).PValue;

    [Benchmark]
    public double ClusterBootstrap_10k_100kItems_20kClusters() => EvalComparer.Compare(_b100k, _c100k, new InferenceOptions { Method = InferenceMethod.ClusterBootstrap, Resamples = 10_000 }).PValue;

    [Benchmark]
    public double PairedPermutation_10k_100kItems() => EvalComparer.Compare(_b100k, _c100k, new InferenceOptions { Method = InferenceMethod.PairedPermutation, Resamples = 10_000, NoCluster = true }).PValue;
}
