using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using EvalSig.Core.Json;

namespace EvalSig.Core.RunFrames.Harness;

/// <summary>
/// EleutherAI lm-evaluation-harness <c>samples_&lt;task&gt;_&lt;timestamp&gt;.jsonl</c> (written with
/// <c>--log_samples</c>): one line per (document, filter) with the per-item value of each metric as a
/// top-level key. Item id is <c>doc_id</c>; the score is the metric chosen (never another one when
/// the chosen one is missing); the scalar fields of <c>doc</c> become item metadata, so <c>subject</c>
/// or <c>category</c> can serve as cluster keys. Model, harness version, run time and the task hash
/// come from the sibling <c>results_&lt;timestamp&gt;.json</c> when it is there.
/// </summary>
internal static partial class LmEvalSamples
{
    public const string ToolName = "lm-evaluation-harness";

    /// <summary>Keys of a samples line that are not metrics.</summary>
    private static readonly HashSet<string> NotMetrics = new(StringComparer.Ordinal)
    {
        "doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", "target_hash", "task_name", "task", "repeats",
    };

    public static void Read(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, string source, string? filePath, CancellationToken cancel)
    {
        var rows = new List<Row>();
        var notes = new List<string>();
        using var text = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long lineNo = 0;
        string? line;
        while ((line = text.ReadLine()) is not null)
        {
            lineNo++;
            if ((lineNo & 0x3FF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var row = ParseLine(line, lineNo, out var error);
            if (row is null)
            {
                b.MalformedText(error!, lineNo, null);
                return;
            }

            rows.Add(row);
        }

        var results = filePath is null ? null : SiblingResults.Find(filePath, notes);
        var task = TaskFromFileName(filePath) ?? results?.FirstTask;
        var version = results?.Version;
        RunFrameHeader Header(string? metricName) => new(
            filePath is null ? "stdin" : Path.GetFileNameWithoutExtension(filePath),
            results?.Model ?? "unknown",
            task ?? "unknown",
            metricName ?? "unknown",
            task is not null && results?.TaskHashes.TryGetValue(task, out var hash) == true ? hash : null,
            null,
            results?.Date);
        b.Header = Header(null);
        if (rows.Count == 0)
        {
            b.Problem(null, "doc_id", "the samples file has no lines; lm-eval writes one line per document");
            b.ItemsFieldMissing = true;
            b.Provenance = new RunFrameProvenance(RunFrameFormat.LmEval, source, ToolName, version, null, notes);
            return;
        }

        var filter = ChooseFilter(rows, o.Filter, b);
        var chosenRows = filter is null ? new List<Row>() : rows.Where(r => r.Filter == filter).ToList();
        var metric = filter is null ? null : ChooseMetric(chosenRows, o.Metric, b);
        b.Provenance = new RunFrameProvenance(RunFrameFormat.LmEval, source, ToolName, version, metric is null ? null : MetricName(metric, filter!), notes);
        if (metric is null)
        {
            b.ItemsFieldMissing = true;
            return;
        }

        if (rows.Count != chosenRows.Count)
        {
            var others = rows.Select(r => r.Filter).Where(f => f != filter).Distinct().ToList();
            notes.Add(Invariant($"read the {chosenRows.Count} line(s) of filter '{filter}'; ignored {rows.Count - chosenRows.Count} line(s) of filter(s) {Quote(others)}"));
        }

        if (chosenRows.Any(r => r.DocIsText))
        {
            notes.Add("'doc' is text (a Python repr), not a JSON object: its fields are not available as cluster keys");
        }

        foreach (var r in chosenRows)
        {
            var index = b.Count;
            if (r.DocId is null)
            {
                b.Problem(index, "doc_id", Invariant($"line {r.Line}: 'doc_id' is missing or not a number or string"));
            }

            double score = double.NaN;
            if (r.Values.TryGetValue(metric, out var v))
            {
                if (double.IsFinite(v))
                {
                    score = v;
                }
                else
                {
                    b.ScoreProblem(index, Invariant($"line {r.Line}: '{metric}' is {Describe(v)}, not a finite score (lm-eval writes a bare {Describe(v)} where it could not score the answer)"));
                }
            }
            else
            {
                b.ScoreProblem(index, r.Corpus.Contains(metric)
                    ? Invariant($"line {r.Line}: '{metric}' holds the inputs of a corpus-level metric, not a number")
                    : Invariant($"line {r.Line}: doc_id {r.DocId} has no '{metric}'"));
            }

            b.Add(r.DocId, score, null, 0, r.Metadata);
        }

        b.Header = Header(MetricName(metric, filter!));
        if (results?.Model is null)
        {
            notes.Add("no sibling results_<timestamp>.json with a model name: model_id is 'unknown' (give -ModelId / --model-id)");
        }
    }

    /// <summary>lm-eval's own notation: the metric, then the filter unless it is "none" (exact_match,strict-match).</summary>
    public static string MetricName(string metric, string filter) => filter == "none" ? metric : metric + "," + filter;

    /// <summary>One samples line: doc id, filter, numeric metric values, names of corpus-level metrics, doc fields.</summary>
    internal sealed record Row(long Line, string? DocId, string Filter, Dictionary<string, double> Values, HashSet<string> Corpus, string? Metadata, bool DocIsText);

    /// <summary>Parses a line; null (with the reason) when it is not a JSON object.</summary>
    internal static Row? ParseLine(string line, long lineNo, out string? error)
    {
        JsonDocument doc;
        try
        {
            doc = PythonJson.Parse(line);
        }
        catch (JsonException ex)
        {
            error = "malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim();
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = Invariant($"line {lineNo} is not a JSON object; an lm-eval samples file has one object per line");
                return null;
            }

            string? id = null;
            var filter = "none";
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            var corpus = new HashSet<string>(StringComparer.Ordinal);
            var listed = new List<string>();
            string? metadata = null;
            var docIsText = false;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "doc_id":
                        id = p.Value.ValueKind switch
                        {
                            JsonValueKind.Number => p.Value.GetRawText(),
                            JsonValueKind.String => p.Value.GetString(),
                            _ => null,
                        };
                        break;
                    case "filter":
                        filter = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : filter;
                        break;
                    case "metrics":
                        listed.AddRange(MetricList(p.Value));
                        break;
                    case "doc":
                        if (p.Value.ValueKind == JsonValueKind.Object)
                        {
                            metadata = ScalarFields(p.Value);
                        }
                        else if (p.Value.ValueKind == JsonValueKind.String)
                        {
                            docIsText = true;
                        }

                        break;
                    default:
                        if (NotMetrics.Contains(p.Name))
                        {
                            break;
                        }

                        if (PythonJson.NumberOf(p.Value) is { } number)
                        {
                            values[p.Name] = number;
                        }
                        else if (p.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
                        {
                            corpus.Add(p.Name);
                        }

                        break;
                }
            }

            foreach (var name in listed)
            {
                if (!values.ContainsKey(name))
                {
                    corpus.Add(name);
                }
            }

            error = null;
            return new Row(lineNo, id, filter, values, corpus, metadata, docIsText);
        }
    }

    /// <summary>The task name in samples_&lt;task&gt;_&lt;timestamp&gt;.jsonl, or null.</summary>
    internal static string? TaskFromFileName(string? path)
    {
        if (path is null)
        {
            return null;
        }

        var m = SamplesName().Match(Path.GetFileName(path));
        return m.Success ? m.Groups["task"].Value : null;
    }

    /// <summary>The timestamp in samples_&lt;task&gt;_&lt;timestamp&gt;.jsonl, or null.</summary>
    internal static string? TimestampFromFileName(string path)
    {
        var m = SamplesName().Match(Path.GetFileName(path));
        return m.Success ? m.Groups["ts"].Value : null;
    }

    internal static string? ChooseFilter(List<Row> rows, string? wanted, RunFrameBuilder b)
    {
        var filters = rows.Select(r => r.Filter).Distinct().ToList();
        if (wanted is not null)
        {
            if (filters.Contains(wanted))
            {
                return wanted;
            }

            b.Problem(null, "filter", Invariant($"no line has filter '{wanted}'; the samples have filter(s) {Quote(filters)}"));
            return null;
        }

        if (filters.Count == 1)
        {
            return filters[0];
        }

        b.Problem(null, "filter", Invariant($"each document appears under several filters {Quote(filters)}; choose one with -Filter or --filter"));
        return null;
    }

    internal static string? ChooseMetric(List<Row> rows, string? wanted, RunFrameBuilder b)
    {
        var numeric = new List<string>();
        var corpus = new List<string>();
        foreach (var r in rows)
        {
            foreach (var k in r.Values.Keys)
            {
                if (!numeric.Contains(k))
                {
                    numeric.Add(k);
                }
            }

            foreach (var k in r.Corpus)
            {
                if (!corpus.Contains(k))
                {
                    corpus.Add(k);
                }
            }
        }

        corpus.RemoveAll(numeric.Contains);
        var perItem = numeric.Count == 0 ? "none" : Quote(numeric);
        if (wanted is not null)
        {
            if (numeric.Contains(wanted))
            {
                return wanted;
            }

            b.Problem(null, "metric", corpus.Contains(wanted)
                ? Invariant($"'{wanted}' is a corpus-level metric: each line holds its inputs (reference and prediction), and lm-eval computes it over the whole task, so there is no per-item score to compare; per-item metrics in this file: {perItem}")
                : Invariant($"no metric '{wanted}' in the samples; per-item metrics in this file: {perItem}{(corpus.Count > 0 ? Invariant($" (corpus-level, not usable per item: {Quote(corpus)})") : string.Empty)}"));
            return null;
        }

        if (numeric.Count == 1)
        {
            return numeric[0];
        }

        b.Problem(null, "metric", numeric.Count == 0
            ? Invariant($"the samples have no per-item numeric metric{(corpus.Count > 0 ? Invariant($"; {Quote(corpus)} are corpus-level metrics, computed over the whole task, not per item") : string.Empty)}")
            : Invariant($"the samples have per-item metrics {Quote(numeric)}; choose one with -Metric or --metric"));
        return null;
    }

    private static IEnumerable<string> MetricList(JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in v.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String)
                {
                    yield return e.GetString()!;
                }
            }
        }
        else if (v.ValueKind == JsonValueKind.String)
        {
            // Some versions wrote the list as its Python repr: "['bleu_max', 'bleu_acc']".
            foreach (Match m in QuotedName().Matches(v.GetString()!))
            {
                yield return m.Groups[1].Value;
            }
        }
    }

    /// <summary>The scalar (string, number, boolean) fields of an object as metadata JSON; null when there are none.</summary>
    internal static string? ScalarFields(JsonElement obj)
    {
        OrderedStringDictionary? d = null;
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                d ??= new OrderedStringDictionary();
                d[p.Name] = JsonValues.ToObject(p.Value);
            }
        }

        return d is null ? null : JsonValues.Serialize(d);
    }

    internal static string Quote(IEnumerable<string> names) => string.Join(", ", names.Select(n => "'" + n + "'"));

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^samples_(?<task>.+)_(?<ts>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(\.\d+)?)\.jsonl$", RegexOptions.CultureInvariant)]
    private static partial Regex SamplesName();

    [GeneratedRegex(@"'([^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedName();

    /// <summary>What a results_&lt;timestamp&gt;.json beside the samples says about the run.</summary>
    internal sealed class SiblingResults
    {
        public string? Model { get; private set; }

        public string? Version { get; private set; }

        public DateTimeOffset? Date { get; private set; }

        public string? FirstTask { get; private set; }

        public Dictionary<string, string> TaskHashes { get; } = new(StringComparer.Ordinal);

        /// <summary>results_&lt;ts&gt;.json in the samples' folder, else another JSON file ending in _&lt;ts&gt;.json; null when none.</summary>
        public static SiblingResults? Find(string samplesPath, List<string> notes)
        {
            var ts = TimestampFromFileName(samplesPath);
            var dir = Path.GetDirectoryName(Path.GetFullPath(samplesPath));
            if (ts is null || dir is null || !Directory.Exists(dir))
            {
                return null;
            }

            var candidate = Path.Combine(dir, "results_" + ts + ".json");
            if (!File.Exists(candidate))
            {
                candidate = Directory.EnumerateFiles(dir, "*_" + ts + ".json").Order(StringComparer.Ordinal).FirstOrDefault()!;
            }

            if (candidate is null)
            {
                return null;
            }

            try
            {
                using var doc = PythonJson.Parse(File.ReadAllText(candidate));
                var r = From(doc.RootElement);
                notes.Add("run fields from " + Path.GetFileName(candidate));
                return r;
            }
            catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                notes.Add(Path.GetFileName(candidate) + " could not be read (" + ex.Message.Split(" LineNumber:")[0].Trim() + "): model_id is 'unknown'");
                return null;
            }
        }

        private static SiblingResults From(JsonElement root)
        {
            var r = new SiblingResults();
            if (root.ValueKind != JsonValueKind.Object)
            {
                return r;
            }

            r.Version = Str(root, "lm_eval_version");
            r.Model = Str(root, "model_name") is { Length: > 0 } name ? name : ModelFromConfig(root);
            if (root.TryGetProperty("date", out var date) && date.ValueKind == JsonValueKind.Number && date.TryGetDouble(out var unix) && double.IsFinite(unix))
            {
                r.Date = Time.IsoTime.ToMicroseconds(DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(unix * TimeSpan.TicksPerSecond)));
            }

            if (root.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in results.EnumerateObject())
                {
                    r.FirstTask = p.Name;
                    break;
                }
            }

            if (root.TryGetProperty("task_hashes", out var hashes) && hashes.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in hashes.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.String)
                    {
                        r.TaskHashes[p.Name] = p.Value.GetString()!;
                    }
                }
            }

            return r;
        }

        /// <summary>Older versions: config.model_args "pretrained=org/name,dtype=..." (or an object), else config.model.</summary>
        private static string? ModelFromConfig(JsonElement root)
        {
            if (!root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (config.TryGetProperty("model_args", out var args))
            {
                if (args.ValueKind == JsonValueKind.Object)
                {
                    var v = Str(args, "pretrained") ?? Str(args, "model");
                    if (v is not null)
                    {
                        return v;
                    }
                }
                else if (args.ValueKind == JsonValueKind.String)
                {
                    foreach (var part in args.GetString()!.Split(','))
                    {
                        var kv = part.Split('=', 2);
                        if (kv.Length == 2 && kv[0].Trim() is "pretrained" or "model")
                        {
                            return kv[1].Trim();
                        }
                    }
                }
            }

            return Str(config, "model");
        }

        private static string? Str(JsonElement obj, string name)
            => obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
