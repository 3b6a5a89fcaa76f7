using System;
using System.Buffers;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Gating;

/// <summary>JSON for comparisons without a verdict and for power estimates (NaN and infinities as null).</summary>
public static class AnalysisJson
{
    public static string Serialize(RunComparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return Write(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("comparison");
            GateReportJson.WriteComparison(w, c.Comparison);
            w.WritePropertyName("cohens_d");
            JsonValues.WriteNumber(w, c.CohensD);
            w.WritePropertyName("cliffs_delta");
            JsonValues.WriteNumber(w, c.CliffsDelta ?? double.NaN);
            w.WriteString("baseline_run_id", c.BaselineRunId);
            w.WriteString("candidate_run_id", c.CandidateRunId);
            w.WriteString("evaluated_at", IsoTime.Format(c.EvaluatedAt));
            w.WriteString("tool_version", c.ToolVersion);
            w.WriteEndObject();
        });
    }

    public static string Serialize(PowerEstimate p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return Write(w =>
        {
            w.WriteStartObject();
            Num(w, "mde", p.Mde);
            Num(w, "mde_normal", p.MdeNormal);
            Num(w, "df", p.Df);
            Num(w, "clusters", p.Clusters ?? double.NaN);
            Num(w, "std_dev", p.StdDev);
            w.WriteNumber("n", p.N);
            Num(w, "design_effect", p.DesignEffect);
            Num(w, "effective_n", p.EffectiveN);
            Num(w, "se", p.Se);
            Num(w, "alpha", p.Alpha);
            Num(w, "power", p.Power);
            w.WriteString("alternative", GateReportJson.AlternativeName(p.Alternative));
            Num(w, "target_mde", p.TargetMde ?? double.NaN);
            if (p.RequiredN is { } n)
            {
                w.WriteNumber("required_n", n);
            }
            else
            {
                w.WriteNull("required_n");
            }

            if (p.RequiredClusters is { } g)
            {
                w.WriteNumber("required_clusters", g);
            }
            else
            {
                w.WriteNull("required_clusters");
            }

            w.WriteEndObject();
        });
    }

    private static void Num(Utf8JsonWriter w, string name, double value)
    {
        w.WritePropertyName(name);
        JsonValues.WriteNumber(w, value);
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonValues.WriterOptions(indented: true)))
        {
            body(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
