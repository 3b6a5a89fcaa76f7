using System.Management.Automation;
using EvalSig.Core.RunFrames;

namespace EvalSig.Commands;

/// <summary>
/// Cmdlets that read RunFrames, from RunFrame files or from evaluation tools' logs: the format and
/// the choices a log needs (metric / scorer / stat, filter, score key, perturbation).
/// </summary>
public abstract class RunFrameInputCmdlet : EvalSigCmdlet
{
    /// <summary>Auto detects from the content: RunFrame JSON/JSONL/CSV/Parquet, lm-eval samples, Inspect logs, HELM run folders.</summary>
    [Parameter]
    public RunFrameFormat Format { get; set; } = RunFrameFormat.Auto;

    /// <summary>The score in a tool's log: an lm-eval metric (acc, exact_match), an Inspect scorer, a HELM stat.</summary>
    [Parameter]
    [Alias("Scorer", "Stat")]
    [ValidateNotNullOrEmpty]
    public string? Metric { get; set; }

    /// <summary>lm-eval: the filter whose rows to read (strict-match, flexible-extract, none).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Filter { get; set; }

    /// <summary>Inspect: the key of a dictionary-valued score.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ScoreKey { get; set; }

    /// <summary>HELM: read this perturbation's entries instead of the unperturbed instances.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Perturbation { get; set; }

    /// <summary>The read options these parameters give.</summary>
    protected virtual RunFrameReadOptions ReadOptions() => new()
    {
        Format = Format,
        Metric = Metric,
        Filter = Filter,
        ScoreKey = ScoreKey,
        Perturbation = Perturbation,
    };

    /// <summary>A RunFrame parameter's value (RunFrame, path, FileInfo, DirectoryInfo or RunFrame text) read with these options.</summary>
    protected RunFrame? ResolveRunFrame(object? input, string parameterName) => ResolveRunFrame(input, parameterName, ReadOptions());
}
