namespace EvalSig.Core.RunFrames;

/// <summary>
/// The column names of the run-store schema, in file order. Parquet, CSV and JSONL all use
/// these names, so a file written in one format reads back through any other.
/// </summary>
internal static class RunFrameColumns
{
    public const string ProjectId = "project_id";
    public const string RunId = "run_id";
    public const string ModelId = "model_id";
    public const string TaskId = "task_id";
    public const string MetricName = "metric_name";
    public const string ItemId = "item_id";
    public const string ClusterId = "cluster_id";
    public const string Epoch = "epoch";
    public const string Score = "score";
    public const string ConfigHash = "config_hash";
    public const string Ts = "ts";
    public const string MetadataJson = "metadata_json";

    public static readonly string[] All =
    {
        ProjectId, RunId, ModelId, TaskId, MetricName, ItemId, ClusterId, Epoch, Score, ConfigHash, Ts, MetadataJson,
    };

    /// <summary>Run-level columns: carried on every row, never item metadata.</summary>
    public static bool IsRunField(string name) => name is ProjectId or RunId or ModelId or TaskId or MetricName or ConfigHash or Ts or "timestamp";
}
