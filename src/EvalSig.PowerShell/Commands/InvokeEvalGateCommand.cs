using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Pipelines;
using EvalSig.Core.Release;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>
/// Decides ALLOW / REJECT / INCONCLUSIVE for a candidate against a baseline, or for every task of a
/// multi-task release gate (-Pair, piped pairs, -Manifest) with one combined release verdict. Inside a
/// pipeline (or with -CiProvider) it also tells the pipeline: verdict line, annotations, variables, summary.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "EvalGate", DefaultParameterSetName = RunsSet)]
[OutputType(typeof(GateReport), ParameterSetName = new[] { RunsSet })]
[OutputType(typeof(ReleaseReport), ParameterSetName = new[] { nameof(ParameterSet.Pair), nameof(ParameterSet.Manifest) })]
public sealed class InvokeEvalGateCommand : RunPairCmdlet
{
    private readonly List<GateTask> _tasks = new();
    private GateOptions? _options;
    private CiReporter? _pipeline;

    private enum ParameterSet
    {
        Pair,
        Manifest,
    }

    [Parameter]
    public double MinDelta { get; set; }

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

    /// <summary>Shorthand for -Alternative Greater (the default), as in the product's examples.</summary>
    [Parameter]
    public SwitchParameter OneSided { get; set; }

    /// <summary>The question each gate answers: Superiority or NonInferiority (with -Pair and -Manifest, the tasks' default).</summary>
    [Parameter]
    public GateDecision Decision { get; set; } = GateDecision.Superiority;

    [Parameter]
    public double? Margin { get; set; }

    /// <summary>
    /// Release-gate tasks: hashtables or objects with Name, Baseline and Candidate (RunFrames or paths)
    /// and any gate option (MinDelta, Decision, Margin, Method, Alpha...); may come from the pipeline.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Pair))]
    [ValidateNotNullOrEmpty]
    public PSObject[]? Pair { get; set; }

    /// <summary>A JSON or YAML manifest of tasks.</summary>
    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.Manifest))]
    [ValidateNotNullOrEmpty]
    public string? Manifest { get; set; }

    /// <summary>How the tasks combine: AllMustPass (default) or AnyImproves.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Pair))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Manifest))]
    public ReleaseDecision ReleaseDecision { get; set; } = ReleaseDecision.AllMustPass;

    /// <summary>The correction over the tasks' p-values for AnyImproves (Holm by default).</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Pair))]
    [Parameter(ParameterSetName = nameof(ParameterSet.Manifest))]
    public MultipleTestingCorrection Correction { get; set; }

    /// <summary>How the pipeline step treats INCONCLUSIVE: Failed (default), SucceededWithIssues or Succeeded.</summary>
    [Parameter]
    public InconclusiveOutcome InconclusiveAs { get; set; } = InconclusiveOutcome.Failed;

    /// <summary>Pipeline output: Auto (TF_BUILD or GITHUB_ACTIONS), None, AzureDevOps or GitHubActions.</summary>
    [Parameter]
    public CiProvider CiProvider { get; set; } = CiProvider.Auto;

    protected override void BeginProcessing()
    {
        if (OneSided && MyInvocation.BoundParameters.ContainsKey(nameof(Alternative)) && Alternative != Alternative.Greater)
        {
            Terminate(Error(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, "-OneSided and -Alternative TwoSided contradict each other.", Alternative));
        }

        _options = new GateOptions
        {
            MinDelta = MinDelta,
            Decision = Decision,
            Margin = Margin,
            Inference = Inference(OneSided ? Alternative.Greater : Alternative),
            InconclusiveAs = InconclusiveAs,
        };
        // Task options are validated per task; a margin given for non-inferiority tasks is only a default.
        Begin(ParameterSetName == RunsSet ? _options.Validate : (_options with { Margin = null, Decision = GateDecision.Superiority }).Validate);
        _pipeline = PipelineReporter(CiProvider);
    }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case RunsSet:
                var report = CompareCandidate("Invoke-EvalGate", (b, c, progress, cancel) => EvalGate.Decide(b, c, _options!, progress, cancel), _pipeline!.Status);
                Try(() => _pipeline.Gate(report), terminating: true);
                break;
            case nameof(ParameterSet.Pair):
                foreach (var pair in Pair!)
                {
                    _tasks.Add(ToTask(pair, _tasks.Count));
                }

                break;
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == RunsSet)
        {
            return;
        }

        var release = new ReleaseOptions
        {
            Decision = ReleaseDecision,
            Correction = MyInvocation.BoundParameters.ContainsKey(nameof(Correction)) ? Correction : null,
            InconclusiveAs = InconclusiveAs,
        };
        IReadOnlyList<GateTask> tasks = _tasks;
        if (ParameterSetName == nameof(ParameterSet.Manifest))
        {
            GateManifest? manifest = null;
            var path = ResolveManifest(Manifest!);
            Try(() => manifest = GateManifest.Load(path, _options!, Cancellation), terminating: true);
            tasks = manifest!.Tasks;
            release = release with
            {
                Decision = MyInvocation.BoundParameters.ContainsKey(nameof(ReleaseDecision)) ? ReleaseDecision : manifest.Decision ?? ReleaseDecision.AllMustPass,
                Correction = release.Correction ?? manifest.Correction,
                InconclusiveAs = MyInvocation.BoundParameters.ContainsKey(nameof(InconclusiveAs)) ? InconclusiveAs : manifest.InconclusiveAs ?? InconclusiveOutcome.Failed,
            };
        }

        var activity = $"Invoke-EvalGate ({tasks.Count} tasks)";
        ReleaseReport? result = null;
        Try(() => result = RunWithProgress(activity, (p, c) => ReleaseGate.Decide(tasks, release, p, c), _pipeline!.Status(activity)), terminating: true);
        foreach (var task in result!.Tasks)
        {
            foreach (var warning in SampleWarnings.Of(task.Comparison))
            {
                WriteWarning($"{task.Task}: {warning}");
            }
        }

        WriteObject(result);
        Try(() => _pipeline!.Release(result!), terminating: true);
    }

    /// <summary>A -Pair entry (hashtable or object) as a task: its runs resolved like -Baseline/-Candidate, its options through Core's one key table.</summary>
    private GateTask ToTask(PSObject pair, int index)
    {
        var values = new List<KeyValuePair<string, object?>>();
        if (pair.BaseObject is IDictionary dictionary)
        {
            foreach (DictionaryEntry e in dictionary)
            {
                values.Add(new(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, Unwrap(e.Value)));
            }
        }
        else
        {
            values.AddRange(pair.Properties.Where(p => p.IsGettable && p.MemberType is PSMemberTypes.NoteProperty or PSMemberTypes.Property).Select(p => new KeyValuePair<string, object?>(p.Name, Unwrap(p.Value))));
        }

        GateTask? task = null;
        Try(() => task = GateOptionOverrides.ToTask(values, _options!, (run, key) => ResolveRunFrame(run, $"Pair[{index}].{key}", ReadOptions()), $"-Pair[{index}]"), terminating: true);
        return task!;
    }

    private static object? Unwrap(object? value) => value is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : value;

    private string ResolveManifest(string path)
    {
        List<string> files;
        try
        {
            files = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out var provider).ToList();
            if (provider.ImplementingType != typeof(Microsoft.PowerShell.Commands.FileSystemProvider))
            {
                Terminate(Error(EvalSigError.PathNotFileSystem, EvalSigErrorKind.InvalidArgument, $"'{path}' is not a file-system path.", path));
            }
        }
        catch (ItemNotFoundException)
        {
            files = new List<string>();
        }

        if (files.Count != 1)
        {
            Terminate(Error(EvalSigError.ManifestNotFound, EvalSigErrorKind.ObjectNotFound, files.Count == 0 ? $"The manifest '{path}' does not exist." : $"-Manifest '{path}' matches {files.Count} files; give exactly one.", path));
        }

        return files[0];
    }
}
