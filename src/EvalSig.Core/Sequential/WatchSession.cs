using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Sequential;

/// <summary>
/// One watch: the baseline indexed once, then each candidate item paired with its baseline item and
/// fed to the confidence sequence in constant time; memory beyond the baseline is constant (a seen
/// flag per baseline item, and per-cluster sums). Stops at the first decision.
///
/// Clustered baselines are watched at the cluster level: a cluster's mean difference enters the
/// sequence once all of its baseline items have arrived, so the observations are independent across
/// clusters. The sequence then estimates the mean of cluster means (each cluster weighted equally),
/// which differs from the item-weighted delta when cluster sizes differ; the report says so.
/// </summary>
public sealed class WatchSession
{
    private const int ThresholdZero = 0;
    private const int ThresholdMinDelta = 1;
    private const int ThresholdMargin = 2;

    private readonly RunFrame _baseline;
    private readonly WatchOptions _options;
    private readonly Dictionary<string, int> _index;
    private readonly double[] _baseScores;
    private readonly bool[] _seen;
    private readonly int[]? _clusterOf;
    private readonly int[] _clusterSize = Array.Empty<int>();
    private readonly int[] _clusterArrived = Array.Empty<int>();
    private readonly double[] _clusterSum = Array.Empty<double>();
    private readonly string? _clusterKey;
    private readonly ConfidenceSequence _cs;
    private readonly double _lowerAlpha;
    private readonly double _upperAlpha;
    private readonly List<string> _notes = new();
    private double _itemDeltaSum;
    private int _clustersComplete;
    private GateVerdict? _verdict;
    private GateReason _reason;

    public WatchSession(RunFrame baseline, WatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _baseline = baseline;
        _options = options;
        _index = new Dictionary<string, int>(baseline.Count, StringComparer.Ordinal);
        var scores = new List<double>(baseline.Count);
        var rows = new List<int>(baseline.Count);
        for (var i = 0; i < baseline.Count; i++)
        {
            if (baseline.Epoch(i) != 0)
            {
                continue;
            }

            var s = baseline.ScoreArray[i];
            if (options.Sequence == SequenceKind.Betting && !(s >= 0 && s <= 1))
            {
                throw new EvalSigException(EvalSigError.WatchInvalid, EvalSigErrorKind.InvalidData, Invariant($"Baseline item '{baseline.ItemId(i)}' scores {s}: the betting sequence needs scores in [0, 1]. Use -Sequence Asymptotic (--sequence asymptotic) for other scores."), baseline.RunId);
            }

            _index[baseline.ItemId(i)] = scores.Count;
            scores.Add(s);
            rows.Add(i);
        }

        if (scores.Count == 0)
        {
            throw new EvalSigException(EvalSigError.NoOverlappingItems, EvalSigErrorKind.InvalidData, $"The baseline '{baseline.RunId}' has no items at epoch 0, so there is nothing to watch against.", baseline.RunId);
        }

        _baseScores = scores.ToArray();
        _seen = new bool[_baseScores.Length];
        (_clusterOf, _clusterKey) = Clusters(baseline, rows, options);
        if (_clusterOf is not null)
        {
            var count = 0;
            foreach (var c in _clusterOf)
            {
                count = Math.Max(count, c + 1);
            }

            _clusterSize = new int[count];
            foreach (var c in _clusterOf)
            {
                _clusterSize[c]++;
            }

            _clusterArrived = new int[count];
            _clusterSum = new double[count];
            _notes.Add(Invariant($"Cluster-level watch: {count} clusters ('{_clusterKey}'); a cluster's mean difference enters the sequence when all its baseline items have arrived. The sequence estimates the mean of cluster means, which differs from the item-weighted delta when cluster sizes differ."));
        }
        else if (options.NoCluster && baseline.ClusterCount > 0)
        {
            _notes.Add("Clusters ignored by request (-NoCluster): items in a cluster are treated as independent, so the sequence is likely too narrow.");
        }

        (_lowerAlpha, _upperAlpha) = options.Alternative == Alternative.Greater ? (options.Alpha, options.Alpha) : (options.Alpha / 2, options.Alpha / 2);
        var thresholds = new[] { 0.0, options.MinDelta, -(options.Margin ?? 0) };
        var planned = options.PlannedObservations ?? (_clusterOf is null ? _baseScores.Length : _clusterSize.Length);
        _cs = options.Sequence == SequenceKind.Asymptotic
            ? new AsymptoticConfidenceSequence(_lowerAlpha, _upperAlpha, planned, options.EffectiveMinObservations, thresholds)
            : new BettingConfidenceSequence(_lowerAlpha, _upperAlpha, thresholds, options.GridSize);
    }

    /// <summary>The candidate's run id for the report (from its file or its first line).</summary>
    public string CandidateRunId { get; set; } = "candidate";

    public long ItemsRead { get; private set; }

    public long Matched { get; private set; }

    public long Unmatched { get; private set; }

    public long Duplicates { get; private set; }

    public long OtherEpochs { get; private set; }

    public bool Decided => _verdict is not null;

    /// <summary>True once every baseline item has arrived: nothing more can change the sequence.</summary>
    public bool Complete => Matched == _baseScores.Length;

    public WatchProgress Progress => new(ItemsRead, Matched, _cs.Count, _cs.Mean, _cs.Lower, _cs.Upper, _clustersComplete, _clusterSize.Length);

    /// <summary>One candidate item; true when the sequence has decided (the watch should stop).</summary>
    public bool Observe(string itemId, double score, int epoch = 0)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        ItemsRead++;
        if (_verdict is not null)
        {
            return true;
        }

        if (epoch != 0)
        {
            OtherEpochs++;
            return false;
        }

        if (!_index.TryGetValue(itemId, out var i))
        {
            Unmatched++;
            return false;
        }

        if (_seen[i])
        {
            Duplicates++;
            return false;
        }

        if (!double.IsFinite(score) || (_options.Sequence == SequenceKind.Betting && !(score >= 0 && score <= 1)))
        {
            throw new EvalSigException(
                double.IsFinite(score) ? EvalSigError.WatchInvalid : EvalSigError.RunFrameInvalid,
                EvalSigErrorKind.InvalidData,
                double.IsFinite(score)
                    ? Invariant($"Candidate item '{itemId}' scores {score}: the betting sequence needs scores in [0, 1]. Use -Sequence Asymptotic (--sequence asymptotic) for other scores.")
                    : Invariant($"Candidate item '{itemId}' has score {score}; every item needs a finite score."),
                itemId);
        }

        _seen[i] = true;
        Matched++;
        var d = score - _baseScores[i];
        _itemDeltaSum += d;
        if (_clusterOf is null)
        {
            _cs.Add(d);
        }
        else
        {
            var c = _clusterOf[i];
            _clusterSum[c] += d;
            if (++_clusterArrived[c] == _clusterSize[c])
            {
                _clustersComplete++;
                _cs.Add(_clusterSum[c] / _clusterSize[c]);
            }
        }

        if (_cs.Count >= _options.EffectiveMinObservations)
        {
            Decide();
        }

        return _verdict is not null;
    }

    /// <summary>The report: the decision, or INCONCLUSIVE when the stream ended first.</summary>
    public WatchReport Finish()
    {
        var notes = new List<string>(_notes);
        var name = _options.Sequence == SequenceKind.Asymptotic ? "asymptotic_cs" : "betting_cs";
        notes.Add(_options.Sequence == SequenceKind.Asymptotic
            ? Invariant($"{name}: normal-mixture confidence sequence with plug-in variance (Howard et al. 2021; Waudby-Smith et al. 2024), valid as n grows; no decision before {_options.EffectiveMinObservations} observations.")
            : Invariant($"{name}: betting confidence sequence for scores in [0, 1] (Waudby-Smith & Ramdas 2024), valid at every n; interval to within {2.0 / _options.GridSize:G3}."));
        notes.Add(Invariant($"Anytime-valid: looked after every observation ({_cs.Count}); each bound is one-sided at {_lowerAlpha:G3}."));
        if (Unmatched > 0)
        {
            notes.Add(Invariant($"{Unmatched} candidate item(s) have no baseline item at epoch 0 and were not used."));
        }

        if (Duplicates > 0)
        {
            notes.Add(Invariant($"{Duplicates} candidate item(s) arrived again; only the first arrival counts."));
        }

        if (OtherEpochs > 0)
        {
            notes.Add(Invariant($"{OtherEpochs} candidate item(s) with epoch other than 0 were ignored."));
        }

        if (_clusterOf is not null && Matched > 0)
        {
            var incomplete = 0;
            for (var c = 0; c < _clusterSize.Length; c++)
            {
                incomplete += _clusterArrived[c] > 0 && _clusterArrived[c] < _clusterSize[c] ? 1 : 0;
            }

            notes.Add(Invariant($"Item-weighted mean difference of the {Matched} matched items: {_itemDeltaSum / Matched:G6}; {incomplete} cluster(s) were incomplete and not in the sequence."));
        }

        var decided = _verdict is not null;
        var verdict = _verdict ?? GateVerdict.INCONCLUSIVE;
        var reason = decided ? _reason : GateReason.StreamEnded;
        var p = _options.Alternative == Alternative.Greater
            ? _cs.PAbove(ThresholdZero)
            : Math.Min(1, 2 * Math.Min(_cs.PAbove(ThresholdZero), _cs.PBelow(ThresholdZero)));
        var mean = _cs.Mean;
        var comparison = new Comparison
        {
            Delta = mean,
            Se = _cs.Count < 2 ? double.NaN : _cs.StdDev / Math.Sqrt(_cs.Count),
            Df = double.NaN,
            Statistic = double.NaN,
            CiLower = _cs.Lower,
            CiUpper = _cs.Upper,
            CiLevel = Math.Round(1 - _lowerAlpha - _upperAlpha, 12),
            OneSidedLower = _cs.Lower,
            OneSidedUpper = _cs.Upper,
            PValue = p,
            Significant = p < _options.Alpha && (_options.Alternative != Alternative.Greater || mean > 0),
            NPairs = (int)Math.Min(int.MaxValue, Matched),
            NClusters = _clusterOf is null ? 0 : _clustersComplete,
            Method = name,
            Mde = double.NaN,
            MdeSe = double.NaN,
            Alternative = _options.Alternative,
            Alpha = _options.Alpha,
            Power = double.NaN,
            ClusterKey = _clusterKey,
            NBaseline = _baseScores.Length,
            NCandidate = (int)Math.Min(int.MaxValue, Matched + Unmatched),
            OnlyInBaseline = _baseScores.Length - (int)Matched,
            OnlyInCandidate = (int)Math.Min(int.MaxValue, Unmatched),
            Notes = notes.AsReadOnly(),
        };

        return new WatchReport
        {
            Verdict = verdict,
            Reason = reason,
            Comparison = comparison,
            Sequence = _options.Sequence,
            MinDelta = _options.MinDelta,
            Alpha = _options.Alpha,
            Decision = _options.Decision,
            Margin = _options.Margin,
            Suggestion = Suggest(reason),
            BaselineRunId = _baseline.RunId,
            CandidateRunId = CandidateRunId,
            EvaluatedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ToolVersion = EvalGate.ToolVersion,
            Options = _options,
            ItemsRead = ItemsRead,
            Matched = Matched,
            Unmatched = Unmatched,
            Duplicates = Duplicates,
            Observations = _cs.Count,
            ClusterLevel = _clusterOf is not null,
            ClustersComplete = _clustersComplete,
            ClustersTotal = _clusterSize.Length,
            StoppedEarly = decided && !Complete,
        };
    }

    private void Decide()
    {
        if (_options.Decision == GateDecision.NonInferiority)
        {
            if (_cs.PAbove(ThresholdMargin) <= _lowerAlpha)
            {
                (_verdict, _reason) = (GateVerdict.ALLOW, GateReason.NonInferior);
            }
            else if (_cs.PBelow(ThresholdMargin) <= _upperAlpha)
            {
                (_verdict, _reason) = (GateVerdict.REJECT, GateReason.Inferior);
            }

            return;
        }

        if (_cs.PAbove(ThresholdMinDelta) <= _lowerAlpha)
        {
            (_verdict, _reason) = (GateVerdict.ALLOW, GateReason.Improved);
        }
        else if (_cs.PBelow(ThresholdZero) <= _upperAlpha)
        {
            (_verdict, _reason) = (GateVerdict.REJECT, GateReason.Regressed);
        }
        else if (_options.MinDelta > 0 && _cs.PBelow(ThresholdMinDelta) <= _upperAlpha)
        {
            (_verdict, _reason) = (GateVerdict.REJECT, GateReason.BelowMinDelta);
        }
    }

    private string? Suggest(GateReason reason) => reason switch
    {
        GateReason.StreamEnded => Invariant($"The stream ended after {_cs.Count} observation(s) before the sequence decided at alpha {_options.Alpha:G3}: let the evaluation run on, or gate the complete runs (Invoke-EvalGate / evalsig gate)."),
        GateReason.Regressed => "The candidate is worse than the baseline: the upper bound of the sequence is below 0.",
        GateReason.BelowMinDelta => Invariant($"Any improvement is smaller than min-delta {_options.MinDelta:G6}: the upper bound of the sequence is below it."),
        GateReason.Inferior => Invariant($"The candidate is worse than the baseline by more than the margin {_options.Margin:G6}."),
        _ => null,
    };

    /// <summary>Dense cluster index per baseline epoch-0 item, or null for an item-level watch.</summary>
    private static (int[]? Clusters, string? Key) Clusters(RunFrame baseline, List<int> rows, WatchOptions options)
    {
        if (options.NoCluster)
        {
            return (null, null);
        }

        var key = options.ClusterKey ?? "cluster_id";
        var labels = new string?[rows.Count];
        var any = false;
        for (var k = 0; k < rows.Count; k++)
        {
            labels[k] = Label(baseline, rows[k], key);
            any |= labels[k] is not null;
        }

        if (!any)
        {
            if (options.ClusterKey is not null && options.ClusterKey != "cluster_id")
            {
                throw new EvalSigException(EvalSigError.ClusterKeyNotFound, EvalSigErrorKind.InvalidArgument, $"No baseline item has a cluster key '{options.ClusterKey}': it is neither cluster_id nor a metadata key of the baseline '{baseline.RunId}'.", options.ClusterKey);
            }

            return (null, null);
        }

        var dense = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new int[rows.Count];
        for (var k = 0; k < rows.Count; k++)
        {
            var label = labels[k] ?? "\u0000item:" + baseline.ItemId(rows[k]);
            if (!dense.TryGetValue(label, out var id))
            {
                id = dense.Count;
                dense.Add(label, id);
            }

            result[k] = id;
        }

        return (result, key);
    }

    private static string? Label(RunFrame frame, int i, string key)
    {
        if (key == "cluster_id")
        {
            return frame.ClusterId(i);
        }

        var meta = frame.Metadata(i);
        if (meta is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(meta);
        return doc.RootElement.TryGetProperty(key, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        } : null;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
