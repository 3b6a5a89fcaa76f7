using System.Management.Automation;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>The gate's inference without a verdict, plus effect sizes.</summary>
[Cmdlet(VerbsData.Compare, "EvalRun")]
[OutputType(typeof(RunComparison))]
public sealed class CompareEvalRunCommand : EvalSigCmdlet
{
    private RunFrame? _baseline;
    private InferenceOptions? _options;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object? Candidate { get; set; }

    [Parameter]
    public double Alpha { get; set; } = 0.05;

    [Parameter]
    public double Power { get; set; } = 0.8;

    [Parameter]
    public InferenceMethod Method { get; set; } = InferenceMethod.Auto;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter]
    public SwitchParameter NoCluster { get; set; }

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.TwoSided;

    [Parameter]
    public int Resamples { get; set; } = InferenceOptions.DefaultResamples;

    [Parameter]
    public long Seed { get; set; }

    protected override void BeginProcessing()
    {
        var options = new InferenceOptions
        {
            Alpha = Alpha,
            Power = Power,
            Method = Method,
            ClusterKey = Cluster,
            NoCluster = NoCluster,
            Alternative = Alternative,
            Resamples = Resamples,
            Seed = Seed,
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

        RunComparison? result = null;
        if (Try(() => result = RunWithProgress($"Compare-EvalRun {candidate.RunId}", (p, c) => RunComparison.Create(_baseline!, candidate, _options!, p, c))))
        {
            WriteObject(result);
        }
    }
}
