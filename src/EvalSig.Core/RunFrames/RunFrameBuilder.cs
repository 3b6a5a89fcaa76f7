using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Collects a RunFrame's columns as a reader parses them, together with every problem found,
/// then validates the whole and builds the immutable frame. All readers and
/// <see cref="RunFrame.Create"/> go through here, so every source is validated by the same rules.
/// </summary>
internal sealed class RunFrameBuilder
{
    // Issue 16: columns, not objects. Item ids are UTF-8 bytes end to end, clusters a code per item into
    // one string per distinct label, epochs and metadata exist only once some item has them.
    private readonly Utf8ColumnBuilder _ids;
    private double[] _scores;
    private int[]? _clusterCodes;
    private int[]? _epochs;
    private SparseTextColumn.Builder? _metadata;
    private readonly LabelTable _clusterLabels = new();
    private byte[] _lastClusterUtf8 = Array.Empty<byte>();
    private int _lastClusterLength;
    private int _lastClusterCode = -1;
    private HashSet<int>? _nullIds;
    private readonly HashSet<int> _scoreReported = new();
    private readonly List<RunFrameProblem> _problems = new();

    public RunFrameBuilder(string? path, int capacity = 0)
    {
        Path = path;
        capacity = Math.Max(capacity, 1024);
        _ids = new Utf8ColumnBuilder(capacity, emptyIsNull: false);
        _scores = new double[capacity];
    }

    public string? Path { get; }

    public RunFrameHeader Header { get; set; } = RunFrameHeader.Empty;

    public RunFrameProvenance? Provenance { get; set; }

    public int Count { get; private set; }

    /// <summary>The reader already reported that the items field is absent; no "empty" problem too.</summary>
    public bool ItemsFieldMissing { get; set; }

    /// <summary>Set when the text could not be parsed any further (malformed JSON, say).</summary>
    public bool Malformed { get; private set; }

    /// <summary>The code of a cluster label (0..G-1), or -1 for none; equal labels share one code and one string.</summary>
    public int ClusterCode(string? label)
    {
        if (label is null)
        {
            return -1;
        }

        Span<byte> small = stackalloc byte[256];
        var max = Encoding.UTF8.GetMaxByteCount(label.Length);
        var buffer = max <= small.Length ? small : new byte[max];
        return ClusterCode(buffer[..Encoding.UTF8.GetBytes(label, buffer)]);
    }

    /// <summary>
    /// The code of a cluster label given as UTF-8. Items of one cluster usually sit together, so a label
    /// equal to the previous one costs one byte comparison; any other a hash lookup; neither a string.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int ClusterCode(ReadOnlySpan<byte> utf8)
    {
        if (_lastClusterCode >= 0 && utf8.SequenceEqual(_lastClusterUtf8.AsSpan(0, _lastClusterLength)))
        {
            return _lastClusterCode;
        }

        return NewClusterCode(utf8);
    }

    private int NewClusterCode(ReadOnlySpan<byte> utf8)
    {
        _lastClusterCode = _clusterLabels.GetOrAdd(utf8);
        if (_lastClusterUtf8.Length < utf8.Length)
        {
            _lastClusterUtf8 = new byte[Math.Max(utf8.Length, 64)];
        }

        utf8.CopyTo(_lastClusterUtf8);
        _lastClusterLength = utf8.Length;
        return _lastClusterCode;
    }

    public void Add(string? itemId, double score, string? clusterId, int epoch, string? metadataJson)
    {
        if (itemId is null)
        {
            (_nullIds ??= new HashSet<int>()).Add(Count);
        }

        _ids.Append(itemId);
        Push(score, ClusterCode(clusterId), epoch, metadataJson);
    }

    /// <summary>Adds an item whose id is given as UTF-8 bytes (the readers' fast path: no string per item).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void AddUtf8(ReadOnlySpan<byte> itemId, double score, int clusterCode, int epoch, ReadOnlySpan<byte> metadataJson)
    {
        if (!metadataJson.IsEmpty)
        {
            (_metadata ??= new SparseTextColumn.Builder()).Add(Count, metadataJson);
        }

        _ids.Append(itemId);
        Push(score, clusterCode, epoch, null);
    }

    /// <summary>Adds an item that has no usable id (already reported), the rest as in <see cref="AddUtf8"/>.</summary>
    public void AddWithoutId(double score, int clusterCode, int epoch, ReadOnlySpan<byte> metadataJson)
    {
        (_nullIds ??= new HashSet<int>()).Add(Count);
        if (!metadataJson.IsEmpty)
        {
            (_metadata ??= new SparseTextColumn.Builder()).Add(Count, metadataJson);
        }

        _ids.Append((string?)null);
        Push(score, clusterCode, epoch, null);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void Push(double score, int clusterCode, int epoch, string? metadataJson)
    {
        // The usual item: room left, its cluster code and epoch fit the columns as they are, no metadata text.
        var i = Count;
        if (i < _scores.Length && (clusterCode < 0 || _clusterCodes is not null) && (epoch == 0 || _epochs is not null) && metadataJson is null)
        {
            _scores[i] = score;
            if (_clusterCodes is { } codes)
            {
                codes[i] = clusterCode;
            }

            if (_epochs is { } epochs)
            {
                epochs[i] = epoch;
            }

            Count = i + 1;
            return;
        }

        PushAny(score, clusterCode, epoch, metadataJson);
    }

    private void PushAny(double score, int clusterCode, int epoch, string? metadataJson)
    {
        var i = Count;
        if (i == _scores.Length)
        {
            ResizeItemColumns(Grow(i));
        }

        _scores[i] = score;
        if (clusterCode >= 0 && _clusterCodes is null)
        {
            _clusterCodes = LargeArrays.New<int>(_scores.Length);
            _clusterCodes.AsSpan(0, i).Fill(-1);
        }

        if (_clusterCodes is not null)
        {
            _clusterCodes[i] = clusterCode;
        }

        if (epoch != 0 && _epochs is null)
        {
            _epochs = LargeArrays.New<int>(_scores.Length);
        }

        if (_epochs is not null)
        {
            _epochs[i] = epoch;
        }

        if (!string.IsNullOrEmpty(metadataJson))
        {
            (_metadata ??= new SparseTextColumn.Builder()).Add(i, metadataJson);
        }
        Count = i + 1;
    }

    /// <summary>
    /// Makes room for <paramref name="items"/> items in all (holding about <paramref name="idBytes"/> bytes of
    /// ids) at once, so a reader that knows or estimates the size (a Parquet footer, the file length) does
    /// not grow the columns step by step: each step would leave the old array behind as garbage.
    /// </summary>
    public void Reserve(int items, long idBytes)
    {
        if (items > _scores.Length)
        {
            ResizeItemColumns(items);
        }

        _ids.Reserve(items, idBytes);
    }

    /// <summary>Scores, cluster codes and epochs are indexed alike: they always have one length.</summary>
    private void ResizeItemColumns(int n)
    {
        LargeArrays.Resize(ref _scores, n);
        if (_clusterCodes is not null)
        {
            LargeArrays.Resize(ref _clusterCodes, n);
        }

        if (_epochs is not null)
        {
            LargeArrays.Resize(ref _epochs, n);
        }
    }

    /// <summary>
    /// Treats the items so far as a sample of <paramref name="total"/> and makes room for all of them in every
    /// column (ids, labels, metadata) in proportion, plus 5%: a reader that knows the item count but not the
    /// text sizes (Parquet, after its first row group) calls this once instead of letting each column grow.
    /// </summary>
    public void ReserveInProportion(int total)
    {
        if (Count == 0 || total <= Count)
        {
            return;
        }

        var sample = new HeadEstimate
        {
            Items = Count,
            IdBytes = _ids.ByteLength,
            Labels = _clusterLabels.Count,
            LabelBytes = _clusterLabels.ByteLength,
            MetadataItems = _metadata?.Count ?? 0,
            MetadataBytes = _metadata?.ByteLength ?? 0,
        };
        ReserveLike(sample, (double)total / Count * 1.05, total);
    }

    /// <summary>
    /// Room for <paramref name="items"/> items, and for ids, cluster labels and metadata as in
    /// <paramref name="sample"/> times <paramref name="scale"/> (metadata at most <paramref name="maxMetadataBytes"/>).
    /// </summary>
    public void ReserveLike(HeadEstimate sample, double scale, int items, long maxMetadataBytes = long.MaxValue)
    {
        Reserve(items, (long)(sample.IdBytes * scale) + 1024);
        if (sample.Labels > 0)
        {
            _clusterLabels.Reserve((int)Math.Min(sample.Labels * scale + 16, items), (long)(sample.LabelBytes * scale) + 256);
        }

        if (sample.MetadataItems > 0)
        {
            (_metadata ??= new SparseTextColumn.Builder()).Reserve((int)Math.Min(sample.MetadataItems * scale + 16, items), (long)Math.Min(sample.MetadataBytes * scale + 256, maxMetadataBytes));
        }
    }

    private static int Grow(int n) => (int)Math.Min(Array.MaxLength, (long)n * 3 / 2 + 16);

    /// <summary>Adds a placeholder for an entry that is not an item at all (already reported).</summary>
    public void AddPlaceholder()
    {
        _scoreReported.Add(Count);
        Add(null, double.NaN, null, 0, null);
    }

    /// <summary>Reports a problem with the score of the item about to be added (or just added).</summary>
    public void ScoreProblem(int itemIndex, string message)
    {
        _scoreReported.Add(itemIndex);
        Problem(itemIndex, "score", message);
    }

    public void Problem(int? itemIndex, string? field, string message, long? line = null, long? bytePosition = null)
        => _problems.Add(new RunFrameProblem(Path, itemIndex, field, message, line, bytePosition));

    public void MalformedText(string message, long? line, long? bytePosition)
    {
        Malformed = true;
        _problems.Add(new RunFrameProblem(Path, null, null, message, line, bytePosition));
    }

    /// <summary>Every problem: those the reader found while parsing, then the whole-frame rules.</summary>
    public IReadOnlyList<RunFrameProblem> Validate()
    {
        var problems = new List<RunFrameProblem>(_problems);
        if (!Malformed)
        {
            ValidateFrame(problems);
        }

        // Run-level problems first, then by item, each item's in the order found (a valid run has none,
        // and skips the sort's generic code at start-up).
        return problems.Count == 0 ? problems : problems.Select((p, i) => (p, i)).OrderBy(x => x.p.ItemIndex ?? -1).ThenBy(x => x.i).Select(x => x.p).ToList();
    }

    private void ValidateFrame(List<RunFrameProblem> problems)
    {
        RequireRunField(problems, Header.RunId, "run_id");
        RequireRunField(problems, Header.ModelId, "model_id");
        RequireRunField(problems, Header.TaskId, "task_id");
        RequireRunField(problems, Header.MetricName, "metric_name");

        if (Count == 0 && !ItemsFieldMissing)
        {
            problems.Add(new RunFrameProblem(Path, null, "items", "the RunFrame has no items; a run needs at least one scored item"));
        }

        if (Count == 0)
        {
            return;
        }

        for (var i = 0; i < Count; i++)
        {
            var s = _scores[i];
            if (!double.IsFinite(s) && !_scoreReported.Contains(i))
            {
                problems.Add(new RunFrameProblem(Path, i, "score", string.Create(CultureInfo.InvariantCulture, $"score must be a finite number, not {s}")));
            }

            if (_epochs is not null && _epochs[i] < 0)
            {
                problems.Add(new RunFrameProblem(Path, i, "epoch", string.Create(CultureInfo.InvariantCulture, $"epoch must be an integer >= 0, not {_epochs[i]}")));
            }
        }

        // Duplicate (item_id, epoch) keys. Ids in strictly ascending order (the usual export) cannot repeat,
        // which one pass of byte comparisons shows; otherwise a hash table over the bytes finds them.
        var ids = _ids.View();
        if (_nullIds is null && ids.StrictlyAscending())
        {
            return;
        }

        var table = new ItemKeyTable(ids, _epochs, Count);
        for (var i = 0; i < Count; i++)
        {
            if (_nullIds is not null && _nullIds.Contains(i))
            {
                continue;
            }

            var first = table.TryAdd(i);
            if (first >= 0)
            {
                var epoch = _epochs?[i] ?? 0;
                problems.Add(new RunFrameProblem(Path, i, "item_id", string.Create(CultureInfo.InvariantCulture, $"duplicate (item_id, epoch) ('{ids.GetString(i)}', {epoch}): first seen at item {first}")));
            }
        }
    }

    public RunFrame Build()
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new RunFrameInvalidException(Path, problems);
        }

        // Scores keep the slack of a column sized from the file's first bytes (a frame reads only its first
        // Count); a column grown past its need by more than an eighth is copied, as codes and epochs are.
        var n = Count;
        var scores = Trim(ref _scores!, n)!;
        var codes = Trim(ref _clusterCodes, n);
        var epochs = Trim(ref _epochs, n);
        var ids = _ids.Build();
        var metadata = _metadata?.Build(n);
        return new RunFrame(Header, new RunFrameColumnsData(ids, scores, n, codes, _clusterLabels.Build(), epochs, metadata), Path, Provenance);
    }

    private static T[]? Trim<T>(ref T[]? array, int n)
    {
        if (array is null)
        {
            return null;
        }

        // Columns are read by index below Count only, so a little slack stays (a copy would cost more at its
        // peak than the slack does).
        var result = array.Length - n <= array.Length / 8 ? array : array.AsSpan(0, n).ToArray();
        array = null;
        return result;
    }

    private void RequireRunField(List<RunFrameProblem> problems, string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            problems.Add(new RunFrameProblem(Path, null, field, $"required run field '{field}' is missing or empty"));
        }
    }
}
