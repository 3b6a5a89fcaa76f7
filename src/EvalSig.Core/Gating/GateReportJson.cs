using System;
using System.Buffers;
using System.IO;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Gating;

/// <summary>
/// The JSON report: EVALSIG's shape ({verdict, exit_code, comparison:{delta, ci, ci_level,
/// p_value, significant, n_pairs, n_clusters, method, mde, notes}, min_delta, alpha, power,
/// suggestion}) plus our fields. NaN and unbounded CI ends are null, never a bare token.
/// </summary>
public static class GateReportJson
{
    public static string Serialize(GateReport report, bool indented = true)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonValues.WriterOptions(indented)))
        {
            Write(w, report);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void Write(Utf8JsonWriter w, GateReport r)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(r);
        w.WriteStartObject();
        w.WriteString("verdict", r.Verdict.ToString());
        w.WriteNumber("exit_code", r.ExitCode);
        w.WriteString("reason", ReasonName(r.Reason));
        w.WriteString("explanation", r.Explanation);
        w.WriteNumber("step_exit_code", r.StepExitCode);
        if (r.Task is not null)
        {
            // Only in a multi-task release gate: a single gate's report keeps EVALSIG's shape.
            w.WriteString("task", r.Task);
            w.WritePropertyName("adjusted_p_value");
            JsonValues.WriteNumber(w, r.AdjustedPValue ?? double.NaN);
        }
        w.WritePropertyName("comparison");
        WriteComparison(w, r.Comparison);
        Num(w, "min_delta", r.MinDelta);
        Num(w, "alpha", r.Alpha);
        Num(w, "power", r.Power);
        WriteDecisionTail(w, r.Suggestion, r.Decision, r.Margin, r.BaselineRunId, r.CandidateRunId, r.EvaluatedAt, r.ToolVersion);
        w.WritePropertyName("options");
        WriteOptions(w, r.Options);
        w.WriteEndObject();
    }

    public static void WriteComparison(Utf8JsonWriter w, Comparison c)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(c);
        w.WriteStartObject();
        Num(w, "delta", c.Delta);
        w.WriteStartArray("ci");
        JsonValues.WriteNumber(w, c.CiLower);
        JsonValues.WriteNumber(w, c.CiUpper);
        w.WriteEndArray();
        Num(w, "ci_level", c.CiLevel);
        Num(w, "p_value", c.PValue);
        w.WriteBoolean("significant", c.Significant);
        w.WriteNumber("n_pairs", c.NPairs);
        w.WriteNumber("n_clusters", c.NClusters);
        w.WriteString("method", c.Method);
        Num(w, "mde", c.Mde);
        w.WriteStartArray("notes");
        foreach (var n in c.Notes)
        {
            w.WriteStringValue(n);
        }

        w.WriteEndArray();
        Num(w, "se", c.Se);
        Num(w, "df", c.Df);
        Num(w, "statistic", c.Statistic);
        Num(w, "one_sided_lower", c.OneSidedLower);
        Num(w, "one_sided_upper", c.OneSidedUpper);
        if (c.Limitation is { } limitation)
        {
            w.WriteString("limitation", ReasonName(limitation));
        }
        else
        {
            w.WriteNull("limitation");
        }

        Num(w, "mde_se", c.MdeSe);
        w.WriteString("alternative", AlternativeName(c.Alternative));
        if (c.ClusterKey is null)
        {
            w.WriteNull("cluster_key");
        }
        else
        {
            w.WriteString("cluster_key", c.ClusterKey);
        }

        if (c.McNemarB is { } b && c.McNemarC is { } cc)
        {
            w.WriteStartObject("mcnemar");
            w.WriteNumber("b", b);
            w.WriteNumber("c", cc);
            w.WriteEndObject();
        }

        if (c.Resamples is { } rs)
        {
            w.WriteNumber("resamples", rs);
        }

        if (c.Seed is { } seed)
        {
            w.WriteNumber("seed", seed);
        }

        w.WriteBoolean("paired", !c.Unpaired);
        w.WriteNumber("n_baseline", c.NBaseline);
        w.WriteNumber("n_candidate", c.NCandidate);
        w.WriteNumber("only_in_baseline", c.OnlyInBaseline);
        w.WriteNumber("only_in_candidate", c.OnlyInCandidate);
        w.WriteEndObject();
    }

    /// <summary>
    /// The options a JSON report was made with (min_delta, alpha, power, decision, margin and the
    /// options block), so the decision can be recomputed from the data.
    /// </summary>
    public static GateOptions ReadOptions(JsonElement report)
    {
        var o = report.GetProperty("options");
        double? margin = report.TryGetProperty("margin", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : null;
        return new GateOptions
        {
            MinDelta = report.GetProperty("min_delta").GetDouble(),
            Decision = report.GetProperty("decision").GetString() == "non_inferiority" ? GateDecision.NonInferiority : GateDecision.Superiority,
            Margin = margin,
            Inference = new InferenceOptions
            {
                Alpha = report.GetProperty("alpha").GetDouble(),
                Power = report.GetProperty("power").GetDouble(),
                Method = EvalComparer.Parse(o.GetProperty("method").GetString()!),
                Alternative = o.GetProperty("alternative").GetString() == "greater" ? Alternative.Greater : Alternative.TwoSided,
                ClusterKey = o.TryGetProperty("cluster", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
                NoCluster = o.TryGetProperty("no_cluster", out var nc) && nc.ValueKind == JsonValueKind.True,
                Resamples = o.GetProperty("resamples").GetInt32(),
                Seed = o.GetProperty("seed").GetInt64(),
            },
            InconclusiveAs = o.TryGetProperty("inconclusive_as", out var ia) && ia.ValueKind == JsonValueKind.String ? ParseInconclusiveAs(ia.GetString()!) : InconclusiveOutcome.Failed,
        };
    }

    /// <summary>
    /// The members after the statistics that every verdict report shares (gate and watch): suggestion,
    /// decision, margin, the two run ids, evaluated_at and tool_version, in EVALSIG's order.
    /// </summary>
    internal static void WriteDecisionTail(Utf8JsonWriter w, string? suggestion, GateDecision decision, double? margin, string baselineRunId, string candidateRunId, DateTimeOffset evaluatedAt, string toolVersion)
    {
        if (suggestion is null)
        {
            w.WriteNull("suggestion");
        }
        else
        {
            w.WriteString("suggestion", suggestion);
        }

        w.WriteString("decision", decision == GateDecision.Superiority ? "superiority" : "non_inferiority");
        if (margin is { } m)
        {
            Num(w, "margin", m);
        }
        else
        {
            w.WriteNull("margin");
        }

        w.WriteString("baseline_run_id", baselineRunId);
        w.WriteString("candidate_run_id", candidateRunId);
        w.WriteString("evaluated_at", IsoTime.Format(evaluatedAt));
        w.WriteString("tool_version", toolVersion);
    }

    public static string AlternativeName(Alternative a) => a == Alternative.Greater ? "greater" : "two_sided";

    /// <summary>InconclusiveAs as JSON writes it: failed, succeeded_with_issues, succeeded.</summary>
    public static string InconclusiveAsName(InconclusiveOutcome o) => o switch
    {
        InconclusiveOutcome.SucceededWithIssues => "succeeded_with_issues",
        InconclusiveOutcome.Succeeded => "succeeded",
        _ => "failed",
    };

    /// <summary>
    /// failed, succeeded-with-issues / succeeded_with_issues / SucceededWithIssues, succeeded
    /// (any case); anything else is InvalidInconclusiveAs.
    /// </summary>
    public static InconclusiveOutcome ParseInconclusiveAs(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "FAILED" => InconclusiveOutcome.Failed,
            "SUCCEEDEDWITHISSUES" => InconclusiveOutcome.SucceededWithIssues,
            "SUCCEEDED" => InconclusiveOutcome.Succeeded,
            _ => throw InferenceOptions.Invalid(EvalSigError.InvalidInconclusiveAs, $"Unknown InconclusiveAs '{text}': use failed, succeeded-with-issues or succeeded.", text),
        };
    }

    /// <summary>The reason as the JSON report writes it: snake_case (improved, below_min_delta, too_few_clusters...).</summary>
    public static string ReasonName(GateReason reason) => reason switch
    {
        GateReason.Improved => "improved",
        GateReason.NonInferior => "non_inferior",
        GateReason.Regressed => "regressed",
        GateReason.BelowMinDelta => "below_min_delta",
        GateReason.NotSignificant => "not_significant",
        GateReason.MarginNotMet => "margin_not_met",
        GateReason.Underpowered => "underpowered",
        GateReason.TooFewPairs => "too_few_pairs",
        GateReason.TooFewClusters => "too_few_clusters",
        GateReason.Inferior => "inferior",
        GateReason.StreamEnded => "stream_ended",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown reason"),
    };

    private static void WriteOptions(Utf8JsonWriter w, GateOptions o)
    {
        var i = o.Inference;
        w.WriteStartObject();
        w.WriteString("method", EvalComparer.Name(i.Method));
        w.WriteString("alternative", AlternativeName(i.Alternative));
        if (i.ClusterKey is null)
        {
            w.WriteNull("cluster");
        }
        else
        {
            w.WriteString("cluster", i.ClusterKey);
        }

        w.WriteBoolean("no_cluster", i.NoCluster);
        w.WriteNumber("resamples", i.Resamples);
        w.WriteNumber("seed", i.Seed);
        w.WriteString("inconclusive_as", InconclusiveAsName(o.InconclusiveAs));
        w.WriteEndObject();
    }

    private static void Num(Utf8JsonWriter w, string name, double value)
    {
        w.WritePropertyName(name);
        JsonValues.WriteNumber(w, value);
    }
}
