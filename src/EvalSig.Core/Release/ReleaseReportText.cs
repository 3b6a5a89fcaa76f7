using System;
using System.Globalization;
using System.Text;
using EvalSig.Core.Gating;

namespace EvalSig.Core.Release;

/// <summary>Human forms of a release report: the release verdict first, then a row per task, then each task's report.</summary>
public static class ReleaseReportText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Render(ReleaseReport report, ReportFormat format) => format switch
    {
        ReportFormat.Json => ReleaseReportJson.Serialize(report),
        ReportFormat.Text => Text(report),
        ReportFormat.Markdown => Markdown(report),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Json, Markdown or Text; JUnit has its own writer (JUnitXml)."),
    };

    public static string Markdown(ReleaseReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.Append(Inv, $"## EvalSig release gate: **{r.Verdict}**").AppendLine().AppendLine();
        sb.Append(Inv, $"{r.Tasks.Count} task{(r.Tasks.Count == 1 ? string.Empty : "s")}, {r.Decision}{(r.Correction == MultipleTestingCorrection.None ? string.Empty : ", " + ReleaseGate.CorrectionLabel(r.Correction) + " correction")} (exit code {r.ExitCode}).").AppendLine().AppendLine();
        sb.AppendLine(r.Explanation).AppendLine();
        sb.AppendLine("| Task | Verdict | Reason | Delta | p-value | Adjusted p | MDE | Method |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var t in r.Tasks)
        {
            var c = t.Comparison;
            sb.Append(Inv, $"| {Cell(t.Task)} | **{t.Verdict}** | {t.Reason} | {Signed(c.Delta)} | {Num(c.PValue)} | {Num(t.AdjustedPValue ?? double.NaN)} | {Num(c.Mde)} | {c.Method} |").AppendLine();
        }

        foreach (var t in r.Tasks)
        {
            sb.AppendLine();
            // Each task's own report, one heading level down.
            sb.Append(GateReportText.Markdown(t).Replace("## EvalSig gate: ", $"### {Cell(t.Task)}: ", StringComparison.Ordinal));
        }

        return sb.ToString();
    }

    public static string Text(ReleaseReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.Append(Inv, $"{"Release",-12} {r.Verdict} (exit {r.ExitCode}) - {r.Decision}{(r.Correction == MultipleTestingCorrection.None ? string.Empty : ", " + ReleaseGate.CorrectionLabel(r.Correction))}").AppendLine();
        sb.Append(Inv, $"{"Explanation",-12} {r.Explanation}").AppendLine();
        foreach (var t in r.Tasks)
        {
            var c = t.Comparison;
            sb.Append(Inv, $"{"Task",-12} {t.Task}: {t.Verdict} ({t.Reason}) delta {Signed(c.Delta)}, p {Num(c.PValue)}, adjusted p {Num(t.AdjustedPValue ?? double.NaN)}, MDE {Num(c.Mde)}, {c.Method}").AppendLine();
        }

        return sb.ToString();
    }

    private static string Cell(string? s) => (s ?? string.Empty).Replace("|", "\\|", StringComparison.Ordinal);

    private static string Signed(double v) => double.IsNaN(v) ? "n/a" : v.ToString("+0.000000;-0.000000;0.000000", Inv);

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : v < 1e-4 && v > 0 ? v.ToString("0.00E+00", Inv) : v.ToString("0.000000", Inv);
}
