using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>Reads RunFrame files (JSON, JSONL, CSV, Parquet) into typed RunFrame objects.</summary>
[Cmdlet(VerbsData.Import, "RunFrame", DefaultParameterSetName = nameof(ParameterSet.Path))]
[OutputType(typeof(RunFrame))]
public sealed class ImportRunFrameCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        Path,
        LiteralPath,
    }

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.Path))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.LiteralPath))]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

    [Parameter]
    public RunFrameFormat Format { get; set; } = RunFrameFormat.Auto;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ItemColumn { get; set; } = "item_id";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ScoreColumn { get; set; } = "score";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ClusterColumn { get; set; } = "cluster_id";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string EpochColumn { get; set; } = "epoch";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? RunId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ModelId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TaskId { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MetricName { get; set; }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == nameof(ParameterSet.LiteralPath);
        var options = ReadOptions.From(this);
        foreach (var file in ResolveInputPaths(literal ? LiteralPath : Path, literal, EvalSigError.RunFrameNotFound))
        {
            RunFrame? frame = null;
            if (Try(() => frame = RunFrameFile.Read(file, options, Cancellation)))
            {
                WriteObject(frame);
            }
        }
    }

    internal static class ReadOptions
    {
        public static RunFrameReadOptions From(ImportRunFrameCommand c) => new()
        {
            Format = c.Format,
            ItemColumn = c.ItemColumn,
            ScoreColumn = c.ScoreColumn,
            ClusterColumn = c.ClusterColumn,
            EpochColumn = c.EpochColumn,
            RunId = c.RunId,
            ModelId = c.ModelId,
            TaskId = c.TaskId,
            MetricName = c.MetricName,
        };
    }
}
