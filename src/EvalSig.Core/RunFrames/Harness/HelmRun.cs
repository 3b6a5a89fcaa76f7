using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;

namespace EvalSig.Core.RunFrames.Harness;

/// <summary>
/// A Stanford CRFM HELM run folder: <c>per_instance_stats.json</c> holds, per instance, train trial
/// and perturbation, a list of stats (<c>{name: {name, split, sub_split?, perturbation?}, count, mean...}</c>).
/// One item per instance and train trial (the trial is the RunFrame epoch); the score is the mean of
/// the chosen stat. Perturbed entries are never mixed with the unperturbed instance: they are left
/// out, or read instead of it when a perturbation is chosen. <c>scenario_state.json</c> (or
/// <c>instances.json</c>) supplies each instance's split and sub-split as metadata, and
/// <c>run_spec.json</c> the run name, model and scenario.
/// </summary>
internal static class HelmRun
{
    public const string ToolName = "HELM";
    public const string StatsFile = "per_instance_stats.json";

    public static void Read(string folder, RunFrameBuilder b, RunFrameReadOptions o, CancellationToken cancel)
    {
        var notes = new List<string>();
        b.Provenance = new RunFrameProvenance(RunFrameFormat.Helm, folder, ToolName, null, null, notes);
        var statsPath = Path.Combine(folder, StatsFile);
        if (!File.Exists(statsPath))
        {
            throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.ObjectNotFound, $"'{folder}' has no {StatsFile}, so it is not a HELM run folder (give the folder that holds per_instance_stats.json, scenario_state.json and run_spec.json).", folder);
        }

        using var stats = ParseFile(statsPath, b);
        if (stats is null)
        {
            return;
        }

        cancel.ThrowIfCancellationRequested();
        var root = stats.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            b.MalformedText(StatsFile + " must be a JSON array of per-instance entries", null, null);
            return;
        }

        // Every stat name with a value, in order of first appearance, and the perturbations present.
        var names = new List<string>();
        var perturbations = new List<string>();
        var unperturbed = 0;
        foreach (var entry in root.EnumerateArray())
        {
            var pert = PerturbationOf(entry);
            if (pert is null)
            {
                unperturbed++;
            }
            else if (!perturbations.Contains(pert))
            {
                perturbations.Add(pert);
            }

            foreach (var s in Stats(entry))
            {
                if (StatName(s) is { } n && Mean(s) is not null && !names.Contains(n))
                {
                    names.Add(n);
                }
            }
        }

        var perturbationMissing = o.Perturbation is not null && !perturbations.Contains(o.Perturbation);
        if (perturbationMissing)
        {
            b.Problem(null, "perturbation", perturbations.Count == 0
                ? Invariant($"no entry has perturbation '{o.Perturbation}': this run has no perturbed instances")
                : Invariant($"no entry has perturbation '{o.Perturbation}'; perturbations in this run: {LmEvalSamples.Quote(perturbations)}"));
        }
        else if (perturbations.Count > 0)
        {
            notes.Add(o.Perturbation is null
                ? Invariant($"read the unperturbed instances; left out the entries of perturbation(s) {LmEvalSamples.Quote(perturbations)} (choose one with -Perturbation / --perturbation)")
                : Invariant($"read the entries of perturbation '{o.Perturbation}' only"));
        }

        string? stat = null;
        if (o.Metric is not null)
        {
            if (names.Contains(o.Metric))
            {
                stat = o.Metric;
            }
            else
            {
                b.Problem(null, "stats", Invariant($"no stat '{o.Metric}' with a value in {StatsFile}; stats: {LmEvalSamples.Quote(names)}"));
            }
        }
        else if (names.Count == 1)
        {
            stat = names[0];
        }
        else
        {
            b.Problem(null, "stats", names.Count == 0
                ? Invariant($"{StatsFile} has no stat with a value")
                : Invariant($"{StatsFile} has stats {LmEvalSamples.Quote(names)}; choose one with -Stat or --stat (for accuracy usually 'exact_match')"));
        }

        var spec = ReadRunSpec(folder, notes);
        var instances = ReadInstances(folder, notes);
        var runId = StorableId(spec.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)));
        if (spec.Name is not null && runId != spec.Name)
        {
            notes.Add("run id is the HELM run name '" + spec.Name + "' with characters other than letters, digits, '.', '_' and '-' replaced by '_', so the run store can keep it");
        }

        b.Header = new RunFrameHeader(runId, spec.Model ?? "unknown", spec.Task ?? "unknown", stat ?? "unknown", null, null, null);
        if (stat is null || perturbationMissing)
        {
            b.ItemsFieldMissing = true;
            return;
        }

        b.Provenance = b.Provenance with { Metric = stat };

        // Several entries may describe one (instance, trial): HELM writes annotator stats and request
        // stats as separate entries. The chosen stat must come from exactly one of them.
        var seen = new Dictionary<(string, int), int>();
        var index = 0;
        foreach (var entry in root.EnumerateArray())
        {
            index++;
            if (PerturbationOf(entry) != o.Perturbation)
            {
                continue;
            }

            var s = Stats(entry).FirstOrDefault(x => StatName(x) == stat);
            if (s.ValueKind == JsonValueKind.Undefined)
            {
                continue;
            }

            var id = entry.TryGetProperty("instance_id", out var idv) && idv.ValueKind == JsonValueKind.String ? idv.GetString() : null;
            var trial = entry.TryGetProperty("train_trial_index", out var tv) && tv.ValueKind == JsonValueKind.Number && tv.TryGetInt32(out var t) ? t : 0;
            var item = b.Count;
            if (id is null)
            {
                b.Problem(item, "instance_id", Invariant($"entry {index} of {StatsFile} has no instance_id"));
            }
            else if (!seen.TryAdd((id, trial), index))
            {
                b.Problem(item, "stats", Invariant($"instance '{id}' (train trial {trial}) has stat '{stat}' in entry {seen[(id, trial)]} and again in entry {index} of {StatsFile}"));
            }

            var mean = Mean(s);
            if (mean is not { } m || !double.IsFinite(m))
            {
                b.ScoreProblem(item, Invariant($"entry {index} of {StatsFile}: stat '{stat}' of instance '{id}' has no finite mean (count {Count(s)})"));
            }

            string? metadata = null;
            if (id is not null && instances.TryGetValue(id, out var fields))
            {
                metadata = fields;
            }

            b.Add(id, mean is { } mm && double.IsFinite(mm) ? mm : double.NaN, null, trial, metadata);
        }

        if (b.Count == 0 && unperturbed > 0)
        {
            b.Problem(null, "stats", Invariant($"no entry{(o.Perturbation is null ? " of an unperturbed instance" : Invariant($" of perturbation '{o.Perturbation}'"))} has stat '{stat}'"));
        }

        b.Header = new RunFrameHeader(
            runId,
            spec.Model ?? "unknown",
            spec.Task ?? "unknown",
            o.Perturbation is null ? stat : stat + "/" + o.Perturbation,
            null,
            null,
            null);
    }

    /// <summary>HELM names runs 'scenario:key=value,model=org_name'; run-store ids allow letters, digits, '.', '_' and '-'.</summary>
    internal static string StorableId(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] is '.' or '_' or '-'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars).Replace("..", "._", StringComparison.Ordinal);
    }

    private static JsonDocument? ParseFile(string path, RunFrameBuilder b)
    {
        try
        {
            return PythonJson.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            b.MalformedText(Path.GetFileName(path) + ": malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim(), ex.LineNumber + 1, ex.BytePositionInLine + 1);
            return null;
        }
    }

    private static IEnumerable<JsonElement> Stats(JsonElement entry)
    {
        if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("stats", out var s) && s.ValueKind == JsonValueKind.Array)
        {
            foreach (var x in s.EnumerateArray())
            {
                yield return x;
            }
        }
    }

    private static string? StatName(JsonElement stat)
        => stat.ValueKind == JsonValueKind.Object && stat.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.Object && n.TryGetProperty("name", out var nn) && nn.ValueKind == JsonValueKind.String ? nn.GetString() : null;

    private static double? Mean(JsonElement stat)
    {
        if (stat.ValueKind != JsonValueKind.Object || Count(stat) < 1)
        {
            return null;
        }

        if (stat.TryGetProperty("mean", out var m) && PythonJson.NumberOf(m) is { } mean)
        {
            return mean;
        }

        // Older HELM wrote sum and count without mean.
        return stat.TryGetProperty("sum", out var s) && PythonJson.NumberOf(s) is { } sum ? sum / Count(stat) : null;
    }

    private static long Count(JsonElement stat) => stat.TryGetProperty("count", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var n) ? n : 0;

    /// <summary>The perturbation's name (with computed_on when it is not "perturbed"), from the entry or its first stat; null when unperturbed.</summary>
    private static string? PerturbationOf(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (entry.TryGetProperty("perturbation", out var p) && p.ValueKind == JsonValueKind.Object)
        {
            return Describe(p);
        }

        foreach (var s in Stats(entry))
        {
            if (s.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.Object && n.TryGetProperty("perturbation", out var sp) && sp.ValueKind == JsonValueKind.Object)
            {
                return Describe(sp);
            }

            break;
        }

        return null;

        static string Describe(JsonElement p)
        {
            var name = p.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "unnamed";
            var on = p.TryGetProperty("computed_on", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            return on is null or "perturbed" ? name : name + "/" + on;
        }
    }

    private sealed record Spec(string? Name, string? Model, string? Task);

    private static Spec ReadRunSpec(string folder, List<string> notes)
    {
        var path = Path.Combine(folder, "run_spec.json");
        if (!File.Exists(path))
        {
            notes.Add("no run_spec.json: run id from the folder name, model 'unknown'");
            return new Spec(null, null, null);
        }

        try
        {
            using var doc = PythonJson.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            var name = r.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            var model = r.TryGetProperty("adapter_spec", out var a) && a.ValueKind == JsonValueKind.Object && a.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;

            // The task is the run name without its model part: bbq:subject=all,method=...,model=x -> bbq:subject=all,method=...
            string? task = null;
            if (name is not null)
            {
                var parts = name.Split(':', 2);
                var args = parts.Length == 2 ? string.Join(',', parts[1].Split(',').Where(kv => !kv.StartsWith("model=", StringComparison.Ordinal))) : string.Empty;
                task = args.Length == 0 ? parts[0] : parts[0] + ":" + args;
            }

            return new Spec(name, model, task);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            notes.Add("run_spec.json could not be read: " + ex.Message.Split(" LineNumber:")[0].Trim());
            return new Spec(null, null, null);
        }
    }

    /// <summary>Instance id to metadata JSON (split, sub_split), from scenario_state.json or instances.json.</summary>
    private static Dictionary<string, string> ReadInstances(string folder, List<string> notes)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var state = Path.Combine(folder, "scenario_state.json");
        var list = Path.Combine(folder, "instances.json");
        var path = File.Exists(state) ? state : File.Exists(list) ? list : null;
        if (path is null)
        {
            notes.Add("no scenario_state.json or instances.json: splits are not available as metadata");
            return map;
        }

        try
        {
            using var doc = PythonJson.Parse(File.ReadAllText(path));
            IEnumerable<JsonElement> instances = path == state
                ? doc.RootElement.TryGetProperty("request_states", out var rs) && rs.ValueKind == JsonValueKind.Array
                    ? rs.EnumerateArray().Where(x => x.TryGetProperty("instance", out _)).Select(x => x.GetProperty("instance"))
                    : Enumerable.Empty<JsonElement>()
                : doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray() : Enumerable.Empty<JsonElement>();
            foreach (var inst in instances)
            {
                if (inst.ValueKind != JsonValueKind.Object || !inst.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || inst.TryGetProperty("perturbation", out _))
                {
                    continue;
                }

                var d = new OrderedStringDictionary();
                foreach (var key in new[] { "split", "sub_split" })
                {
                    if (inst.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        d[key] = v.GetString();
                    }
                }

                if (d.Count > 0)
                {
                    map.TryAdd(id.GetString()!, JsonValues.Serialize(d));
                }
            }

            notes.Add("splits from " + Path.GetFileName(path));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException or KeyNotFoundException)
        {
            notes.Add(Path.GetFileName(path) + " could not be read: " + ex.Message.Split(" LineNumber:")[0].Trim());
        }

        return map;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
