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
    /// <summary>The baseline's paired scores (for aligned runs, the frame's own column, read-only).</summary>
    public required ArraySegment<double> Baseline { get; init; }

    /// <summary>The candidate's paired scores, in baseline order.</summary>
    public required ArraySegment<double> Candidate { get; init; }

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
        var bc = baseline.Columns;
        var cc = candidate.Columns;
        int[]? pairsBase, pairsCand;
        int n, otherEpochs, baseEpoch0, candEpoch0;
        if (bc.Epochs is null && cc.Epochs is null && bc.Ids.ContentEquals(cc.Ids))
        {
            // The common case (issue 16): both runs list the same items in the same order at epoch 0, which
            // one comparison of the id bytes shows. Pair i is item i of both; no index arrays at all.
            (pairsBase, pairsCand, n) = (null, null, bc.Count);
            (otherEpochs, baseEpoch0, candEpoch0) = (0, n, n);
        }
        else
        {
            (pairsBase, pairsCand, n, otherEpochs, baseEpoch0, candEpoch0) = HashJoin(bc, cc);
        }

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

        // Aligned runs share the frames' score arrays (frames are immutable and nothing writes to these);
        // otherwise the paired scores are gathered in baseline order.
        var bs = bc.Scores;
        var cs = cc.Scores;
        ArraySegment<double> b, c;
        if (pairsBase is null)
        {
            (b, c) = (bs, cs);
        }
        else
        {
            var gatheredB = LargeArrays.New<double>(n);
            var gatheredC = LargeArrays.New<double>(n);
            ReadOnlySpan<double> fromB = bs, fromC = cs;
            for (var k = 0; k < n; k++)
            {
                gatheredB[k] = fromB[pairsBase[k]];
                gatheredC[k] = fromC[pairsCand![k]];
            }

            (b, c) = (gatheredB, gatheredC);
        }

        var d = LargeArrays.New<double>(n);
        ReadOnlySpan<double> pb = b, pc = c;
        for (var k = 0; k < n; k++)
        {
            d[k] = pc[k] - pb[k];
        }

        var key = clusterKey ?? DefaultClusterKey;
        var clusters = key == DefaultClusterKey
            ? ClustersFromIds(bc, cc, pairsBase, pairsCand, n, notes, key)
            : ClustersFromMetadata(baseline, candidate, pairsBase, pairsCand, n, key, notes);
        var dataHasClusters = clusters is not null;
        if (clusters is null && clusterKey is not null && clusterKey != DefaultClusterKey)
        {
            throw new EvalSigException(
                EvalSigError.ClusterKeyNotFound,
                EvalSigErrorKind.InvalidArgument,
                $"No paired item has a cluster key '{clusterKey}': it is neither cluster_id nor a metadata key (or CSV/Parquet column) of the baseline '{baseline.RunId}'.",
                clusterKey);
        }

        if (clusters is null || noCluster)
        {
            if (noCluster && dataHasClusters)
            {
                notes.Add($"Clusters ('{key}') ignored by request (-NoCluster): the standard error treats items as independent and is likely understated.");
            }

            return new PairedRuns { Baseline = b, Candidate = c, Differences = d, Notes = notes, OnlyInBaseline = onlyBase, OnlyInCandidate = onlyCand, DataHasClusters = dataHasClusters };
        }

        var (index, count, singletons) = clusters.Value;
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
            ClusterCount = count,
            ClusterKey = key,
            DataHasClusters = true,
            Notes = notes,
            OnlyInBaseline = onlyBase,
            OnlyInCandidate = onlyCand,
        };
    }

    /// <summary>Inner join on item_id at epoch 0, in baseline order, over the id bytes (a hash table of the candidate's epoch-0 items).</summary>
    private static (int[] Base, int[] Cand, int N, int OtherEpochs, int BaseEpoch0, int CandEpoch0) HashJoin(RunFrameColumnsData bc, RunFrameColumnsData cc)
    {
        var candCount = cc.Count;
        var table = new ItemKeyTable(cc.Ids, cc.Epochs, candCount);
        var otherEpochs = 0;
        var candEpoch0 = 0;
        for (var i = 0; i < candCount; i++)
        {
            if ((cc.Epochs?[i] ?? 0) == 0)
            {
                table.TryAdd(i);
                candEpoch0++;
            }
            else
            {
                otherEpochs++;
            }
        }

        var cap = Math.Min(bc.Count, candEpoch0);
        var pairsBase = LargeArrays.New<int>(cap);
        var pairsCand = LargeArrays.New<int>(cap);
        var n = 0;
        var baseEpoch0 = 0;
        for (var i = 0; i < bc.Count; i++)
        {
            if ((bc.Epochs?[i] ?? 0) != 0)
            {
                otherEpochs++;
                continue;
            }

            baseEpoch0++;
            var j = table.Find(bc.Ids.Span(i), 0);
            if (j >= 0)
            {
                pairsBase[n] = i;
                pairsCand[n] = j;
                n++;
            }
        }

        return (pairsBase, pairsCand, n, otherEpochs, baseEpoch0, candEpoch0);
    }

    /// <summary>
    /// Dense cluster index per pair from cluster_id (the baseline's wins where the runs disagree; an item
    /// without one is a cluster of its own), or null when no paired baseline item has a cluster.
    /// </summary>
    private static (int[] Index, int Count, int Singletons)? ClustersFromIds(RunFrameColumnsData bc, RunFrameColumnsData cc, int[]? pairsBase, int[]? pairsCand, int n, List<string> notes, string key)
    {
        if (bc.ClusterCodes is not { } baseCodes)
        {
            return null;
        }

        // The candidate's label codes in the baseline's numbering (-2: a label the baseline never uses).
        var candToBase = new int[cc.ClusterLabels.Count];
        if (cc.ClusterCodes is not null && cc.ClusterLabels.ContentEquals(bc.ClusterLabels))
        {
            // The usual case: both runs met the same labels in the same order, so the codes already agree.
            for (var l = 0; l < candToBase.Length; l++)
            {
                candToBase[l] = l;
            }
        }
        else if (cc.ClusterCodes is not null)
        {
            var baseLabels = new ItemKeyTable(bc.ClusterLabels, null, bc.ClusterLabels.Count);
            for (var l = 0; l < bc.ClusterLabels.Count; l++)
            {
                baseLabels.TryAdd(l);
            }

            for (var l = 0; l < candToBase.Length; l++)
            {
                var bl = baseLabels.Find(cc.ClusterLabels.Span(l), 0);
                candToBase[l] = bl >= 0 ? bl : -2;
            }
        }

        var candCodes = cc.ClusterCodes;
        if (pairsBase is null && baseCodes.Length == n && SharedCodes(baseCodes, candCodes, candToBase) is { } moved)
        {
            // Aligned runs whose every item has a label: the baseline's codes, numbered by first appearance
            // in item order, are already the dense cluster index, so they are shared (frames are immutable).
            if (moved > 0)
            {
                notes.Add(Invariant($"The runs disagree on '{key}' for {moved} paired item(s); the baseline's value was used."));
            }

            return (baseCodes, bc.ClusterLabels.Count, 0);
        }

        var dense = new int[bc.ClusterLabels.Count];
        Array.Fill(dense, -1);
        var index = LargeArrays.New<int>(n);
        var count = 0;
        var singletons = 0;
        var disagree = 0;
        var any = false;
        for (var k = 0; k < n; k++)
        {
            var code = baseCodes[pairsBase is null ? k : pairsBase[k]];
            var candCode = candCodes?[pairsCand is null ? k : pairsCand[k]] ?? -1;
            if (code != (candCode < 0 ? -1 : candToBase[candCode]))
            {
                disagree++;
            }

            if (code < 0)
            {
                singletons++;
                index[k] = count++;
                continue;
            }

            any = true;
            if (dense[code] < 0)
            {
                dense[code] = count++;
            }

            index[k] = dense[code];
        }

        if (!any)
        {
            return null;
        }

        if (disagree > 0)
        {
            notes.Add(Invariant($"The runs disagree on '{key}' for {disagree} paired item(s); the baseline's value was used."));
        }

        return (index, count, singletons);
    }

    /// <summary>The items whose candidate label differs from the baseline's, or null when some baseline item has no label.</summary>
    private static int? SharedCodes(int[] baseCodes, int[]? candCodes, int[] candToBase)
    {
        var moved = 0;
        for (var k = 0; k < baseCodes.Length; k++)
        {
            var code = baseCodes[k];
            if (code < 0)
            {
                return null;
            }

            var candCode = candCodes?[k] ?? -1;
            if (code != (candCode < 0 ? -1 : candToBase[candCode]))
            {
                moved++;
            }
        }

        return moved;
    }

    /// <summary>The same from a metadata key (or CSV/Parquet column): labels are read from each paired item's metadata.</summary>
    private static (int[] Index, int Count, int Singletons)? ClustersFromMetadata(RunFrame baseline, RunFrame candidate, int[]? pairsBase, int[]? pairsCand, int n, string key, List<string> notes)
    {
        var labels = new string?[n];
        var any = false;
        var disagree = 0;
        for (var k = 0; k < n; k++)
        {
            var fromBase = Label(baseline, pairsBase is null ? k : pairsBase[k], key);
            var fromCand = Label(candidate, pairsCand is null ? k : pairsCand[k], key);
            if (!string.Equals(fromBase, fromCand, StringComparison.Ordinal))
            {
                disagree++;
            }

            labels[k] = fromBase;
            any |= fromBase is not null;
        }

        if (!any)
        {
            return null;
        }

        if (disagree > 0)
        {
            notes.Add(Invariant($"The runs disagree on '{key}' for {disagree} paired item(s); the baseline's value was used."));
        }

        var dense = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = LargeArrays.New<int>(n);
        var count = 0;
        var singletons = 0;
        for (var k = 0; k < n; k++)
        {
            if (labels[k] is not { } label)
            {
                // An item with no cluster is a cluster of its own.
                singletons++;
                index[k] = count++;
                continue;
            }

            if (!dense.TryGetValue(label, out var id))
            {
                id = count++;
                dense.Add(label, id);
            }

            index[k] = id;
        }

        return (index, count, singletons);
    }

    private static string? Label(RunFrame frame, int i, string key)
    {
        var meta = frame.Metadata(i);
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
                if (f.Epoch(i) == 0)
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
