using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Collects a RunFrame's columns as a reader parses them, together with every problem found,
/// then validates the whole and builds the immutable frame. All readers and
/// <see cref="RunFrame.Create"/> go through here, so every source is validated by the same rules.
/// </summary>
internal sealed class RunFrameBuilder
{
    private readonly List<string?> _itemIds = new();
    private readonly List<double> _scores = new();
    private readonly List<string?> _clusterIds = new();
    private readonly List<int> _epochs = new();
    private readonly List<string?> _metadata = new();
    private readonly HashSet<int> _scoreReported = new();
    private readonly List<RunFrameProblem> _problems = new();

    public RunFrameBuilder(string? path, int capacity = 0)
    {
        Path = path;
        if (capacity > 0)
        {
            _itemIds.Capacity = capacity;
            _scores.Capacity = capacity;
            _clusterIds.Capacity = capacity;
            _epochs.Capacity = capacity;
            _metadata.Capacity = capacity;
        }
    }

    public string? Path { get; }

    public RunFrameHeader Header { get; set; } = RunFrameHeader.Empty;

    public RunFrameProvenance? Provenance { get; set; }

    public int Count => _itemIds.Count;

    /// <summary>The reader already reported that the items field is absent; no "empty" problem too.</summary>
    public bool ItemsFieldMissing { get; set; }

    /// <summary>Set when the text could not be parsed any further (malformed JSON, say).</summary>
    public bool Malformed { get; private set; }

    /// <summary>The last cluster id kept; items of one cluster usually sit together, so they share one string.</summary>
    public string? LastClusterId => _lastCluster;

    private string? _lastCluster;

    public void Add(string? itemId, double score, string? clusterId, int epoch, string? metadataJson)
    {
        // Issue 16: keep one string per run of equal cluster ids, not one per item (the copy dies young).
        if (clusterId is not null)
        {
            if (string.Equals(clusterId, _lastCluster, StringComparison.Ordinal))
            {
                clusterId = _lastCluster;
            }
            else
            {
                _lastCluster = clusterId;
            }
        }

        _itemIds.Add(itemId);
        _scores.Add(score);
        _clusterIds.Add(clusterId);
        _epochs.Add(epoch);
        _metadata.Add(metadataJson);
    }

    /// <summary>Adds a placeholder for an entry that is not an item at all (already reported).</summary>
    public void AddPlaceholder()
    {
        _scoreReported.Add(_itemIds.Count);
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

        // Run-level problems first, then by item, each item's in the order found.
        return problems.Select((p, i) => (p, i)).OrderBy(x => x.p.ItemIndex ?? -1).ThenBy(x => x.i).Select(x => x.p).ToList();
    }

    private void ValidateFrame(List<RunFrameProblem> problems)
    {
        RequireRunField(problems, Header.RunId, "run_id");
        RequireRunField(problems, Header.ModelId, "model_id");
        RequireRunField(problems, Header.TaskId, "task_id");
        RequireRunField(problems, Header.MetricName, "metric_name");

        if (_itemIds.Count == 0 && !ItemsFieldMissing)
        {
            problems.Add(new RunFrameProblem(Path, null, "items", "the RunFrame has no items; a run needs at least one scored item"));
        }

        if (_itemIds.Count == 0)
        {
            return;
        }

        var seen = new Dictionary<(string, int), int>(_itemIds.Count);
        for (var i = 0; i < _itemIds.Count; i++)
        {
            var s = _scores[i];
            if (!double.IsFinite(s) && !_scoreReported.Contains(i))
            {
                problems.Add(new RunFrameProblem(Path, i, "score", string.Create(CultureInfo.InvariantCulture, $"score must be a finite number, not {s}")));
            }

            if (_epochs[i] < 0)
            {
                problems.Add(new RunFrameProblem(Path, i, "epoch", string.Create(CultureInfo.InvariantCulture, $"epoch must be an integer >= 0, not {_epochs[i]}")));
            }

            var id = _itemIds[i];
            if (id is null)
            {
                continue;
            }

            if (!seen.TryAdd((id, _epochs[i]), i))
            {
                problems.Add(new RunFrameProblem(Path, i, "item_id", string.Create(CultureInfo.InvariantCulture, $"duplicate (item_id, epoch) ('{id}', {_epochs[i]}): first seen at item {seen[(id, _epochs[i])]}")));
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

        var ids = new string[_itemIds.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _itemIds[i]!;
        }

        return new RunFrame(Header, ids, _scores.ToArray(), _clusterIds.ToArray(), _epochs.ToArray(), _metadata.ToArray(), Path, Provenance);
    }

    private void RequireRunField(List<RunFrameProblem> problems, string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            problems.Add(new RunFrameProblem(Path, null, field, $"required run field '{field}' is missing or empty"));
        }
    }
}
