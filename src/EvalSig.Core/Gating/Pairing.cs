using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;

namespace EvalSig.Core.Gating;

/// <summary>Baseline and candidate joined on item_id at epoch 0, with clusters resolved.</summary>
internal sealed class PairedRuns
{
    public required double[] Baseline { get; init; }

    public required double[] Candidate { get; init; }

    /// <summary>d = candidate - baseline, in baseline order.</summary>
    public required double[] Differences { get; init; }

    /// <summary>Dense cluster index per pair (0..G-1), or null when clusters are not in play.</summary>
    public int[]? Cluster { get; init; }

    public int ClusterCount { get; init; }

    /// <summary>The key the clusters came from (cluster_id or a metadata key), or null.</summary>
    public string? ClusterKey { get; init; }

    /// <summary>Whether the data carries clusters at all (even when -NoCluster ignores them).</summary>
    public bool DataHasClusters { get; init; }

    public int OnlyInBaseline { get; init; }

    public int OnlyInCandidate { get; init; }

    public required List<string> Notes { get; init; }

    /// <summary>True for an unpaired comparison: Baseline and Candidate hold each run's epoch-0 scores, Differences is empty.</summary>
    public bool Unpaired { get; init; }

    public int Count => Differences.Length;
}

internal static class Pairing
{
    public const string DefaultClusterKey = "cluster_id";

    /// <summary>
    /// Inner join on item_id, epoch 0 only; the baseline's cluster wins where the runs disagree.
    /// Clusters are used whenever the data has them (opt-out with noCluster).
    /// </summary>
    public static PairedRuns Pair(RunFrame baseline, RunFrame candidate, string? clusterKey, bool noCluster)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var notes = new List<string>();
        var baseIds = baseline.ItemIdArray;
        var baseEpochs = baseline.EpochArray;
        var candIds = candidate.ItemIdArray;
        var candEpochs = candidate.EpochArray;
        List<int> pairsBase, pairsCand;
        int otherEpochs, baseEpoch0, candEpoch0;
        if (Aligned(baseIds, baseEpochs, candIds, candEpochs))
        {
            // The common case: both runs list the same items in the same order at epoch 0.
            pairsBase = new List<int>(baseIds.Length);
            for (var i = 0; i < baseIds.Length; i++)
            {
                pairsBase.Add(i);
            }

            pairsCand = pairsBase;
            (otherEpochs, baseEpoch0, candEpoch0) = (0, baseIds.Length, candIds.Length);
        }
        else
        {
            (pairsBase, pairsCand, otherEpochs, baseEpoch0, candEpoch0) = HashJoin(baseIds, baseEpochs, candIds, candEpochs);
        }

        var n = pairsBase.Count;
        if (n == 0)
        {
            throw new EvalSigException(
                EvalSigError.NoOverlappingItems,
                EvalSigErrorKind.InvalidData,
                $"The baseline '{baseline.RunId}' ({baseEpoch0} items at epoch 0) and the candidate '{candidate.RunId}' ({candEpoch0} items at epoch 0) share no item_id, so there is nothing to compare. Check that both runs score the same items.",
                candidate.RunId);
        }

        if (otherEpochs > 0)
        {
            notes.Add(Invariant($"{otherEpochs} item(s) with epoch other than 0 were ignored; pairing uses epoch 0 only."));
        }

        var onlyBase = baseEpoch0 - n;
        var onlyCand = candEpoch0 - n;
        if (n < 0.95 * Math.Max(baseEpoch0, candEpoch0))
        {
            notes.Add(Invariant($"Low coverage: {n} items paired; {onlyBase} only in baseline, {onlyCand} only in candidate."));
        }

        var b = new double[n];
        var c = new double[n];
        var d = new double[n];
        var bs = baseline.ScoreArray;
        var cs = candidate.ScoreArray;
        for (var k = 0; k < n; k++)
        {
            b[k] = bs[pairsBase[k]];
            c[k] = cs[pairsCand[k]];
            d[k] = c[k] - b[k];
        }

        var key = clusterKey ?? DefaultClusterKey;
        var labels = ClusterLabels(baseline, candidate, pairsBase, pairsCand, key, notes, out var dataHasClusters);
        if (labels is null && clusterKey is not null && clusterKey != DefaultClusterKey)
        {
            throw new EvalSigException(
                EvalSigError.ClusterKeyNotFound,
                EvalSigErrorKind.InvalidArgument,
                $"No paired item has a cluster key '{clusterKey}': it is neither cluster_id nor a metadata key (or CSV/Parquet column) of the baseline '{baseline.RunId}'.",
                clusterKey);
        }

        if (labels is null || noCluster)
        {
            if (noCluster && dataHasClusters)
            {
                notes.Add($"Clusters ('{key}') ignored by request (-NoCluster): the standard error treats items as independent and is likely understated.");
            }

            return new PairedRuns { Baseline = b, Candidate = c, Differences = d, Notes = notes, OnlyInBaseline = onlyBase, OnlyInCandidate = onlyCand, DataHasClusters = dataHasClusters };
        }

        var dense = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = new int[n];
        var singletons = 0;
        for (var k = 0; k < n; k++)
        {
            var label = labels[k];
            if (label is null)
            {
                // An item with no cluster is a cluster of its own.
                singletons++;
                label = "\u0000item:" + baseIds[pairsBase[k]];
            }

            if (!dense.TryGetValue(label, out var id))
            {
                id = dense.Count;
                dense.Add(label, id);
            }

            index[k] = id;
        }

        if (singletons > 0)
        {
            notes.Add(Invariant($"{singletons} paired item(s) have no '{key}'; each counts as its own cluster."));
        }

        return new PairedRuns
        {
            Baseline = b,
            Candidate = c,
            Differences = d,
            Cluster = index,
            ClusterCount = dense.Count,
            ClusterKey = key,
            DataHasClusters = true,
            Notes = notes,
            OnlyInBaseline = onlyBase,
            OnlyInCandidate = onlyCand,
        };
    }

    private static bool Aligned(string[] baseIds, int[] baseEpochs, string[] candIds, int[] candEpochs)
    {
        if (baseIds.Length != candIds.Length)
        {
            return false;
        }

        for (var i = 0; i < baseIds.Length; i++)
        {
            if (baseEpochs[i] != 0 || candEpochs[i] != 0 || !string.Equals(baseIds[i], candIds[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Inner join on item_id at epoch 0, in baseline order.</summary>
    private static (List<int> Base, List<int> Cand, int OtherEpochs, int BaseEpoch0, int CandEpoch0) HashJoin(string[] baseIds, int[] baseEpochs, string[] candIds, int[] candEpochs)
    {
        var candIndex = new Dictionary<string, int>(candIds.Length, StringComparer.Ordinal);
        var otherEpochs = 0;
        for (var i = 0; i < candIds.Length; i++)
        {
            if (candEpochs[i] == 0)
            {
                candIndex[candIds[i]] = i;
            }
            else
            {
                otherEpochs++;
            }
        }

        var pairsBase = new List<int>(Math.Min(baseIds.Length, candIndex.Count));
        var pairsCand = new List<int>(pairsBase.Capacity);
        var baseEpoch0 = 0;
        for (var i = 0; i < baseIds.Length; i++)
        {
            if (baseEpochs[i] != 0)
            {
                otherEpochs++;
                continue;
            }

            baseEpoch0++;
            if (candIndex.TryGetValue(baseIds[i], out var j))
            {
                pairsBase.Add(i);
                pairsCand.Add(j);
            }
        }

        return (pairsBase, pairsCand, otherEpochs, baseEpoch0, candIndex.Count);
    }

    /// <summary>Cluster label per pair from cluster_id or a metadata key; null when no pair has one.</summary>
    private static string?[]? ClusterLabels(RunFrame baseline, RunFrame candidate, List<int> pairsBase, List<int> pairsCand, string key, List<string> notes, out bool any)
    {
        var n = pairsBase.Count;
        var labels = new string?[n];
        any = false;
        var disagree = 0;
        for (var k = 0; k < n; k++)
        {
            var fromBase = Label(baseline, pairsBase[k], key);
            var fromCand = Label(candidate, pairsCand[k], key);
            if (!string.Equals(fromBase, fromCand, StringComparison.Ordinal))
            {
                disagree++;
            }

            labels[k] = fromBase;
            any |= fromBase is not null;
        }

        if (disagree > 0 && any)
        {
            notes.Add(Invariant($"The runs disagree on '{key}' for {disagree} paired item(s); the baseline's value was used."));
        }

        return any ? labels : null;
    }

    private static string? Label(RunFrame frame, int i, string key)
    {
        if (key == DefaultClusterKey)
        {
            return frame.ClusterIdArray[i];
        }

        var meta = frame.MetadataArray[i];
        if (meta is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(meta);
        if (!doc.RootElement.TryGetProperty(key, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
    }

    /// <summary>Each run's epoch-0 scores, for an unpaired comparison.</summary>
    public static PairedRuns Unpaired(RunFrame baseline, RunFrame candidate, List<string> notes)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        static double[] Epoch0(RunFrame f)
        {
            var scores = new List<double>(f.Count);
            for (var i = 0; i < f.Count; i++)
            {
                if (f.EpochArray[i] == 0)
                {
                    scores.Add(f.ScoreArray[i]);
                }
            }

            return scores.ToArray();
        }

        var b = Epoch0(baseline);
        var c = Epoch0(candidate);
        if (b.Length == 0 || c.Length == 0)
        {
            throw new EvalSigException(EvalSigError.NoOverlappingItems, EvalSigErrorKind.InvalidData, $"The {(b.Length == 0 ? "baseline" : "candidate")} has no items at epoch 0, so there is nothing to compare.", b.Length == 0 ? baseline.RunId : candidate.RunId);
        }

        var otherEpochs = (baseline.Count - b.Length) + (candidate.Count - c.Length);
        if (otherEpochs > 0)
        {
            notes.Add(Invariant($"{otherEpochs} item(s) with epoch other than 0 were ignored; comparison uses epoch 0 only."));
        }

        return new PairedRuns { Baseline = b, Candidate = c, Differences = Array.Empty<double>(), Notes = notes, Unpaired = true, OnlyInBaseline = b.Length, OnlyInCandidate = c.Length };
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
