using System.IO;
using System.Management.Automation;
using System.Text;
using EvalSig.Core.Files;
using EvalSig.Core.Gating;

namespace EvalSig.Commands;

/// <summary>Renders a gate report as JSON, Markdown or text, to the pipeline or a file.</summary>
[Cmdlet(VerbsData.Export, "EvalReport", SupportsShouldProcess = true)]
[OutputType(typeof(string))]
[OutputType(typeof(FileInfo))]
public sealed class ExportEvalReportCommand : EvalSigCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GateReport? InputObject { get; set; }

    [Parameter(Position = 0)]
    public ReportFormat Format { get; set; } = ReportFormat.Markdown;

    /// <summary>Write to this file (atomically) instead of the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var r = InputObject!;
        var text = GateReportText.Render(r, Format);
        if (Path is null)
        {
            WriteObject(text);
            return;
        }

        var target = ResolveOutputPath(Path);
        if (!ShouldProcess(target, $"Write {Format} report for {r.CandidateRunId}"))
        {
            return;
        }

        var bytes = new UTF8Encoding(false).GetBytes(text);
        if (Try(() => AtomicFile.Write(target, s => s.Write(bytes), NoClobber)) && PassThru)
        {
            WriteObject(new FileInfo(target));
        }
    }
}
