using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Release;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// What a gate tells the pipeline it runs in, the same for the cmdlets and the command line: one
/// plain verdict line; an error annotation for REJECT and a warning for INCONCLUSIVE; output
/// variables; the Markdown report as the run's summary; and, under Azure Pipelines, the step result
/// an INCONCLUSIVE verdict maps to. Nothing at all when the context has no provider.
/// Lines go to <c>writeLine</c> (stdout: both agents read commands from stdout); the provider's
/// files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, the Azure summary file) are written here.
/// </summary>
public sealed class CiReporter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly CiContext _ci;
    private readonly Action<string> _writeLine;

    public CiReporter(CiContext ci, Action<string> writeLine)
    {
        ArgumentNullException.ThrowIfNull(ci);
        ArgumentNullException.ThrowIfNull(writeLine);
        _ci = ci;
        _writeLine = writeLine;
    }

    public CiContext Context => _ci;

    /// <summary>A status ticker for long work, or null when no provider is active (progress bars are enough then).</summary>
    public StatusTicker? Status(string activity) => _ci.IsActive ? new StatusTicker(activity, _ci.StatusInterval, _ci.Clock) : null;

    /// <summary>Reports one gate decision.</summary>
    /// <exception cref="EvalSigException">CiOutputFailed when a provider file cannot be written.</exception>
    public void Gate(GateReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!_ci.IsActive)
        {
            return;
        }

        Emit(
            VerdictLine(report),
            report.Verdict,
            $"EvalSig gate {report.Verdict}",
            $"EvalSig gate {report.Verdict} ({report.Reason}): {report.Explanation}" + (report.Suggestion is null ? string.Empty : "\n" + report.Suggestion),
            GateVariables(report, string.Empty),
            GateReportText.Markdown(report),
            "EvalSig gate",
            report.Options.InconclusiveAs);
    }

    /// <summary>Reports a multi-task release decision: a line per task, then the release's line, annotation, variables and summary.</summary>
    /// <exception cref="EvalSigException">CiOutputFailed when a provider file cannot be written.</exception>
    public void Release(ReleaseReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!_ci.IsActive)
        {
            return;
        }

        foreach (var task in report.Tasks)
        {
            _writeLine(VerdictLine(task));
        }

        var message = new StringBuilder(Invariant($"EvalSig release {report.Verdict} ({report.Decision}): {report.Explanation}"));
        foreach (var task in report.Tasks.Where(t => t.Verdict != GateVerdict.ALLOW))
        {
            message.Append('\n').Append(Invariant($"{task.Task} {task.Verdict} ({task.Reason}): {task.Explanation}"));
        }

        var variables = new List<(string, string)>
        {
            ("verdict", report.Verdict.ToString()),
            ("exit_code", report.StepExitCode.ToString(Inv)),
            ("decision", ReleaseOptions.DecisionName(report.Decision)),
            ("correction", ReleaseOptions.CorrectionName(report.Correction)),
        };
        foreach (var task in report.Tasks)
        {
            variables.AddRange(GateVariables(task, VariablePrefix(task.Task!)));
        }

        Emit(
            ReleaseLine(report),
            report.Verdict,
            $"EvalSig release {report.Verdict}",
            message.ToString(),
            variables,
            ReleaseReportText.Markdown(report),
            "EvalSig release gate",
            report.InconclusiveAs);
    }

    /// <summary>Reports an audit-chain verification: a plain line, and an error annotation when the chain is not valid.</summary>
    public void Chain(ChainVerification verification, string subject)
    {
        ArgumentNullException.ThrowIfNull(verification);
        ArgumentNullException.ThrowIfNull(subject);
        if (!_ci.IsActive)
        {
            return;
        }

        var v = verification;
        _writeLine(_ci.Neutralize(Invariant($"EvalSig audit chain: {(v.Valid ? "VALID" : "INVALID")} - verified {v.VerifiedCount}, tampered {v.TamperedCount}, gaps {v.Gaps.Count}, duplicates {v.Duplicates.Count}, anchored {(v.Anchored ? "yes" : "no")} ({subject})")));
        if (!v.Valid)
        {
            var message = Invariant($"EvalSig audit chain INVALID ({subject}): {v.Reason}");
            _writeLine(_ci.Provider == CiProvider.AzureDevOps
                ? AzurePipelinesCommand.Format("task.logissue", new[] { ("type", "error") }, message)
                : GitHubWorkflowCommand.Format("error", new[] { ("title", "EvalSig audit chain INVALID") }, message));
        }
    }

    /// <summary>
    /// "EvalSig gate: REJECT (NotSignificant) delta -0.0012, 95% CI [-0.0123, +inf), p 0.62 (one-sided),
    /// MDE 0.0153, method clustered_t, exit code 1" - verdict, reason and the numbers behind them.
    /// </summary>
    public static string VerdictLine(GateReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = r.Comparison;
        var sb = new StringBuilder("EvalSig gate");
        if (r.Task is not null)
        {
            sb.Append(' ').Append(r.Task);
        }

        sb.Append(Inv, $": {r.Verdict} ({r.Reason}) delta {Signed(c.Delta)}, {Percent(c.CiLevel)} CI {IntervalText.Format(c.CiLower, c.CiUpper)}");
        sb.Append(Inv, $", p {Num(c.PValue)} ({(c.Alternative == Alternative.Greater ? "one-sided" : "two-sided")})");
        if (r.AdjustedPValue is { } adjusted && r.AdjustedPValue != c.PValue)
        {
            sb.Append(Inv, $", adjusted p {Num(adjusted)}");
        }

        sb.Append(Inv, $", MDE {Num(c.Mde)}, method {c.Method}, exit code {r.StepExitCode}");
        if (r.Verdict == GateVerdict.INCONCLUSIVE && r.Options.InconclusiveAs != InconclusiveOutcome.Failed)
        {
            sb.Append(Inv, $" (INCONCLUSIVE treated as {r.Options.InconclusiveAs})");
        }

        return sb.ToString();
    }

    /// <summary>"EvalSig release: REJECT (AllMustPass, 3 tasks: 2 ALLOW, 1 REJECT, 0 INCONCLUSIVE), exit code 1".</summary>
    public static string ReleaseLine(ReleaseReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        int Count(GateVerdict v) => r.Tasks.Count(t => t.Verdict == v);
        var correction = r.Correction == MultipleTestingCorrection.None ? string.Empty : ", " + ReleaseGate.CorrectionLabel(r.Correction);
        var line = Invariant($"EvalSig release: {r.Verdict} ({r.Decision}{correction}, {r.Tasks.Count} tasks: {Count(GateVerdict.ALLOW)} ALLOW, {Count(GateVerdict.REJECT)} REJECT, {Count(GateVerdict.INCONCLUSIVE)} INCONCLUSIVE), exit code {r.StepExitCode}");
        return r.Verdict == GateVerdict.INCONCLUSIVE && r.InconclusiveAs != InconclusiveOutcome.Failed
            ? line + Invariant($" (INCONCLUSIVE treated as {r.InconclusiveAs})")
            : line;
    }

    /// <summary>A task name as a variable-name prefix: Azure variable names take letters, digits, '.' and '_', GitHub output names letters, digits, '-' and '_'; so anything else becomes '_'.</summary>
    public static string VariablePrefix(string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var chars = task.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_' ? ch : '_').ToArray();
        return new string(chars) + "_";
    }

    private static IEnumerable<(string, string)> GateVariables(GateReport r, string prefix)
    {
        var c = r.Comparison;
        yield return (prefix + "verdict", r.Verdict.ToString());
        yield return (prefix + "reason", GateReportJson.ReasonName(r.Reason));
        yield return (prefix + "exit_code", r.StepExitCode.ToString(Inv));
        yield return (prefix + "delta", Raw(c.Delta));
        yield return (prefix + "ci_lower", Raw(c.CiLower));
        yield return (prefix + "ci_upper", Raw(c.CiUpper));
        yield return (prefix + "p_value", Raw(c.PValue));
        if (r.AdjustedPValue is { } adjusted)
        {
            yield return (prefix + "adjusted_p_value", Raw(adjusted));
        }

        yield return (prefix + "mde", Raw(c.Mde));
        yield return (prefix + "method", c.Method);
    }

    private void Emit(string line, GateVerdict verdict, string title, string message, IEnumerable<(string Name, string Value)> variables, string markdown, string summaryName, InconclusiveOutcome inconclusiveAs)
    {
        _writeLine(line);
        var issue = verdict switch
        {
            GateVerdict.REJECT => "error",
            GateVerdict.INCONCLUSIVE => "warning",
            _ => null,
        };

        if (_ci.Provider == CiProvider.AzureDevOps)
        {
            if (issue is not null)
            {
                _writeLine(AzurePipelinesCommand.Format("task.logissue", new[] { ("type", issue) }, message));
            }

            foreach (var (name, value) in variables)
            {
                // isOutput=true: later jobs and stages read $(step.verdict) or dependencies.<job>.outputs['step.verdict'].
                _writeLine(AzurePipelinesCommand.Format("task.setvariable", new[] { ("variable", name), ("isOutput", "true") }, value));
            }

            var summary = WriteFile(() =>
            {
                // The summary section is titled by the file name, so the name is the title; a folder of
                // its own keeps concurrent gates apart.
                var dir = Path.Combine(_ci.TempDirectory(), "evalsig-" + Guid.NewGuid().ToString("N")[..12]);
                Directory.CreateDirectory(dir);
                var path = Path.Combine(dir, summaryName + ".md");
                File.WriteAllText(path, markdown, new UTF8Encoding(false));
                return path;
            });
            _writeLine(AzurePipelinesCommand.Format("task.uploadsummary", Array.Empty<(string, string)>(), summary));
            if (verdict == GateVerdict.INCONCLUSIVE)
            {
                _writeLine(AzurePipelinesCommand.Format("task.complete", new[] { ("result", inconclusiveAs.ToString()) }, $"EvalSig: INCONCLUSIVE treated as {inconclusiveAs}"));
            }
        }
        else
        {
            if (issue is not null)
            {
                _writeLine(GitHubWorkflowCommand.Format(issue, new[] { ("title", title) }, message));
            }

            if (_ci.Variable("GITHUB_OUTPUT") is { Length: > 0 } output)
            {
                var text = string.Concat(variables.Select(v => GitHubWorkflowCommand.OutputEntry(v.Name, v.Value)));
                WriteFile(() => Append(output, text));
            }

            if (_ci.Variable("GITHUB_STEP_SUMMARY") is { Length: > 0 } stepSummary)
            {
                WriteFile(() => Append(stepSummary, markdown.EndsWith('\n') ? markdown + "\n" : markdown + "\n\n"));
            }
        }
    }

    private static string Append(string path, string text)
    {
        File.AppendAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    private static string WriteFile(Func<string> write)
    {
        try
        {
            return write();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            throw new EvalSigException(EvalSigError.CiOutputFailed, EvalSigErrorKind.WriteError, $"Could not write the pipeline's output file: {ex.Message}", null, ex);
        }
    }

    /// <summary>Round-trip text for machines: 0.0123, -Infinity, NaN (what double.Parse and Python's float read back).</summary>
    private static string Raw(double v) => v.ToString("R", Inv);

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", Inv) + "%";

    private static string Signed(double v) => double.IsPositiveInfinity(v) ? "+inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "n/a" : v.ToString("+0.######;-0.######;0", Inv);

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : v.ToString("G4", Inv);

    private static string Invariant(FormattableString s) => s.ToString(Inv);
}
