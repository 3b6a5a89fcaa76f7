using System.Management.Automation;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>Decides ALLOW / REJECT / INCONCLUSIVE for a candidate against a baseline.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "EvalGate")]
[OutputType(typeof(GateReport))]
public sealed class InvokeEvalGateCommand : EvalSigCmdlet
{
    private RunFrame? _baseline;
    private GateOptions? _options;

    /// <summary>A RunFrame or the path of a RunFrame file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>A RunFrame or a path; may come from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object? Candidate { get; set; }

    [Parameter]
    public double MinDelta { get; set; }

    [Parameter]
    public double Alpha { get; set; } = 0.05;

    [Parameter]
    public double Power { get; set; } = 0.8;

    [Parameter]
    public InferenceMethod Method { get; set; } = InferenceMethod.Auto;

    /// <summary>Cluster key: cluster_id, an item-metadata key, or a CSV/Parquet column.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter]
    public SwitchParameter NoCluster { get; set; }

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

    /// <summary>Shorthand for -Alternative Greater (the default), as in the product's examples.</summary>
    [Parameter]
    public SwitchParameter OneSided { get; set; }

    [Parameter]
    public GateDecision Decision { get; set; } = GateDecision.Superiority;

    [Parameter]
    public double? Margin { get; set; }

    [Parameter]
    public int Resamples { get; set; } = InferenceOptions.DefaultResamples;

    [Parameter]
    public long Seed { get; set; }

    protected override void BeginProcessing()
    {
        if (OneSided && MyInvocation.BoundParameters.ContainsKey(nameof(Alternative)) && Alternative != Alternative.Greater)
        {
            ThrowTerminatingError(Error(Core.Diagnostics.EvalSigError.InvalidMethod, Core.Diagnostics.EvalSigErrorKind.InvalidArgument, "-OneSided and -Alternative TwoSided contradict each other.", Alternative));
        }

        var options = new GateOptions
        {
            MinDelta = MinDelta,
            Decision = Decision,
            Margin = Margin,
            Inference = new InferenceOptions
            {
                Alpha = Alpha,
                Power = Power,
                Method = Method,
                ClusterKey = Cluster,
                NoCluster = NoCluster,
                Alternative = OneSided ? Alternative.Greater : Alternative,
                Resamples = Resamples,
                Seed = Seed,
            },
        };
        Try(options.Validate, terminating: true);
        _options = options;
        _baseline = ResolveBaseline(Baseline);
    }

    protected override void ProcessRecord()
    {
        var candidate = ResolveRunFrame(Candidate, nameof(Candidate));
        if (candidate is null)
        {
            return;
        }

        GateReport? report = null;
        if (Try(() => report = RunWithProgress($"Invoke-EvalGate {candidate.RunId}", (p, c) => EvalGate.Decide(_baseline!, candidate, _options!, p, c))))
        {
            WriteObject(report);
        }
    }
}
