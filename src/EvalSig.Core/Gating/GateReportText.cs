using System;
using System.Globalization;
using System.Text;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Gating;

/// <summary>
/// Human forms of a report: Markdown for a pull request or pipeline summary, aligned text for a
/// terminal. Verdict first, then delta and CI, p, MDE, n, method, notes, suggestion.
/// </summary>
public static class GateReportText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(GateReport report, ReportFormat format) => format switch
    {
        ReportFormat.Json => GateReportJson.Serialize(report),
        ReportFormat.Text => Text(report),
        ReportFormat.JUnit => Pipelines.JUnitXml.Gates(new[] { report }),
        _ => Markdown(report),
    };

    public static string Markdown(GateReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = r.Comparison;
        var sb = new StringBuilder();
        sb.Append(Inv, $"## EvalSig gate: **{r.Verdict}**").AppendLine().AppendLine();
        sb.Append(Inv, $"Candidate `{r.CandidateRunId}` vs baseline `{r.BaselineRunId}` - {Headline(r)} (exit code {r.ExitCode}, reason `{GateReportJson.ReasonName(r.Reason)}`).").AppendLine().AppendLine();
        sb.AppendLine(r.Explanation).AppendLine();
        sb.AppendLine("| | |");
        sb.AppendLine("|---|---|");
        foreach (var (label, value) in Rows(r))
        {
            sb.Append(Inv, $"| {label} | {value.Replace("|", "\\|", StringComparison.Ordinal)} |").AppendLine();
        }

        if (c.Notes.Count > 0)
        {
            sb.AppendLine().AppendLine("**Notes**").AppendLine();
            foreach (var n in c.Notes)
            {
                sb.Append("- ").AppendLine(n);
            }
        }

        if (r.Suggestion is not null)
        {
            sb.AppendLine().Append("**Suggestion:** ").AppendLine(r.Suggestion);
        }

        sb.AppendLine().Append(Inv, $"<sub>EvalSig {r.ToolVersion}, evaluated {Time.IsoTime.Format(r.EvaluatedAt)}</sub>").AppendLine();
        return sb.ToString();
    }

    public static string Text(GateReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.Append(Inv, $"{"Verdict",-12} {r.Verdict} (exit {r.ExitCode}) - {Headline(r)}").AppendLine();
        sb.Append(Inv, $"{"Reason",-12} {r.Reason}: {r.Explanation}").AppendLine();
        foreach (var (label, value) in Rows(r))
        {
            sb.Append(Inv, $"{label,-12} {value}").AppendLine();
        }

        foreach (var n in r.Comparison.Notes)
        {
            sb.Append(Inv, $"{"Note",-12} {n}").AppendLine();
        }

        if (r.Suggestion is not null)
        {
            sb.Append(Inv, $"{"Suggestion",-12} {r.Suggestion}").AppendLine();
        }

        return sb.ToString();
    }

    private static string Headline(GateReport r) => r.Reason switch
    {
        GateReason.Improved => "the candidate is better by at least min-delta",
        GateReason.NonInferior => "the candidate is no worse than the baseline by more than the margin",
        GateReason.Regressed => "the candidate is significantly worse than the baseline",
        GateReason.BelowMinDelta => "the candidate is better, but by less than min-delta",
        GateReason.NotSignificant => "the candidate does not improve by min-delta",
        GateReason.MarginNotMet => "the candidate may be worse than the margin allows",
        GateReason.TooFewClusters => "too few clusters to decide",
        GateReason.TooFewPairs => "too few paired items to decide",
        GateReason.Inferior => "the candidate is worse than the baseline by more than the margin",
        GateReason.StreamEnded => "the stream ended before the sequence decided",
        _ => "not enough evidence to decide",
    };

    private static (string, string)[] Rows(GateReport r)
    {
        var c = r.Comparison;
        var level = Percent(c.CiLevel);
        var sided = c.Alternative == Alternative.Greater ? "one-sided, candidate better" : "two-sided";
        var rows = new System.Collections.Generic.List<(string, string)>
        {
            ("Delta", Signed(c.Delta)),
            ($"{level} CI", IntervalText.Format(c.CiLower, c.CiUpper)),
            ("Upper bound", $"{Signed(c.OneSidedUpper)} (one-sided {level}; below zero is a significant regression)"),
            ("p-value", $"{Num(c.PValue)} ({sided})"),
            ("MDE", $"{Num(c.Mde)} at {Percent(c.Power)} power"),
            (r.Decision == GateDecision.Superiority ? "Min delta" : "Margin", Num(r.Decision == GateDecision.Superiority ? r.MinDelta : r.Margin ?? double.NaN)),
            ("Pairs", c.Unpaired
                ? $"none: unpaired ({c.NBaseline} baseline items, {c.NCandidate} candidate items), less powerful than a paired comparison"
                : c.NPairs.ToString(Inv) + (c.OnlyInBaseline + c.OnlyInCandidate > 0 ? $" ({c.OnlyInBaseline} only in baseline, {c.OnlyInCandidate} only in candidate)" : string.Empty)),
            ("Clusters", c.NClusters == 0 ? "none" : $"{c.NClusters} ('{c.ClusterKey}')"),
            ("Method", c.Method + (double.IsNaN(c.Df) ? string.Empty : $", {c.Df.ToString("0.###", Inv)} df") + (c.McNemarB is { } b ? $" (b = {b}, c = {c.McNemarC})" : string.Empty) + (c.Resamples is { } rs ? $" ({rs} resamples, seed {c.Seed})" : string.Empty)),
        };
        return rows.ToArray();
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", Inv) + "%";

    private static string Signed(double v) => double.IsPositiveInfinity(v) ? "+inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "n/a" : v.ToString("+0.000000;-0.000000;0.000000", Inv);

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "inf" : v < 1e-4 && v > 0 ? v.ToString("0.00E+00", Inv) : v.ToString("0.000000", Inv);
}

/// <summary>Report renderings.</summary>
public enum ReportFormat
{
    Json,
    Markdown,
    Text,

    /// <summary>JUnit XML test results (one test case per gate) for PublishTestResults@2 and GitHub test reporters.</summary>
    JUnit,
}
