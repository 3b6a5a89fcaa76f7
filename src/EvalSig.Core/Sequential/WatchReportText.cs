using System;
using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Sequential;

/// <summary>A watch report as JSON (the gate report's fields plus a "watch" block) or as aligned text.</summary>
public static class WatchReportText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Json(WatchReport r, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(r);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonValues.WriterOptions(indented)))
        {
            w.WriteStartObject();
            w.WriteString("verdict", r.Verdict.ToString());
            w.WriteNumber("exit_code", r.ExitCode);
            w.WriteString("reason", GateReportJson.ReasonName(r.Reason));
            w.WritePropertyName("comparison");
            GateReportJson.WriteComparison(w, r.Comparison);
            Num(w, "min_delta", r.MinDelta);
            Num(w, "alpha", r.Alpha);
            GateReportJson.WriteDecisionTail(w, r.Suggestion, r.Decision, r.Margin, r.BaselineRunId, r.CandidateRunId, r.EvaluatedAt, r.ToolVersion);
            w.WriteStartObject("watch");
            w.WriteString("sequence", r.Sequence == SequenceKind.Asymptotic ? "asymptotic" : "betting");
            w.WriteNumber("items_read", r.ItemsRead);
            w.WriteNumber("matched", r.Matched);
            w.WriteNumber("unmatched", r.Unmatched);
            w.WriteNumber("duplicates", r.Duplicates);
            w.WriteNumber("observations", r.Observations);
            w.WriteBoolean("cluster_level", r.ClusterLevel);
            w.WriteNumber("clusters_complete", r.ClustersComplete);
            w.WriteNumber("clusters_total", r.ClustersTotal);
            w.WriteBoolean("stopped_early", r.StoppedEarly);
            w.WriteNumber("min_observations", r.Options.EffectiveMinObservations);
            w.WriteString("alternative", GateReportJson.AlternativeName(r.Options.Alternative));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Text(WatchReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var c = r.Comparison;
        var sb = new StringBuilder();
        sb.Append(Inv, $"{"Verdict",-12} {r.Verdict} (exit {r.ExitCode}) - {r.Reason}").AppendLine();
        sb.Append(Inv, $"{"Delta",-12} {Signed(c.Delta)}").AppendLine();
        sb.Append(Inv, $"{"Sequence",-12} {Gating.IntervalText.Format(c.CiLower, c.CiUpper)} (each bound one-sided at {Percent(1 - (r.Options.Alternative == Alternative.Greater ? r.Alpha : r.Alpha / 2))}, valid at every look)").AppendLine();
        sb.Append(Inv, $"{"p-value",-12} {Num(c.PValue)} (anytime-valid, {(c.Alternative == Alternative.Greater ? "one-sided, candidate better" : "two-sided")})").AppendLine();
        sb.Append(Inv, $"{(r.Decision == GateDecision.Superiority ? "Min delta" : "Margin"),-12} {Num(r.Decision == GateDecision.Superiority ? r.MinDelta : r.Margin ?? double.NaN)}").AppendLine();
        sb.Append(Inv, $"{"Observed",-12} {r.Observations} {(r.ClusterLevel ? $"clusters ({r.ClustersComplete} of {r.ClustersTotal} complete)" : "pairs")}; {r.ItemsRead} candidate items read, {r.Matched} matched{(r.StoppedEarly ? ", stopped early" : string.Empty)}").AppendLine();
        sb.Append(Inv, $"{"Method",-12} {c.Method}").AppendLine();
        foreach (var n in c.Notes)
        {
            sb.Append(Inv, $"{"Note",-12} {n}").AppendLine();
        }

        if (r.Suggestion is not null)
        {
            sb.Append(Inv, $"{"Suggestion",-12} {r.Suggestion}").AppendLine();
        }

        return sb.ToString();
    }

    /// <summary>One progress line: n, running delta and interval.</summary>
    public static string ProgressLine(WatchProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return string.Create(Inv, $"n={p.Observations} matched={p.Matched} read={p.ItemsRead} delta={Signed(p.Delta)} interval=[{Signed(p.Lower)}, {Signed(p.Upper)}]{(p.ClustersTotal > 0 ? $" clusters={p.ClustersComplete}/{p.ClustersTotal}" : string.Empty)}");
    }

    private static void Num(Utf8JsonWriter w, string name, double value)
    {
        w.WritePropertyName(name);
        JsonValues.WriteNumber(w, value);
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", Inv) + "%";

    private static string Signed(double v) => double.IsPositiveInfinity(v) ? "+inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "n/a" : v.ToString("+0.000000;-0.000000;0.000000", Inv);

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : v < 1e-4 && v > 0 ? v.ToString("0.00E+00", Inv) : v.ToString("0.000000", Inv);
}
