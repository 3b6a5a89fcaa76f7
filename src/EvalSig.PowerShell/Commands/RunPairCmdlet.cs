using System;
using System.Management.Automation;
using System.Threading;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>
/// Cmdlets that compare a baseline with candidates (Invoke-EvalGate, Compare-EvalRun): the run pair
/// and the inference parameters, the baseline read once, each piped candidate compared in turn.
/// </summary>
public abstract class RunPairCmdlet : RunFrameInputCmdlet
{
    private RunFrame? _baseline;

    /// <summary>The parameter set of a baseline and its candidates (the other sets are the gate's multi-task ones).</summary>
    protected const string RunsSet = "Runs";

    /// <summary>A gate or comparison that could not run must stop the script: see <see cref="EvalSigCmdlet.FailClosed"/>.</summary>
    protected override bool FailClosed => true;

    /// <summary>A RunFrame, the path of a RunFrame file, tool log or HELM run folder, or RunFrame JSON text.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RunsSet)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>As the baseline; may come from the pipeline (RunFrames, paths, or JSON text from Get-Content -Raw).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ParameterSetName = RunsSet)]
    [ValidateNotNull]
    public object? Candidate { get; set; }

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
    public int Resamples { get; set; } = InferenceOptions.DefaultResamples;

    [Parameter]
    public long Seed { get; set; }

    protected InferenceOptions Inference(Alternative alternative) => new()
    {
        Alpha = Alpha,
        Power = Power,
        Method = Method,
        ClusterKey = Cluster,
        NoCluster = NoCluster,
        Alternative = alternative,
        Resamples = Resamples,
        Seed = Seed,
    };

    /// <summary>Validates the options (terminating on a bad one), then reads the baseline once (when there is one).</summary>
    protected void Begin(Action validate)
    {
        Try(validate, terminating: true);
        if (Baseline is not null)
        {
            _baseline = ResolveRunFrame(Baseline, nameof(Baseline), ReadOptions());
        }
    }

    /// <summary>
    /// Compares the baseline with this record's candidate, with progress; writes the result. Any
    /// failure (an unreadable candidate, no shared items...) is terminating: a release gate that
    /// could not compare must stop the script, not leave it without a report (fail closed).
    /// </summary>
    protected T CompareCandidate<T>(string activity, Func<RunFrame, RunFrame, IProgress<double>, CancellationToken, T> work, Func<string, Core.Pipelines.StatusTicker?>? status = null)
    {
        var candidate = ResolveRunFrame(Candidate, nameof(Candidate), ReadOptions());
        var name = $"{activity} {candidate.RunId}";
        T? result = default;
        Try(() => result = RunWithProgress(name, (p, c) => work(_baseline!, candidate, p, c), status?.Invoke(name)), terminating: true);
        var comparison = result switch { GateReport g => g.Comparison, RunComparison rc => rc.Comparison, _ => null };
        foreach (var warning in comparison is null ? Array.Empty<string>() : SampleWarnings.Of(comparison))
        {
            WriteWarning(warning);
        }

        WriteObject(result);
        return result!;
    }
}
