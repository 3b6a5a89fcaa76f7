using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;

namespace EvalSig.Core.Release;

/// <summary>
/// A small manifest of release-gate tasks, JSON or YAML (same shape):
/// <code>
/// { "release_decision": "all_must_pass", "correction": null, "inconclusive_as": "failed",
///   "defaults": { "min_delta": 0.005 },
///   "tasks": [ { "name": "mmlu-pro", "baseline": "runs/mmlu-base.json", "candidate": "runs/mmlu-cand.json" },
///              { "name": "safety", "baseline": "...", "candidate": "...", "decision": "non_inferiority", "margin": 0.01 } ] }
/// </code>
/// Run paths are relative to the manifest's folder. A task's options come from its own keys, then
/// <c>defaults</c>, then the command's options; the command's release decision, correction and
/// InconclusiveAs, when given, win over the manifest's.
/// </summary>
public sealed record GateManifest
{
    /// <summary>The manifest file, as read.</summary>
    public required string Path { get; init; }

    public ReleaseDecision? Decision { get; init; }

    public MultipleTestingCorrection? Correction { get; init; }

    public InconclusiveOutcome? InconclusiveAs { get; init; }

    public required IReadOnlyList<GateTask> Tasks { get; init; }

    private static readonly string[] TopKeys = { "version", "release_decision", "correction", "inconclusive_as", "defaults", "tasks" };

    /// <summary>Reads a manifest and every run it names (fully validated); .yml/.yaml files are YAML, anything else JSON.</summary>
    /// <exception cref="EvalSigException">ManifestNotFound, ManifestInvalid (every problem), RunFrameNotFound (every missing run), RunFrameInvalid.</exception>
    public static GateManifest Load(string path, GateOptions defaults, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new EvalSigException(EvalSigError.ManifestNotFound, EvalSigErrorKind.ObjectNotFound, $"The manifest '{full}' does not exist.", path);
        }

        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (IOException ex)
        {
            throw new EvalSigException(EvalSigError.ManifestInvalid, EvalSigErrorKind.ReadError, $"Cannot read the manifest '{full}': {ex.Message}", path, ex);
        }

        var yaml = full.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase);
        return Parse(text, yaml, full, defaults, cancel);
    }

    /// <summary>Parses manifest text; <paramref name="path"/> names it in messages and anchors relative run paths.</summary>
    public static GateManifest Parse(string text, bool yaml, string path, GateOptions defaults, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(defaults);
        object? root;
        try
        {
            var json = yaml ? Bridge.YamlText.ToJson(text) : text;
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = JsonValues.ToObject(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw Invalid(path, [$"not valid {(yaml ? "YAML" : "JSON")}: {ex.Message}"]);
        }

        var problems = new List<string>();
        if (root is not IDictionary<string, object?> top)
        {
            throw Invalid(path, ["the manifest must be an object (a mapping) with a 'tasks' list."]);
        }

        ReleaseDecision? decision = null;
        MultipleTestingCorrection? correction = null;
        InconclusiveOutcome? inconclusiveAs = null;
        var taskDefaults = defaults;
        IList? taskList = null;
        foreach (var (key, value) in top)
        {
            switch (ReleaseOptions.Squash(key))
            {
                case "VERSION":
                    if (!(value is long v && v == 1))
                    {
                        problems.Add($"version {value} is not supported; this EvalSig reads version 1.");
                    }

                    break;
                case "RELEASEDECISION":
                    Try(problems, "release_decision", () => decision = ReleaseOptions.ParseDecision(value as string ?? throw new FormatException("must be all_must_pass or any_improves.")));
                    break;
                case "CORRECTION":
                    Try(problems, "correction", () => correction = value is null ? null : ReleaseOptions.ParseCorrection(value as string ?? throw new FormatException("must be holm, benjamini_hochberg, bonferroni or none.")));
                    break;
                case "INCONCLUSIVEAS":
                    Try(problems, "inconclusive_as", () => inconclusiveAs = GateReportJson.ParseInconclusiveAs(value as string ?? throw new FormatException("must be failed, succeeded_with_issues or succeeded.")));
                    break;
                case "DEFAULTS":
                    if (value is IDictionary<string, object?> d)
                    {
                        taskDefaults = GateOptionOverrides.Apply(defaults, d, _ => false, "defaults", problems);
                    }
                    else
                    {
                        problems.Add("'defaults' must be a mapping of option keys (min_delta, alpha, method...).");
                    }

                    break;
                case "TASKS":
                    taskList = value as IList;
                    if (taskList is null || value is string)
                    {
                        problems.Add("'tasks' must be a list of tasks.");
                        taskList = null;
                    }

                    break;
                case "DECISION":
                    problems.Add("top-level 'decision' is ambiguous: write 'release_decision' (all_must_pass, any_improves) for how tasks combine, or a task's 'decision' (superiority, non_inferiority) under 'defaults' or the task.");
                    break;
                default:
                    problems.Add($"unknown top-level key '{key}' (known: {string.Join(", ", TopKeys)}; task options go under 'defaults' or a task).");
                    break;
            }
        }

        if (taskList is null && !top.Keys.Any(k => ReleaseOptions.Squash(k) == "TASKS"))
        {
            problems.Add("'tasks' is missing: list the tasks, each with name, baseline and candidate.");
        }

        var baseDirectory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? Directory.GetCurrentDirectory();
        var specs = new List<(string Name, string Baseline, string Candidate, GateOptions Options)>();
        if (taskList is not null)
        {
            if (taskList.Count == 0)
            {
                problems.Add("'tasks' is empty: a release gate needs at least one task.");
            }

            var index = 0;
            foreach (var item in taskList)
            {
                var where = $"tasks[{index++}]";
                if (item is not IDictionary<string, object?> t)
                {
                    problems.Add($"{where} must be a mapping with name, baseline and candidate.");
                    continue;
                }

                var name = t.FirstOrDefault(kv => ReleaseOptions.Squash(kv.Key) == "NAME").Value as string;
                where = name is null ? where : $"{where} ('{name}')";
                var b = t.FirstOrDefault(kv => ReleaseOptions.Squash(kv.Key) == "BASELINE").Value as string;
                var c = t.FirstOrDefault(kv => ReleaseOptions.Squash(kv.Key) == "CANDIDATE").Value as string;
                if (name is null)
                {
                    problems.Add($"{where}: 'name' is missing (or not text).");
                }
                else if (!ReleaseGate.IsValidTaskName(name))
                {
                    problems.Add($"{where}: name '{name}' is not valid: use letters, digits, '.', '_' and '-', starting with a letter or digit.");
                }

                if (string.IsNullOrWhiteSpace(b))
                {
                    problems.Add($"{where}: 'baseline' is missing (the path of the baseline run).");
                }

                if (string.IsNullOrWhiteSpace(c))
                {
                    problems.Add($"{where}: 'candidate' is missing (the path of the candidate run).");
                }

                var options = GateOptionOverrides.Apply(taskDefaults, t, k => k is "NAME" or "BASELINE" or "CANDIDATE", where, problems);
                if (name is not null && !string.IsNullOrWhiteSpace(b) && !string.IsNullOrWhiteSpace(c))
                {
                    specs.Add((name, System.IO.Path.GetFullPath(b, baseDirectory), System.IO.Path.GetFullPath(c, baseDirectory), options));
                }
            }

            foreach (var dup in specs.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                problems.Add($"task name '{dup.Key}' is used {dup.Count()} times.");
            }
        }

        if (problems.Count > 0)
        {
            throw Invalid(path, problems);
        }

        var missing = specs.SelectMany(s => new[] { s.Baseline, s.Candidate }).Distinct(StringComparer.Ordinal).Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
        {
            throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.ObjectNotFound, $"The manifest '{path}' names runs that do not exist: {string.Join(", ", missing)}.", missing[0]);
        }

        var frames = new Dictionary<string, RunFrame>(StringComparer.Ordinal);
        RunFrame Read(string file)
        {
            if (!frames.TryGetValue(file, out var frame))
            {
                frame = RunFrameFile.Read(file, null, cancel);
                frames[file] = frame;
            }

            return frame;
        }

        var tasks = specs.Select(s => new GateTask { Name = s.Name, Baseline = Read(s.Baseline), Candidate = Read(s.Candidate), Options = s.Options }).ToList();
        return new GateManifest { Path = path, Decision = decision, Correction = correction, InconclusiveAs = inconclusiveAs, Tasks = tasks };
    }

    private static void Try(List<string> problems, string key, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is FormatException or EvalSigException)
        {
            problems.Add($"{key}: {ex.Message}");
        }
    }

    private static EvalSigException Invalid(string path, IEnumerable<string> problems)
        => new(EvalSigError.ManifestInvalid, EvalSigErrorKind.InvalidData, $"The manifest '{path}' is not valid: {string.Join(" ", problems)}", path);
}
