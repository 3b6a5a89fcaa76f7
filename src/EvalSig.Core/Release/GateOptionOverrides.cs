using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;

namespace EvalSig.Core.Release;

/// <summary>
/// Gate options given by name, as a manifest (min_delta: 0.005) or a PowerShell hashtable
/// (@{ MinDelta = 0.005 }) writes them: one place that knows the keys, converts the values and
/// reports every problem, so the manifest, -Pair and the command line cannot drift apart.
/// </summary>
public static class GateOptionOverrides
{
    /// <summary>The option keys a task may set (case, '_' and '-' do not matter: min_delta = MinDelta = min-delta).</summary>
    public static IReadOnlyList<string> Keys { get; } = new[] { "min_delta", "alpha", "power", "method", "cluster", "no_cluster", "alternative", "decision", "margin", "resamples", "seed" };

    /// <summary>
    /// Applies the values whose keys are option keys to <paramref name="options"/>; other keys are left
    /// to the caller (<paramref name="isOtherKey"/> says which it knows; any other key is a problem).
    /// Every problem is added to <paramref name="problems"/>, prefixed with <paramref name="where"/>.
    /// </summary>
    public static GateOptions Apply(GateOptions options, IEnumerable<KeyValuePair<string, object?>> values, Func<string, bool> isOtherKey, string where, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(isOtherKey);
        ArgumentNullException.ThrowIfNull(problems);
        var inference = options.Inference;
        var marginGiven = false;
        foreach (var (key, value) in values)
        {
            var k = ReleaseOptions.Squash(key);
            try
            {
                switch (k)
                {
                    case "MINDELTA":
                        options = options with { MinDelta = Number(value, key) };
                        break;
                    case "ALPHA":
                        inference = inference with { Alpha = Number(value, key) };
                        break;
                    case "POWER":
                        inference = inference with { Power = Number(value, key) };
                        break;
                    case "METHOD":
                        inference = inference with { Method = value is InferenceMethod m ? m : EvalComparer.Parse(Text(value, key)) };
                        break;
                    case "CLUSTER":
                        inference = inference with { ClusterKey = value is null ? null : Text(value, key) };
                        break;
                    case "NOCLUSTER":
                        inference = inference with { NoCluster = Flag(value, key) };
                        break;
                    case "ALTERNATIVE":
                        inference = inference with { Alternative = value is Alternative a ? a : ParseAlternative(Text(value, key)) };
                        break;
                    case "DECISION":
                        options = options with { Decision = value is GateDecision d ? d : ParseDecision(Text(value, key)) };
                        break;
                    case "MARGIN":
                        options = options with { Margin = value is null ? null : Number(value, key) };
                        marginGiven = true;
                        break;
                    case "RESAMPLES":
                        inference = inference with { Resamples = checked((int)Integer(value, key)) };
                        break;
                    case "SEED":
                        inference = inference with { Seed = Integer(value, key) };
                        break;
                    default:
                        if (!isOtherKey(k))
                        {
                            problems.Add($"{where}: unknown key '{key}' (known: {string.Join(", ", Keys)}).");
                        }

                        break;
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or EvalSigException)
            {
                problems.Add($"{where}: {ex.Message}");
            }
        }

        options = options with { Inference = inference };
        if (options.Decision == GateDecision.Superiority && options.Margin is not null && !marginGiven)
        {
            // A margin inherited from the defaults belongs to non-inferiority tasks only.
            options = options with { Margin = null };
        }

        try
        {
            options.Validate();
        }
        catch (EvalSigException ex)
        {
            problems.Add($"{where}: {ex.Message}");
        }

        return options;
    }

    /// <summary>
    /// A task from named values (a PowerShell hashtable or object): Name (or Task), Baseline and
    /// Candidate - each run turned into a RunFrame by <paramref name="readRun"/> (given the value and
    /// the key) - and option keys. Every problem is reported at once as ManifestInvalid.
    /// </summary>
    public static GateTask ToTask(IReadOnlyCollection<KeyValuePair<string, object?>> values, GateOptions defaults, Func<object, string, RunFrames.RunFrame> readRun, string where)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(readRun);
        object? Get(params string[] keys) => values.FirstOrDefault(kv => keys.Contains(ReleaseOptions.Squash(kv.Key))).Value;
        var name = Get("NAME", "TASK") as string;
        var problems = new List<string>();
        where += name is null ? string.Empty : $" ('{name}')";
        if (name is null)
        {
            problems.Add($"{where}: Name is missing (a task name such as mmlu-pro).");
        }

        var baseline = Get("BASELINE");
        var candidate = Get("CANDIDATE");
        if (baseline is null)
        {
            problems.Add($"{where}: Baseline is missing (a RunFrame or a path).");
        }

        if (candidate is null)
        {
            problems.Add($"{where}: Candidate is missing (a RunFrame or a path).");
        }

        var options = Apply(defaults, values, k => k is "NAME" or "TASK" or "BASELINE" or "CANDIDATE", where, problems);
        if (problems.Count > 0)
        {
            throw new EvalSigException(EvalSigError.ManifestInvalid, EvalSigErrorKind.InvalidArgument, string.Join(" ", problems), name);
        }

        return new GateTask { Name = name!, Baseline = readRun(baseline!, "Baseline"), Candidate = readRun(candidate!, "Candidate"), Options = options };
    }

    private static double Number(object? value, string key) => value switch
    {
        double d => d,
        float f => f,
        decimal m => (double)m,
        long or int or short or byte or sbyte or ulong or uint or ushort => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw new FormatException($"'{key}' must be a number, not {Describe(value)}."),
    };

    private static long Integer(object? value, string key) => value switch
    {
        long or int or short or byte or sbyte or uint or ushort => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        double d when Math.Floor(d) == d && Math.Abs(d) < 9e15 => (long)d,
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        _ => throw new FormatException($"'{key}' must be a whole number, not {Describe(value)}."),
    };

    private static bool Flag(object? value, string key) => value switch
    {
        bool b => b,
        string s when bool.TryParse(s, out var b) => b,
        _ => throw new FormatException($"'{key}' must be true or false, not {Describe(value)}."),
    };

    private static string Text(object? value, string key) => value switch
    {
        string s => s,
        Enum e => e.ToString(),
        _ => throw new FormatException($"'{key}' must be text, not {Describe(value)}."),
    };

    private static string Describe(object? value) => value is null ? "null" : value is string s ? $"'{s}'" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? value.GetType().Name;

    private static Alternative ParseAlternative(string s) => ReleaseOptions.Squash(s) switch
    {
        "GREATER" or "ONESIDED" => Alternative.Greater,
        "TWOSIDED" => Alternative.TwoSided,
        _ => throw new FormatException($"unknown alternative '{s}': use greater or two_sided."),
    };

    private static GateDecision ParseDecision(string s) => ReleaseOptions.Squash(s) switch
    {
        "SUPERIORITY" => GateDecision.Superiority,
        "NONINFERIORITY" => GateDecision.NonInferiority,
        _ => throw new FormatException($"unknown decision '{s}': use superiority or non_inferiority."),
    };
}
