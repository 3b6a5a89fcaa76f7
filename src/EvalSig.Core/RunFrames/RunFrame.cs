using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// One evaluation run: run fields and items held in columns (one array per field), so that a
/// million items cost a million doubles, not a million objects. Immutable.
/// </summary>
public sealed class RunFrame
{
    private readonly string[] _itemIds;
    private readonly double[] _scores;
    private readonly string?[] _clusterIds;
    private readonly int[] _epochs;
    private readonly string?[] _metadataJson;
    private int _clusterCount = -1;
    private int[]? _distinctEpochs;
    private double? _meanScore;

    internal RunFrame(RunFrameHeader header, string[] itemIds, double[] scores, string?[] clusterIds, int[] epochs, string?[] metadataJson, string? sourcePath, RunFrameProvenance? provenance = null)
    {
        Provenance = provenance;
        RunId = header.RunId ?? string.Empty;
        ModelId = header.ModelId ?? string.Empty;
        TaskId = header.TaskId ?? string.Empty;
        MetricName = header.MetricName ?? string.Empty;
        ConfigHash = header.ConfigHash;
        ProjectId = header.ProjectId;
        Timestamp = header.Timestamp;
        SourcePath = sourcePath;
        _itemIds = itemIds;
        _scores = scores;
        _clusterIds = clusterIds;
        _epochs = epochs;
        _metadataJson = metadataJson;
    }

    public string RunId { get; }

    public string ModelId { get; }

    public string TaskId { get; }

    public string MetricName { get; }

    /// <summary>Optional hash of the evaluation configuration; empty string and null are both "none".</summary>
    public string? ConfigHash { get; }

    /// <summary>Project the run belongs to when it came from the run store; otherwise null.</summary>
    public string? ProjectId { get; }

    /// <summary>When the run happened, if known (UTC).</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>The file the frame was read from, if any.</summary>
    public string? SourcePath { get; }

    /// <summary>The format, file, tool and tool version the frame was read from; null for frames built in memory.</summary>
    public RunFrameProvenance? Provenance { get; }

    public int Count => _itemIds.Length;

    public IReadOnlyList<string> ItemIds => Array.AsReadOnly(_itemIds);

    public IReadOnlyList<double> Scores => Array.AsReadOnly(_scores);

    public IReadOnlyList<string?> ClusterIds => Array.AsReadOnly(_clusterIds);

    public IReadOnlyList<int> ItemEpochs => Array.AsReadOnly(_epochs);

    public IReadOnlyList<string?> MetadataJson => Array.AsReadOnly(_metadataJson);

    /// <summary>Distinct non-null cluster ids.</summary>
    public int ClusterCount
    {
        get
        {
            if (_clusterCount < 0)
            {
                var set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var c in _clusterIds)
                {
                    if (c is not null)
                    {
                        set.Add(c);
                    }
                }

                _clusterCount = set.Count;
            }

            return _clusterCount;
        }
    }

    /// <summary>The distinct epochs present, ascending.</summary>
    public IReadOnlyList<int> Epochs => new ReadOnlyCollection<int>(_distinctEpochs ??= _epochs.Distinct().Order().ToArray());

    /// <summary>Mean score over all items (every epoch).</summary>
    public double MeanScore
    {
        get
        {
            _meanScore ??= _scores.Length == 0 ? double.NaN : Statistics.Summation.Mean(_scores);
            return _meanScore.Value;
        }
    }

    /// <summary>The items, one object each, created as they are enumerated.</summary>
    public IEnumerable<RunFrameItem> Items
    {
        get
        {
            for (var i = 0; i < _itemIds.Length; i++)
            {
                yield return GetItem(i);
            }
        }
    }

    public RunFrameItem GetItem(int index) => new(_itemIds[index], _scores[index], _clusterIds[index], _epochs[index], _metadataJson[index]);

    internal RunFrameHeader Header => new(RunId, ModelId, TaskId, MetricName, ConfigHash, ProjectId, Timestamp);

    internal ReadOnlySpan<double> ScoreSpan => _scores;

    internal string[] ItemIdArray => _itemIds;

    internal double[] ScoreArray => _scores;

    internal string?[] ClusterIdArray => _clusterIds;

    internal int[] EpochArray => _epochs;

    internal string?[] MetadataArray => _metadataJson;

    /// <summary>
    /// Builds a frame from columns, validating it as a file would be validated.
    /// </summary>
    /// <exception cref="RunFrameInvalidException">Any problem, all of them listed.</exception>
    public static RunFrame Create(
        string runId,
        string modelId,
        string taskId,
        string metricName,
        IReadOnlyList<string> itemIds,
        IReadOnlyList<double> scores,
        IReadOnlyList<string?>? clusterIds = null,
        IReadOnlyList<int>? epochs = null,
        IReadOnlyList<string?>? metadataJson = null,
        string? configHash = null,
        string? projectId = null,
        DateTimeOffset? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        ArgumentNullException.ThrowIfNull(scores);
        var b = new RunFrameBuilder(null);
        b.Header = new RunFrameHeader(runId, modelId, taskId, metricName, configHash, projectId, timestamp);
        if (scores.Count != itemIds.Count)
        {
            throw new ArgumentException("itemIds and scores must have the same length.", nameof(scores));
        }

        for (var i = 0; i < itemIds.Count; i++)
        {
            b.Add(itemIds[i], scores[i], clusterIds?[i], epochs?[i] ?? 0, metadataJson?[i]);
        }

        return b.Build();
    }

    public override string ToString() => $"RunFrame {RunId} ({Count} items)";
}

/// <summary>The run-level fields of a RunFrame.</summary>
internal sealed record RunFrameHeader(string? RunId, string? ModelId, string? TaskId, string? MetricName, string? ConfigHash, string? ProjectId, DateTimeOffset? Timestamp)
{
    public static RunFrameHeader Empty { get; } = new(null, null, null, null, null, null, null);
}
