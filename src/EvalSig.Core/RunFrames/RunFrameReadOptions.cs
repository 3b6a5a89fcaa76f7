namespace EvalSig.Core.RunFrames;

/// <summary>
/// How to read a RunFrame file. Column names map JSONL keys and CSV headers onto item fields;
/// run fields given here override those in the file. <see cref="Metric"/>, <see cref="Filter"/>,
/// <see cref="ScoreKey"/> and <see cref="Perturbation"/> choose what an evaluation tool's log
/// contributes as the item score; a reader never guesses between several candidates.
/// </summary>
public sealed record RunFrameReadOptions
{
    public static RunFrameReadOptions Default { get; } = new();

    public RunFrameFormat Format { get; init; } = RunFrameFormat.Auto;

    public string ItemColumn { get; init; } = "item_id";

    public string ScoreColumn { get; init; } = "score";

    public string ClusterColumn { get; init; } = "cluster_id";

    public string EpochColumn { get; init; } = "epoch";

    public string? RunId { get; init; }

    public string? ModelId { get; init; }

    public string? TaskId { get; init; }

    public string? MetricName { get; init; }

    /// <summary>
    /// The score to read from a tool's log: an lm-evaluation-harness metric key (<c>acc</c>,
    /// <c>exact_match</c>), an Inspect scorer name, or a HELM stat name (<c>exact_match</c>).
    /// Needed whenever the log offers more than one.
    /// </summary>
    public string? Metric { get; init; }

    /// <summary>lm-evaluation-harness: the filter whose rows to read (<c>strict-match</c>, <c>flexible-extract</c>, <c>none</c>).</summary>
    public string? Filter { get; init; }

    /// <summary>Inspect: the key of a dictionary-valued score.</summary>
    public string? ScoreKey { get; init; }

    /// <summary>HELM: read the entries of this perturbation (by name) instead of the unperturbed instances.</summary>
    public string? Perturbation { get; init; }

    /// <summary>True when any option that only evaluation-tool logs use is set.</summary>
    internal bool HasToolChoices => Metric is not null || Filter is not null || ScoreKey is not null || Perturbation is not null;
}
