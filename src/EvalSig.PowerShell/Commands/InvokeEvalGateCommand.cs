using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>Decides ALLOW / REJECT / INCONCLUSIVE for a candidate against a baseline.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "EvalGate")]
[OutputType(typeof(GateReport))]
public sealed class InvokeEvalGateCommand : RunPairCmdlet
{
    private GateOptions? _options;

    [Parameter]
    public double MinDelta { get; set; }

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

    /// <summary>Shorthand for -Alternative Greater (the default), as in the product's examples.</summary>
    [Parameter]
    public SwitchParameter OneSided { get; set; }

    [Parameter]
    public GateDecision Decision { get; set; } = GateDecision.Superiority;

    [Parameter]
    public double? Margin { get; set; }

    protected override void BeginProcessing()
    {
        if (OneSided && MyInvocation.BoundParameters.ContainsKey(nameof(Alternative)) && Alternative != Alternative.Greater)
        {
            ThrowTerminatingError(Error(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, "-OneSided and -Alternative TwoSided contradict each other.", Alternative));
        }

        _options = new GateOptions
        {
            MinDelta = MinDelta,
            Decision = Decision,
            Margin = Margin,
            Inference = Inference(OneSided ? Alternative.Greater : Alternative),
        };
        Begin(_options.Validate);
    }

    protected override void ProcessRecord()
        => CompareCandidate("Invoke-EvalGate", (b, c, progress, cancel) => EvalGate.Decide(b, c, _options!, progress, cancel));
}
