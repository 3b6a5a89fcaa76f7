using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Files;
using EvalSig.Core.Gating;
using EvalSig.Core.Pipelines;
using EvalSig.Core.Release;

namespace EvalSig.Commands;

/// <summary>
/// Renders gate reports, release reports and audit-chain verifications as JSON, Markdown, text or
/// JUnit XML, to the pipeline or a file. JUnit collects every piped gate report into one file, one
/// test case each.
/// </summary>
[Cmdlet(VerbsData.Export, "EvalReport", SupportsShouldProcess = true, DefaultParameterSetName = nameof(ParameterSet.Gate))]
[OutputType(typeof(string))]
[OutputType(typeof(FileInfo))]
public sealed class ExportEvalReportCommand : EvalSigCmdlet
{
    private readonly List<GateReport> _junit = new();

    private enum ParameterSet
    {
        Gate,
        Release,
        Chain,
    }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Gate))]
    [ValidateNotNull]
    public GateReport? InputObject { get; set; }

    /// <summary>A release report from Invoke-EvalGate -Pair or -Manifest.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Release))]
    [ValidateNotNull]
    public ReleaseReport? Release { get; set; }

    /// <summary>A verification from Test-AuditChain.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.Chain))]
    [ValidateNotNull]
    public ChainVerification? Chain { get; set; }

    [Parameter(Position = 0)]
    public ReportFormat Format { get; set; } = ReportFormat.Markdown;

    /// <summary>Write to this file (atomically) instead of the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case nameof(ParameterSet.Release):
                Emit(ReleaseText(Release!), $"Write {Format} release report ({Release!.Tasks.Count} tasks)");
                break;
            case nameof(ParameterSet.Chain):
                Emit(ChainText(Chain!), $"Write {Format} audit-chain report");
                break;
            default:
                if (Format == ReportFormat.JUnit)
                {
                    // One JUnit file holds every piped gate: written once, at the end.
                    _junit.Add(InputObject!);
                }
                else
                {
                    Emit(GateReportText.Render(InputObject!, Format), $"Write {Format} report for {InputObject!.CandidateRunId}");
                }

                break;
        }
    }

    protected override void EndProcessing()
    {
        if (_junit.Count > 0)
        {
            Emit(JUnitXml.Gates(_junit), $"Write JUnit results for {_junit.Count} gate report(s)");
        }
    }

    private string ReleaseText(ReleaseReport r)
        => Format == ReportFormat.JUnit ? JUnitXml.Release(r) : ReleaseReportText.Render(r, Format);

    private string ChainText(ChainVerification v) => Format switch
    {
        ReportFormat.JUnit => JUnitXml.Chain(v, v.Source ?? "audit records", DateTimeOffset.UtcNow),
        ReportFormat.Json => ChainVerificationText.Json(v),
        ReportFormat.Text => ChainVerificationText.Text(v),
        _ => ChainVerificationText.Markdown(v),
    };

    private void Emit(string text, string action)
    {
        if (Path is null)
        {
            WriteObject(text);
            return;
        }

        var target = ResolveOutputPath(Path);
        if (!ShouldProcess(target, action))
        {
            return;
        }

        var bytes = new UTF8Encoding(false).GetBytes(text);
        if (Try(() => AtomicFile.Write(target, s => s.Write(bytes), NoClobber)))
        {
            FileWritten(target, PassThru);
        }
    }
}
