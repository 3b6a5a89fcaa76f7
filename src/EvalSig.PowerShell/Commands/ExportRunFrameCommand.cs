using System.IO;
using System.Management.Automation;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>Writes a RunFrame to JSON, JSONL, CSV or Parquet, atomically.</summary>
[Cmdlet(VerbsData.Export, "RunFrame", DefaultParameterSetName = nameof(ParameterSet.Path), SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportRunFrameCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        Path,
        LiteralPath,
    }

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public RunFrame? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Path))]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.LiteralPath))]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = string.Empty;

    /// <summary>Json, Jsonl, Csv or Parquet; Auto (the default) goes by the file extension.</summary>
    [Parameter]
    public RunFrameFormat Format { get; set; } = RunFrameFormat.Auto;

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var target = ResolveOutputPath(ParameterSetName == nameof(ParameterSet.LiteralPath) ? LiteralPath : Path);
        var frame = InputObject!;
        if (!ShouldProcess(target, $"Export RunFrame '{frame.RunId}' ({frame.Count} items)"))
        {
            return;
        }

        if (Try(() => RunFrameFile.Write(frame, target, Format, NoClobber, Cancellation)))
        {
            FileWritten(target, PassThru);
        }
    }
}
