using System;
using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunStore;
using EvalSig.Core.Time;

namespace EvalSig.Commands;

/// <summary>A project's runs, one object per run, with the full Parquet path.</summary>
[Cmdlet(VerbsCommon.Get, "EvalHistory")]
[OutputType(typeof(StoredRun))]
public sealed class GetEvalHistoryCommand : EvalSigCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(DirectoryCompleter))]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(StoreProjectCompleter))]
    [ValidateNotNullOrEmpty]
    public string Project { get; set; } = string.Empty;

    /// <summary>Inclusive; a DateTime, DateTimeOffset or ISO-8601 text, compared as instants.</summary>
    [Parameter]
    public object? Since { get; set; }

    [Parameter]
    public object? Until { get; set; }

    [Parameter]
    public string? Model { get; set; }

    [Parameter]
    public string? Task { get; set; }

    [Parameter]
    public string? Metric { get; set; }

    [Parameter]
    [ValidateSet("ALLOW", "REJECT", "INCONCLUSIVE", IgnoreCase = true)]
    public string? Verdict { get; set; }

    /// <summary>Include versions replaced by a forced save.</summary>
    [Parameter]
    public SwitchParameter IncludeSuperseded { get; set; }

    protected override void EndProcessing()
    {
        var query = new HistoryQuery
        {
            Since = ToInstant(Since, nameof(Since)),
            Until = ToInstant(Until, nameof(Until), upperBound: true),
            Model = Model,
            Task = Task,
            Metric = Metric,
            Verdict = Verdict,
            IncludeSuperseded = IncludeSuperseded,
        };
        Try(
            () =>
            {
                foreach (var r in OpenStore(Root).History(Project, query))
                {
                    WriteObject(r);
                }
            },
            terminating: true);
    }

}
