using System.Management.Automation;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>The parameters of cmdlets that read RunFrame files: paths, format and column mapping.</summary>
public abstract class RunFrameReadingCmdlet : RunFrameInputCmdlet
{
    protected const string PathSet = "Path";
    protected const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

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

    /// <summary>The files named by -Path (wildcards) or -LiteralPath; each missing one is a RunFrameNotFound error.</summary>
    protected System.Collections.Generic.IEnumerable<string> InputFiles()
    {
        var literal = ParameterSetName == LiteralPathSet;
        return ResolveInputPaths(literal ? LiteralPath : Path, literal, Core.Diagnostics.EvalSigError.RunFrameNotFound, allowDirectories: true);
    }

    protected override RunFrameReadOptions ReadOptions() => base.ReadOptions() with
    {
        ItemColumn = ItemColumn,
        ScoreColumn = ScoreColumn,
        ClusterColumn = ClusterColumn,
        EpochColumn = EpochColumn,
    };
}
