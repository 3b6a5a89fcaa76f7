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
    private static readonly int[] EpochZero = { 0 };
    private readonly RunFrameColumnsData _c;
    private int _clusterCount = -1;
    private int[]? _distinctEpochs;
    private double? _meanScore;

    internal RunFrame(RunFrameHeader header, RunFrameColumnsData columns, string? sourcePath, RunFrameProvenance? provenance = null)
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
        _c = columns;
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

    public int Count => _c.Count;

    /// <summary>The item ids, decoded from the frame's compact column as they are read.</summary>
    public IReadOnlyList<string> ItemIds => new ReadOnlyCollection<string>(new ColumnView<string>(Count, ItemId));

    public IReadOnlyList<double> Scores => new ReadOnlyCollection<double>(_c.Scores);

    public IReadOnlyList<string?> ClusterIds => new ReadOnlyCollection<string?>(new ColumnView<string?>(Count, ClusterId));

    public IReadOnlyList<int> ItemEpochs => new ReadOnlyCollection<int>(new ColumnView<int>(Count, Epoch));

    public IReadOnlyList<string?> MetadataJson => new ReadOnlyCollection<string?>(new ColumnView<string?>(Count, Metadata));

    /// <summary>Distinct non-null cluster ids.</summary>
    public int ClusterCount
    {
        get
        {
            if (_clusterCount < 0)
            {
                var seen = new bool[_c.ClusterLabels.Count];
                var n = 0;
                if (_c.ClusterCodes is { } codes)
                {
                    foreach (var code in codes.AsSpan(0, Count))
                    {
                        if (code >= 0 && !seen[code])
                        {
                            seen[code] = true;
                            n++;
                        }
                    }
                }

                _clusterCount = n;
            }

            return _clusterCount;
        }
    }

    /// <summary>The distinct epochs present, ascending.</summary>
    public IReadOnlyList<int> Epochs => new ReadOnlyCollection<int>(_distinctEpochs ??= _c.Epochs is { } e ? e.Take(Count).Distinct().Order().ToArray() : (Count == 0 ? Array.Empty<int>() : EpochZero));

    /// <summary>Mean score over all items (every epoch).</summary>
    public double MeanScore
    {
        get
        {
            _meanScore ??= Count == 0 ? double.NaN : Statistics.Summation.Mean(_c.Scores);
            return _meanScore.Value;
        }
    }

    /// <summary>The items, one object each, created as they are enumerated.</summary>
    public IEnumerable<RunFrameItem> Items
    {
        get
        {
            for (var i = 0; i < Count; i++)
            {
                yield return GetItem(i);
            }
        }
    }

    public RunFrameItem GetItem(int index) => new(ItemId(index), _c.Scores[index], ClusterId(index), Epoch(index), Metadata(index));

    internal RunFrameHeader Header => new(RunId, ModelId, TaskId, MetricName, ConfigHash, ProjectId, Timestamp);

    internal RunFrameColumnsData Columns => _c;

    internal ReadOnlySpan<double> ScoreSpan => _c.Scores;

    /// <summary>The score column itself; only its first <see cref="Count"/> entries are scores.</summary>
    internal double[] ScoreArray => _c.ScoreStore;

    /// <summary>True when some item has an epoch other than 0.</summary>
    internal bool HasEpochs => _c.Epochs is not null;

    internal string ItemId(int i) => _c.Ids.GetString(i)!;

    internal string? ClusterId(int i) => _c.ClusterCodes is { } codes && codes[i] >= 0 ? _c.ClusterLabels.GetString(codes[i]) : null;

    internal int Epoch(int i) => _c.Epochs?[i] ?? 0;

    internal string? Metadata(int i) => _c.Metadata?.GetString(i);

    /// <summary>
    /// The same items under other run fields (the run store sets project and time): the columns are shared,
    /// not copied. A stored run is the store's, so it carries no file provenance.
    /// </summary>
    internal RunFrame WithHeader(RunFrameHeader header) => new(header, _c, SourcePath);

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

/// <summary>
/// A frame's columns (issue 16): scores as doubles; item ids as UTF-8 bytes end to end; a cluster code per
/// item (-1 for none) into one string per distinct label; epochs only when some item is not at epoch 0;
/// metadata only when some item has it. No object per item. ScoreStore, ClusterCodes and Epochs may be longer
/// than <see cref="Count"/> (slack left from sizing them up front from the file's first bytes); only their first
/// Count entries count, which <see cref="Scores"/> is.
/// </summary>
internal sealed record RunFrameColumnsData(Utf8Column Ids, double[] ScoreStore, int Count, int[]? ClusterCodes, Utf8Column ClusterLabels, int[]? Epochs, SparseTextColumn? Metadata)
{
    /// <summary>The scores, exactly <see cref="Count"/> of them.</summary>
    public ArraySegment<double> Scores => new(ScoreStore, 0, Count);
}

/// <summary>
/// A read-only list whose elements are computed from an index when read. Exposed wrapped in a
/// <see cref="ReadOnlyCollection{T}"/>, the type these properties always had, so PowerShell and Pester
/// treat it as the list it is (element-wise comparison, formatting, -contains).
/// </summary>
internal sealed class ColumnView<T> : IList<T>
{
    private readonly int _count;
    private readonly Func<int, T> _get;

    public ColumnView(int count, Func<int, T> get)
    {
        _count = count;
        _get = get;
    }

    public int Count => _count;

    public bool IsReadOnly => true;

    public T this[int index]
    {
        get => (uint)index < (uint)_count ? _get(index) : throw new ArgumentOutOfRangeException(nameof(index));
        set => throw new NotSupportedException("A RunFrame is immutable.");
    }

    public int IndexOf(T item)
    {
        var cmp = EqualityComparer<T>.Default;
        for (var i = 0; i < _count; i++)
        {
            if (cmp.Equals(_get(i), item))
            {
                return i;
            }
        }

        return -1;
    }

    public bool Contains(T item) => IndexOf(item) >= 0;

    public void CopyTo(T[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        for (var i = 0; i < _count; i++)
        {
            array[arrayIndex + i] = _get(i);
        }
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return _get(i);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Add(T item) => throw new NotSupportedException("A RunFrame is immutable.");

    public void Clear() => throw new NotSupportedException("A RunFrame is immutable.");

    public void Insert(int index, T item) => throw new NotSupportedException("A RunFrame is immutable.");

    public bool Remove(T item) => throw new NotSupportedException("A RunFrame is immutable.");

    public void RemoveAt(int index) => throw new NotSupportedException("A RunFrame is immutable.");
}
