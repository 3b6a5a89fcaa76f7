using System.Management.Automation;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>The minimum detectable effect of a design, or the items needed for a target effect.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "EvalPower", DefaultParameterSetName = nameof(ParameterSet.Runs))]
[OutputType(typeof(PowerEstimate))]
public sealed class MeasureEvalPowerCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        Runs,
        Design,
    }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Runs))]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Runs))]
    [ValidateNotNull]
    public object? Candidate { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Runs))]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Runs))]
    public SwitchParameter NoCluster { get; set; }

    /// <summary>Standard deviation of the paired differences.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Design))]
    public double StdDev { get; set; }

    /// <summary>Number of paired items; may be left out when -TargetMde asks for the items needed.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Design))]
    public int? N { get; set; }

    /// <summary>Intra-cluster correlation of the differences.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Design))]
    public double Icc { get; set; }

    /// <summary>Items per cluster (mean).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Design))]
    public double ClusterSize { get; set; } = 1;

    /// <summary>The effect you want to detect; the result then includes the items (and clusters) needed.</summary>
    [Parameter]
    public double? TargetMde { get; set; }

    [Parameter]
    public double Alpha { get; set; } = 0.05;

    [Parameter]
    public double Power { get; set; } = 0.8;

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

    protected override void ProcessRecord()
    {
        PowerEstimate? estimate = null;
        if (ParameterSetName == nameof(ParameterSet.Design))
        {
            if (Try(() => estimate = PowerAnalysis.FromDesign(StdDev, N, Alpha, Power, Alternative, Icc, ClusterSize, TargetMde), terminating: true))
            {
                WriteObject(estimate);
            }

            return;
        }

        var options = new InferenceOptions { Alpha = Alpha, Power = Power, Alternative = Alternative, ClusterKey = Cluster, NoCluster = NoCluster };
        Try(options.Validate, terminating: true);
        var baseline = ResolveRunFrame(Baseline, nameof(Baseline), Core.RunFrames.RunFrameReadOptions.Default);
        var candidate = ResolveRunFrame(Candidate, nameof(Candidate), Core.RunFrames.RunFrameReadOptions.Default);
        if (Try(() => estimate = PowerAnalysis.FromRuns(baseline, candidate, options, TargetMde, Cancellation)))
        {
            WriteObject(estimate);
        }
    }
}
