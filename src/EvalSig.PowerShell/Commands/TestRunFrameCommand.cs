using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>Validates RunFrame files without importing them, listing every problem.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RunFrame", DefaultParameterSetName = nameof(ParameterSet.Path))]
[OutputType(typeof(RunFrameValidation))]
[OutputType(typeof(bool))]
public sealed class TestRunFrameCommand : EvalSigCmdlet
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

    /// <summary>Return only $true or $false per file.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var literal = ParameterSetName == nameof(ParameterSet.LiteralPath);
        var options = new RunFrameReadOptions
        {
            Format = Format,
            ItemColumn = ItemColumn,
            ScoreColumn = ScoreColumn,
            ClusterColumn = ClusterColumn,
            EpochColumn = EpochColumn,
        };
        foreach (var file in ResolveInputPaths(literal ? LiteralPath : Path, literal, EvalSigError.RunFrameNotFound))
        {
            RunFrameValidation? result = null;
            if (Try(() => result = RunFrameValidation.Of(file, RunFrameFile.Validate(file, options, Cancellation))))
            {
                WriteObject(Quiet ? result!.Valid : result);
            }
        }
    }
}
