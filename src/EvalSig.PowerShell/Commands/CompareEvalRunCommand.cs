using System.Management.Automation;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>The gate's inference without a verdict, plus effect sizes.</summary>
[Cmdlet(VerbsData.Compare, "EvalRun", DefaultParameterSetName = RunsSet)]
[OutputType(typeof(RunComparison))]
public sealed class CompareEvalRunCommand : RunPairCmdlet
{
    private InferenceOptions? _options;

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.TwoSided;

    protected override void BeginProcessing()
    {
        _options = Inference(Alternative);
        Begin(_options.Validate);
    }

    protected override void ProcessRecord()
        => CompareCandidate("Compare-EvalRun", (b, c, progress, cancel) => RunComparison.Create(b, c, _options!, progress, cancel));
}
