using System.Management.Automation;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>Validates RunFrame files without importing them, listing every problem.</summary>
[Cmdlet(VerbsDiagnostic.Test, "RunFrame", DefaultParameterSetName = PathSet)]
[OutputType(typeof(RunFrameValidation))]
[OutputType(typeof(bool))]
public sealed class TestRunFrameCommand : RunFrameReadingCmdlet
{
    /// <summary>Return only $true or $false per file.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var options = ReadOptions();
        foreach (var file in InputFiles())
        {
            RunFrameValidation? result = null;
            WriteVerbose($"Validating '{file}'.");
            if (Try(() => result = RunFrameValidation.Of(file, RunFrameFile.Validate(file, options, Cancellation))))
            {
                WriteObject(Quiet ? result!.Valid : result);
            }
        }
    }
}
