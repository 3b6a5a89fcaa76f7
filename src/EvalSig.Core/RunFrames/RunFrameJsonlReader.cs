using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Json;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// JSONL: one item object per line. Run fields may ride on every line (as Export-RunFrame writes
/// them); keys that are neither item nor run fields become item metadata.
/// </summary>
internal static class RunFrameJsonlReader
{
    public static void Read(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, CancellationToken cancel)
    {
        var run = new RunFieldAccumulator(b);
        using var text = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long lineNo = 0;
        string? line;
        while ((line = text.ReadLine()) is not null)
        {
            lineNo++;
            if ((lineNo & 0xFFF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException ex)
            {
                b.MalformedText("malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim(), lineNo, ex.BytePositionInLine + 1);
                return;
            }

            using (doc)
            {
                var index = b.Count;
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    b.Problem(index, null, string.Create(CultureInfo.InvariantCulture, $"line {lineNo} is not a JSON object; each line is one item"));
                    b.AddPlaceholder();
                    continue;
                }

                ReadItem(doc.RootElement, index, b, o, run);
            }
        }

        b.Header = run.ToHeader();
    }

    private static void ReadItem(JsonElement obj, int index, RunFrameBuilder b, RunFrameReadOptions o, RunFieldAccumulator run)
    {
        string? id = null;
        var score = double.NaN;
        var scoreOk = false;
        string? cluster = null;
        var epoch = 0;
        string? metadata = null;
        var idSeen = false;
        var scoreSeen = false;
        OrderedStringDictionary? extras = null;

        foreach (var p in obj.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals(o.ItemColumn))
            {
                idSeen = true;
                id = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                };
                if (id is null)
                {
                    b.Problem(index, o.ItemColumn, "item_id must be a string");
                }
            }
            else if (p.NameEquals(o.ScoreColumn))
            {
                scoreSeen = true;
                if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var s) && double.IsFinite(s))
                {
                    score = s;
                    scoreOk = true;
                }
                else
                {
                    b.ScoreProblem(index, v.ValueKind == JsonValueKind.Number
                        ? "score must be a finite number, not " + v.GetRawText()
                        : "score must be a number, not " + v.GetRawText());
                }
            }
            else if (p.NameEquals(o.ClusterColumn))
            {
                cluster = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                };
            }
            else if (p.NameEquals(o.EpochColumn))
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var e))
                {
                    epoch = e;
                }
                else if (v.ValueKind != JsonValueKind.Null)
                {
                    b.Problem(index, o.EpochColumn, "epoch must be an integer >= 0, not " + v.GetRawText());
                }
            }
            else if (p.NameEquals("metadata") || p.NameEquals(RunFrameColumns.MetadataJson))
            {
                if (v.ValueKind == JsonValueKind.Object)
                {
                    metadata = v.EnumerateObject().MoveNext() ? JsonValues.Minify(v) : null;
                }
                else if (v.ValueKind == JsonValueKind.String)
                {
                    metadata = MetadataText.Normalize(v.GetString(), b, index);
                }
                else if (v.ValueKind != JsonValueKind.Null)
                {
                    b.Problem(index, "metadata", "metadata must be an object");
                }
            }
            else if (RunFrameColumns.IsRunField(p.Name))
            {
                run.Observe(p.Name, v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? null : v.GetRawText(), index);
            }
            else
            {
                extras ??= new OrderedStringDictionary();
                extras[p.Name] = JsonValues.ToObject(v);
            }
        }

        if (!idSeen)
        {
            b.Problem(index, o.ItemColumn, $"required field '{o.ItemColumn}' is missing");
        }

        if (!scoreSeen)
        {
            b.ScoreProblem(index, $"required field '{o.ScoreColumn}' is missing");
        }

        if (extras is not null)
        {
            metadata = MetadataText.Merge(metadata, extras);
        }

        b.Add(id, scoreOk ? score : double.NaN, cluster, epoch, metadata);
    }
}

/// <summary>Run fields seen row by row (JSONL lines, CSV rows, Parquet rows): all rows must agree.</summary>
internal sealed class RunFieldAccumulator
{
    private readonly RunFrameBuilder _b;
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public RunFieldAccumulator(RunFrameBuilder b) => _b = b;

    public void Observe(string field, string? value, int itemIndex)
    {
        if (field == "timestamp")
        {
            field = RunFrameColumns.Ts;
        }

        if (!_values.TryGetValue(field, out var first))
        {
            _values[field] = value;
            return;
        }

        if (!string.Equals(first, value, StringComparison.Ordinal) && _reported.Add(field))
        {
            _b.Problem(itemIndex, field, $"'{field}' is '{value}' here but '{first}' on the first row; a RunFrame file holds one run");
        }
    }

    public RunFrameHeader ToHeader()
    {
        DateTimeOffset? ts = null;
        if (Get(RunFrameColumns.Ts) is { Length: > 0 } tsText)
        {
            if (DateTimeOffset.TryParse(tsText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                ts = parsed;
            }
            else
            {
                _b.Problem(null, RunFrameColumns.Ts, $"'{tsText}' is not an ISO-8601 date and time");
            }
        }

        return new RunFrameHeader(
            Get(RunFrameColumns.RunId),
            Get(RunFrameColumns.ModelId),
            Get(RunFrameColumns.TaskId),
            Get(RunFrameColumns.MetricName),
            Get(RunFrameColumns.ConfigHash),
            Get(RunFrameColumns.ProjectId),
            ts);
    }

    private string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Item metadata as minified JSON object text; null means the empty object.</summary>
internal static class MetadataText
{
    public static string? Normalize(string? json, RunFrameBuilder b, int index)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json must hold a JSON object");
                return null;
            }

            return doc.RootElement.EnumerateObject().MoveNext() ? JsonValues.Minify(doc.RootElement) : null;
        }
        catch (JsonException ex)
        {
            b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json is not valid JSON: " + ex.Message.Split(" LineNumber:")[0].Trim());
            return null;
        }
    }

    public static string? Merge(string? metadata, OrderedStringDictionary extras)
    {
        var merged = metadata is null ? new OrderedStringDictionary() : (OrderedStringDictionary)JsonValues.ParseObject(metadata);
        foreach (var kv in extras)
        {
            if (!merged.ContainsKey(kv.Key))
            {
                merged[kv.Key] = kv.Value;
            }
        }

        if (merged.Count == 0)
        {
            return null;
        }

        return JsonValues.Serialize(merged);
    }
}
