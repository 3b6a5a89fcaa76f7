using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.RunFrames.Harness;

/// <summary>
/// UK AISI Inspect logs: <c>.eval</c> (a zip with <c>header.json</c> and one
/// <c>samples/&lt;id&gt;_epoch_&lt;n&gt;.json</c> per sample and epoch, read one sample at a time) and
/// <c>.json</c> (one object with a <c>samples</c> array, read whole). One item per sample id and epoch;
/// Inspect's epochs count from 1 and become RunFrame epochs from 0 (Inspect epoch 1 is epoch 0,
/// the one the gate pairs). The score is one scorer's value, converted as Inspect's own
/// <c>value_to_float</c> does (C 1, P 0.5, I 0, N 0, yes/true 1, no/false 0, numeric strings),
/// except that a value it cannot convert is an error here, where Inspect warns and scores 0.
/// </summary>
internal static class InspectLog
{
    public const string ToolName = "Inspect";

    public static void Read(Stream stream, bool zip, RunFrameBuilder b, RunFrameReadOptions o, string source, string? filePath, CancellationToken cancel)
    {
        var notes = new List<string>();
        if (zip)
        {
            ReadEval(stream, b, o, source, filePath, notes, cancel);
        }
        else
        {
            ReadJson(stream, b, o, source, filePath, notes, cancel);
        }
    }

    private static void ReadEval(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, string source, string? filePath, List<string> notes, CancellationToken cancel)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            b.MalformedText("not a readable .eval log (zip): " + ex.Message, null, null);
            return;
        }

        using (archive)
        {
            var headerEntry = archive.GetEntry("header.json") ?? archive.GetEntry("_journal/start.json");
            if (headerEntry is null)
            {
                throw new EvalSigException(EvalSigError.RunFrameUnsupported, EvalSigErrorKind.InvalidData, $"'{source}' is a zip archive without header.json or _journal/start.json, so not an Inspect .eval log.", source);
            }

            using var header = ParseEntry(headerEntry, b);
            if (header is null)
            {
                return;
            }

            if (headerEntry.FullName != "header.json")
            {
                notes.Add("the log has no header.json (the evaluation did not finish): run fields from _journal/start.json");
            }

            var entries = archive.Entries.Where(e => e.FullName.StartsWith("samples/", StringComparison.Ordinal) && e.FullName.EndsWith(".json", StringComparison.Ordinal))
                .OrderBy(e => e.FullName, StringComparer.Ordinal).ToList();
            var samples = new List<(string Where, JsonDocument Doc)>(entries.Count);
            try
            {
                foreach (var e in entries)
                {
                    cancel.ThrowIfCancellationRequested();
                    var d = ParseEntry(e, b);
                    if (d is null)
                    {
                        return;
                    }

                    samples.Add((e.FullName, d));
                }

                Map(header.RootElement, samples.Select(s => (s.Where, s.Doc.RootElement)).ToList(), b, o, source, filePath, notes);
            }
            finally
            {
                foreach (var s in samples)
                {
                    s.Doc.Dispose();
                }
            }
        }
    }

    private static void ReadJson(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, string source, string? filePath, List<string> notes, CancellationToken cancel)
    {
        string text;
        using (var reader = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true))
        {
            text = reader.ReadToEnd();
        }

        cancel.ThrowIfCancellationRequested();
        JsonDocument doc;
        try
        {
            doc = PythonJson.Parse(text);
        }
        catch (JsonException ex)
        {
            b.MalformedText("malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim(), ex.LineNumber + 1, ex.BytePositionInLine + 1);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            var samples = new List<(string, JsonElement)>();
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("samples", out var arr) && arr.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var s in arr.EnumerateArray())
                {
                    samples.Add((Invariant($"samples[{i++}]"), s));
                }
            }

            Map(root, samples, b, o, source, filePath, notes);
        }
    }

    private static JsonDocument? ParseEntry(ZipArchiveEntry e, RunFrameBuilder b)
    {
        try
        {
            using var s = e.Open();
            using var r = new StreamReader(s, new UTF8Encoding(false, true));
            return PythonJson.Parse(r.ReadToEnd());
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or DecoderFallbackException)
        {
            // Positions inside a compressed entry are the entry's own lines, so the entry is named with them.
            var where = ex is JsonException { LineNumber: { } line } j ? Invariant($" (line {line + 1}, byte {j.BytePositionInLine + 1})") : string.Empty;
            var what = ex switch
            {
                JsonException => "malformed JSON: ",
                DecoderFallbackException => "not valid UTF-8: ",
                _ => "unreadable entry: ",
            };
            b.MalformedText(e.FullName + where + ": " + what + ex.Message.Split(" LineNumber:")[0].Trim(), null, null);
            return null;
        }
    }

    /// <summary>Turns the header (run fields) and the samples into items.</summary>
    private static void Map(JsonElement header, List<(string Where, JsonElement Sample)> samples, RunFrameBuilder b, RunFrameReadOptions o, string source, string? filePath, List<string> notes)
    {
        var eval = header.ValueKind == JsonValueKind.Object && header.TryGetProperty("eval", out var ev) && ev.ValueKind == JsonValueKind.Object ? ev : default;
        var version = eval.ValueKind == JsonValueKind.Object && eval.TryGetProperty("packages", out var pk) && pk.ValueKind == JsonValueKind.Object ? Str(pk, "inspect_ai") : null;
        if (header.ValueKind == JsonValueKind.Object && Str(header, "status") is { } status && status != "success")
        {
            notes.Add(Invariant($"log status is '{status}', not 'success': only the samples it holds are read"));
        }

        if (header.ValueKind == JsonValueKind.Object && header.TryGetProperty("version", out var fv) && fv.ValueKind == JsonValueKind.Number)
        {
            notes.Add("Inspect log format version " + fv.GetRawText());
        }

        b.Provenance = new RunFrameProvenance(RunFrameFormat.Inspect, source, ToolName, version, null, notes);
        string? Field(string name) => eval.ValueKind == JsonValueKind.Object ? Str(eval, name) : null;
        DateTimeOffset? created = Time.IsoTime.TryParse(Field("created"), out var t) ? t : null;
        RunFrameHeader Header(string metricName) => new(
            Field("eval_id") ?? Field("run_id") ?? (filePath is null ? "stdin" : Path.GetFileNameWithoutExtension(filePath)),
            Field("model") ?? "unknown",
            Field("task") ?? "unknown",
            metricName,
            null,
            null,
            created);
        b.Header = Header("unknown");
        if (samples.Count == 0)
        {
            b.Problem(null, "samples", "the log has no samples (it was written without them, or the evaluation stopped before the first sample)");
            b.ItemsFieldMissing = true;
            return;
        }

        var scorers = new List<string>();
        foreach (var (_, s) in samples)
        {
            if (s.ValueKind == JsonValueKind.Object && s.TryGetProperty("scores", out var sc) && sc.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in sc.EnumerateObject())
                {
                    if (!scorers.Contains(p.Name))
                    {
                        scorers.Add(p.Name);
                    }
                }
            }
        }

        string? scorer = null;
        if (o.Metric is not null)
        {
            if (scorers.Contains(o.Metric))
            {
                scorer = o.Metric;
            }
            else
            {
                b.Problem(null, "scores", scorers.Count == 0
                    ? Invariant($"no scorer '{o.Metric}': the log has no scores (run without scoring); score it with 'inspect score' first")
                    : Invariant($"no scorer '{o.Metric}'; scores has scorer(s) {LmEvalSamples.Quote(scorers)}"));
            }
        }
        else if (scorers.Count == 1)
        {
            scorer = scorers[0];
        }
        else
        {
            b.Problem(null, "scores", scorers.Count == 0
                ? "the log has no scores (it was run without scoring); score it with 'inspect score' first"
                : Invariant($"scores has scorers {LmEvalSamples.Quote(scorers)}; choose one with -Scorer or --scorer"));
        }

        if (scorer is null)
        {
            b.ItemsFieldMissing = true;
            return;
        }

        var dictKeys = new List<string>();
        foreach (var (_, s) in samples)
        {
            if (ScoreValue(s, scorer) is { ValueKind: JsonValueKind.Object } dv)
            {
                foreach (var p in dv.EnumerateObject())
                {
                    if (!dictKeys.Contains(p.Name))
                    {
                        dictKeys.Add(p.Name);
                    }
                }
            }
        }

        if (dictKeys.Count > 0 && (o.ScoreKey is null || !dictKeys.Contains(o.ScoreKey)))
        {
            b.Problem(null, "scores", o.ScoreKey is null
                ? Invariant($"scorer '{scorer}' gives a dictionary of values with keys {LmEvalSamples.Quote(dictKeys)}; choose one with -ScoreKey or --score-key")
                : Invariant($"scorer '{scorer}' has no key '{o.ScoreKey}'; its keys are {LmEvalSamples.Quote(dictKeys)}"));
            b.ItemsFieldMissing = true;
            return;
        }

        var metric = dictKeys.Count > 0 ? scorer + "/" + o.ScoreKey : scorer;
        b.Provenance = b.Provenance with { Metric = metric };
        if (dictKeys.Count == 0 && o.ScoreKey is not null)
        {
            b.Problem(null, "scores", Invariant($"-ScoreKey '{o.ScoreKey}' was given, but scorer '{scorer}' gives single values, not dictionaries"));
        }

        foreach (var (where, s) in samples)
        {
            var index = b.Count;
            if (s.ValueKind != JsonValueKind.Object)
            {
                b.Problem(index, null, where + ": a sample must be an object");
                b.AddPlaceholder();
                continue;
            }

            string? id = s.TryGetProperty("id", out var idv) ? idv.ValueKind switch
            {
                JsonValueKind.Number => idv.GetRawText(),
                JsonValueKind.String => idv.GetString(),
                _ => null,
            } : null;
            if (id is null)
            {
                b.Problem(index, "id", where + ": the sample id is missing or not a number or string");
            }

            var epoch = 0;
            if (s.TryGetProperty("epoch", out var ep))
            {
                if (ep.ValueKind == JsonValueKind.Number && ep.TryGetInt32(out var e) && e >= 1)
                {
                    epoch = e - 1;
                }
                else
                {
                    b.Problem(index, "epoch", where + ": epoch must be an integer >= 1, not " + ep.GetRawText());
                }
            }

            var score = double.NaN;
            var value = ScoreValue(s, scorer);
            if (value is null)
            {
                var why = s.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null ? " (the sample failed: " + Truncate(err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var m) ? m.ToString() : err.ToString()) + ")" : string.Empty;
                b.ScoreProblem(index, Invariant($"{where}: sample {id} epoch {epoch + 1} has no score from '{scorer}'{why}"));
            }
            else
            {
                var v = value.Value;
                if (v.ValueKind == JsonValueKind.Object && o.ScoreKey is not null)
                {
                    v = v.TryGetProperty(o.ScoreKey, out var kv) ? kv : default;
                }

                if (ValueToFloat(v) is { } f && double.IsFinite(f))
                {
                    score = f;
                }
                else
                {
                    b.ScoreProblem(index, Invariant($"{where}: sample {id} epoch {epoch + 1}: '{metric}' value {Show(v)} is not a number, a boolean or one of C, I, P, N, yes, no, true, false"));
                }
            }

            string? metadata = s.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object ? LmEvalSamples.ScalarFields(md) : null;
            b.Add(id, score, null, epoch, metadata);
        }

        b.Header = Header(metric);
    }

    private static JsonElement? ScoreValue(JsonElement sample, string scorer)
        => sample.ValueKind == JsonValueKind.Object && sample.TryGetProperty("scores", out var sc) && sc.ValueKind == JsonValueKind.Object
            && sc.TryGetProperty(scorer, out var s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty("value", out var v)
            ? v : null;

    /// <summary>Inspect's value_to_float for scalar values (inspect_ai/scorer/_metric.py); null when it cannot convert.</summary>
    internal static double? ValueToFloat(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return PythonJson.NumberOf(v);
            case JsonValueKind.String:
                var s = v.GetString()!;
                switch (s)
                {
                    case "C":
                        return 1.0;
                    case "P":
                        return 0.5;
                    case "I":
                    case "N":
                        return 0.0;
                }

                switch (s.ToLowerInvariant())
                {
                    case "yes":
                    case "true":
                        return 1.0;
                    case "no":
                    case "false":
                        return 0.0;
                }

                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
            default:
                return null;
        }
    }

    private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.Undefined ? "(missing)" : Truncate(v.GetRawText());

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static string? Str(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
