using System.Management.Automation;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>Reads RunFrame files (JSON, JSONL, CSV, Parquet) into typed RunFrame objects.</summary>
[Cmdlet(VerbsData.Import, "RunFrame", DefaultParameterSetName = PathSet)]
[OutputType(typeof(RunFrame))]
public sealed class ImportRunFrameCommand : RunFrameReadingCmdlet
{
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
        var options = ReadOptions();
        foreach (var file in InputFiles())
        {
            RunFrame? frame = null;
            WriteVerbose($"Reading '{file}'.");
            if (Try(() => frame = RunFrameFile.Read(file, options, Cancellation)))
            {
                WriteVerbose($"Read run '{frame!.RunId}': {frame.Count} items from '{file}'.");
                WriteObject(frame);
            }
        }
    }

    protected override RunFrameReadOptions ReadOptions() => base.ReadOptions() with
    {
        RunId = RunId,
        ModelId = ModelId,
        TaskId = TaskId,
        MetricName = MetricName,
    };
}
