using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;

namespace EvalSig.Commands;

/// <summary>Saves RunFrames (or both runs of a gate report) to the Parquet run store.</summary>
[Cmdlet(VerbsData.Save, "EvalRun", SupportsShouldProcess = true)]
[OutputType(typeof(StoredRun))]
public sealed class SaveEvalRunCommand : RunFrameInputCmdlet
{
    /// <summary>A RunFrame, a GateReport (then both runs are saved), or a path (string, FileInfo, DirectoryInfo) of a RunFrame file, tool log or HELM run folder.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(DirectoryCompleter))]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(StoreProjectCompleter))]
    [ValidateNotNullOrEmpty]
    public string Project { get; set; } = string.Empty;

    /// <summary>Save a new version of a run id that exists with other content (the old file is kept).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var store = OpenStore(Root);
        var value = InputObject is PSObject p ? p.BaseObject : InputObject;
        switch (value)
        {
            case GateReport report:
                if (ShouldProcess($"{store.Root}/{Project}", $"Save runs '{report.BaselineRunId}' and '{report.CandidateRunId}' with the gate's verdict"))
                {
                    System.Collections.Generic.IReadOnlyList<SaveResult>? results = null;
                    if (Try(() => results = store.SaveReport(Project, report, Force, Cancellation)))
                    {
                        foreach (var r in results!)
                        {
                            Emit(r);
                        }
                    }
                }

                break;
            case RunFrame or string or System.IO.FileSystemInfo:
                if (ResolveRunFrame(value, nameof(InputObject)) is not { } frame)
                {
                    break;
                }

                if (ShouldProcess($"{store.Root}/{Project}", $"Save run '{frame.RunId}' ({frame.Count} items)"))
                {
                    SaveResult? result = null;
                    if (Try(() => result = store.Save(Project, frame, Force, null, Cancellation)))
                    {
                        Emit(result!);
                    }
                }

                break;
            default:
                WriteError(Error(EvalSigError.RunStoreInvalid, EvalSigErrorKind.InvalidArgument, $"Save-EvalRun takes RunFrames (Import-RunFrame), paths of RunFrame files or tool logs, or gate reports (Invoke-EvalGate), not {value?.GetType().Name ?? "null"}.", value));
                break;
        }
    }

    private void Emit(SaveResult r)
    {
        if (r.Outcome == SaveOutcome.Unchanged)
        {
            WriteVerbose($"Run '{r.Run.RunId}' is already stored with the same content: nothing written.");
        }
        else
        {
            WriteVerbose($"Saved run '{r.Run.RunId}' to '{r.Run.Path}' ({r.Outcome}).");
        }

        if (PassThru)
        {
            WriteObject(r.Run);
        }
    }
}
