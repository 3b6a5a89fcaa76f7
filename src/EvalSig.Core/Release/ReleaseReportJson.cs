using System;
using System.Buffers;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Release;

/// <summary>
/// The release report as JSON: {verdict, exit_code, step_exit_code, decision, correction,
/// inconclusive_as, explanation, evaluated_at, tool_version, tasks: [gate reports, each with task and
/// adjusted_p_value]}.
/// </summary>
public static class ReleaseReportJson
{
    public static string Serialize(ReleaseReport report, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonValues.WriterOptions(indented)))
        {
            w.WriteStartObject();
            w.WriteString("verdict", report.Verdict.ToString());
            w.WriteNumber("exit_code", report.ExitCode);
            w.WriteNumber("step_exit_code", report.StepExitCode);
            w.WriteString("decision", ReleaseOptions.DecisionName(report.Decision));
            w.WriteString("correction", ReleaseOptions.CorrectionName(report.Correction));
            w.WriteString("inconclusive_as", GateReportJson.InconclusiveAsName(report.InconclusiveAs));
            w.WriteString("explanation", report.Explanation);
            w.WriteString("evaluated_at", IsoTime.Format(report.EvaluatedAt));
            w.WriteString("tool_version", report.ToolVersion);
            w.WriteStartArray("tasks");
            foreach (var task in report.Tasks)
            {
                GateReportJson.Write(w, task);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
