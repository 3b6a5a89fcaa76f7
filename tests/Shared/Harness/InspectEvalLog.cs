#nullable enable
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvalSig.Testing;

/// <summary>
/// Builds an Inspect AI <c>.eval</c> log (a zip archive) at test time from the real Inspect <c>.json</c>
/// log of the same run, so no binary fixture has to be committed. Shared by the xunit projects (compiled
/// in) and by the Pester suites (Add-Type of this file, see tests/Pester/Common.ps1).
/// <para>
/// Entries, their order and their content follow inspect_ai's <c>EvalRecorder</c>
/// (src/inspect_ai/log/_recorders/eval.py): <c>_journal/start.json</c> ({version, eval, plan}) when the
/// evaluation starts; at each flush of the sample buffer (10 samples for <c>.eval</c> logs) the samples as
/// <c>samples/{id}_epoch_{epoch}.json</c> and their summaries as <c>_journal/summaries/{n}.json</c>; when
/// the evaluation finishes <c>summaries.json</c> (every summary), <c>reductions.json</c> (only when the log
/// has sample reductions) and <c>header.json</c> (the log without its samples: version, status, eval, plan,
/// results, stats, error). An evaluation that is still running (or was killed) leaves only the journal and
/// the samples flushed so far: no <c>header.json</c>, <c>summaries.json</c> or <c>reductions.json</c>.
/// JSON is written with two-space indents and without nulls, as pydantic's
/// <c>to_json(indent=2, exclude_none=True)</c> does; entries are deflate-compressed.
/// </para>
/// </summary>
public static class InspectEvalLog
{
    /// <summary>Samples per flush: EvalRecorder.default_log_buffer for .eval logs.</summary>
    public const int SampleBuffer = 10;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The <c>.eval</c> container of a JSON log's text; <paramref name="finished"/> false gives a running log (journal and samples only).</summary>
    public static byte[] FromJson(string jsonLog, bool finished = true)
    {
        var log = JsonNode.Parse(jsonLog)?.AsObject() ?? throw new ArgumentException("an Inspect JSON log is a JSON object", nameof(jsonLog));
        var samples = log["samples"] is JsonArray a ? a.Select(s => s!.AsObject()).ToList() : new List<JsonObject>();
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "_journal/start.json", Pick(log, "version", "eval", "plan"));
            var summaries = new JsonArray();
            for (var start = 0; start < samples.Count; start += SampleBuffer)
            {
                var flushed = new JsonArray();
                foreach (var sample in samples.Skip(start).Take(SampleBuffer))
                {
                    Write(zip, "samples/" + Id(sample["id"]) + "_epoch_" + Id(sample["epoch"]) + ".json", sample);
                    flushed.Add(Summary(sample));
                }

                Write(zip, "_journal/summaries/" + ((start / SampleBuffer) + 1).ToString(CultureInfo.InvariantCulture) + ".json", flushed);
                foreach (var s in flushed)
                {
                    summaries.Add(s!.DeepClone());
                }
            }

            if (finished)
            {
                Write(zip, "summaries.json", summaries);

                // Logs from 0.3.9x keep reductions at the top level; older ones inside results.
                var results = log["results"]?.DeepClone().AsObject();
                var reductions = log["reductions"] ?? results?["sample_reductions"];
                results?.Remove("sample_reductions");
                if (reductions is not null)
                {
                    Write(zip, "reductions.json", reductions);
                }

                var header = Pick(log, "version", "status", "eval", "plan");
                if (results is not null)
                {
                    header["results"] = results;
                }

                foreach (var key in new[] { "stats", "error" })
                {
                    if (log[key] is { } v)
                    {
                        header[key] = v.DeepClone();
                    }
                }

                Write(zip, "header.json", header);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Writes the <c>.eval</c> container of the JSON log at <paramref name="jsonLogPath"/> to <paramref name="evalPath"/>; returns <paramref name="evalPath"/>.</summary>
    public static string WriteFromJson(string jsonLogPath, string evalPath, bool finished = true)
    {
        File.WriteAllBytes(evalPath, FromJson(File.ReadAllText(jsonLogPath, Encoding.UTF8), finished));
        return evalPath;
    }

    /// <summary>EvalSample.summary(): the sample without messages, output, events and store; scalar metadata; score values only.</summary>
    private static JsonObject Summary(JsonObject sample)
    {
        var summary = Pick(sample, "id", "epoch", "input", "choices", "target");
        if (sample["metadata"] is JsonObject md)
        {
            var scalars = new JsonObject();
            foreach (var (key, value) in md)
            {
                if (value is JsonValue)
                {
                    scalars[key] = value.DeepClone();
                }
            }

            summary["metadata"] = scalars;
        }

        if (sample["scores"] is JsonObject scores)
        {
            var values = new JsonObject();
            foreach (var (name, score) in scores)
            {
                values[name] = new JsonObject { ["value"] = score?["value"]?.DeepClone() };
            }

            summary["scores"] = values;
        }

        foreach (var key in new[] { "model_usage", "total_time", "working_time", "uuid" })
        {
            if (sample[key] is { } v)
            {
                summary[key] = v.DeepClone();
            }
        }

        if (sample["error"] is JsonObject error && error["message"] is { } message)
        {
            summary["error"] = message.DeepClone();
        }

        summary["completed"] = true;
        return summary;
    }

    private static JsonObject Pick(JsonObject from, params string[] keys)
    {
        var o = new JsonObject();
        foreach (var key in keys)
        {
            if (from[key] is { } v)
            {
                o[key] = v.DeepClone();
            }
        }

        return o;
    }

    // Python's f"{sample.id}" of an int or str id.
    private static string Id(JsonNode? id) => id is JsonValue v && v.TryGetValue(out string? s) ? s : id?.ToJsonString() ?? throw new ArgumentException("a sample has no id or epoch");

    private static void Write(ZipArchive zip, string name, JsonNode node)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var stream = entry.Open();
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString(Indented));
        stream.Write(bytes, 0, bytes.Length);
    }
}
