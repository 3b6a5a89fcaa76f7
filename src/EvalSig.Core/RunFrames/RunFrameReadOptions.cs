namespace EvalSig.Core.RunFrames;

/// <summary>
/// How to read a RunFrame file. Column names map JSONL keys and CSV headers onto item fields;
/// run fields given here override those in the file.
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
}
