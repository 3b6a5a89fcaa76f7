using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Release;

/// <summary>
/// The multi-task release gate: each task gated as <see cref="EvalGate"/> gates a pair, then one
/// release verdict by <see cref="ReleaseDecision"/>, with the tasks' p-values adjusted by the correction.
/// </summary>
public static partial class ReleaseGate
{
    public static ReleaseReport Decide(IReadOnlyList<GateTask> tasks, ReleaseOptions options, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ValidateTasks(tasks, options);
        var correction = options.EffectiveCorrection;

        var reports = new GateReport[tasks.Count];
        for (var i = 0; i < tasks.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var t = tasks[i];
            var slice = progress is null ? null : new Slice(progress, i, tasks.Count);
            reports[i] = EvalGate.Decide(t.Baseline, t.Candidate, t.Options with { InconclusiveAs = options.InconclusiveAs }, slice, cancel) with { Task = t.Name };
            progress?.Report((i + 1.0) / tasks.Count);
        }

        var adjusted = PValueAdjustment.Adjust(reports.Select(r => r.Comparison.PValue).ToArray(), correction);
        for (var i = 0; i < reports.Length; i++)
        {
            reports[i] = correction == MultipleTestingCorrection.None
                ? reports[i] with { AdjustedPValue = adjusted[i] }
                : Readjust(reports[i], adjusted[i], correction, reports.Length);
        }

        var (verdict, explanation) = options.Decision == ReleaseDecision.AllMustPass
            ? AllMustPass(reports)
            : AnyImproves(reports, correction);

        return new ReleaseReport
        {
            Verdict = verdict,
            Decision = options.Decision,
            Correction = correction,
            InconclusiveAs = options.InconclusiveAs,
            Tasks = reports,
            Explanation = explanation,
            EvaluatedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ToolVersion = EvalGate.ToolVersion,
        };
    }

    /// <summary>Task names: they name output variables and test cases.</summary>
    public static bool IsValidTaskName(string? name) => name is not null && TaskName().IsMatch(name);

    private static void ValidateTasks(IReadOnlyList<GateTask> tasks, ReleaseOptions options)
    {
        var problems = new List<string>();
        if (tasks.Count == 0)
        {
            problems.Add("A release gate needs at least one task.");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var t in tasks)
        {
            if (!IsValidTaskName(t.Name))
            {
                problems.Add($"Task name '{t.Name}' is not valid: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit.");
            }
            else if (!seen.Add(t.Name))
            {
                problems.Add($"Task name '{t.Name}' is used twice (names are compared without case).");
            }

            if (options.Decision == ReleaseDecision.AnyImproves && t.Options.Decision != GateDecision.Superiority)
            {
                problems.Add($"Task '{t.Name}' is a {t.Options.Decision} task, but AnyImproves asks whether any task improves: use AllMustPass to combine non-inferiority tasks.");
            }
        }

        if (problems.Count > 0)
        {
            throw new EvalSigException(EvalSigError.ManifestInvalid, EvalSigErrorKind.InvalidArgument, string.Join(" ", problems), tasks);
        }
    }

    /// <summary>
    /// The task's verdict with significance judged on its adjusted p-value: the same rules as the
    /// single gate (<see cref="EvalGate"/>), with p replaced by the adjusted p. The confidence interval,
    /// the regression check and the MDE stay at the task's own alpha (they are not adjusted).
    /// </summary>
    private static GateReport Readjust(GateReport r, double adjustedP, MultipleTestingCorrection correction, int m)
    {
        var c = r.Comparison;
        var significant = c.Limitation is null && !double.IsNaN(adjustedP) && adjustedP < c.Alpha && (c.Alternative != Alternative.Greater || c.Delta > 0);
        var outcome = EvalGate.Superiority(c with { PValue = adjustedP, Significant = significant }, r.MinDelta);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{CorrectionLabel(correction)}-adjusted over {m} tasks (raw p = {Num(c.PValue)}): ");
        return r with
        {
            Verdict = outcome.Verdict,
            Reason = outcome.Reason,
            Explanation = prefix + outcome.Explanation,
            Suggestion = outcome.Suggestion,
            AdjustedPValue = adjustedP,
        };
    }

    private static (GateVerdict, string) AllMustPass(GateReport[] reports)
    {
        var rejected = reports.Where(r => r.Verdict == GateVerdict.REJECT).ToList();
        var inconclusive = reports.Where(r => r.Verdict == GateVerdict.INCONCLUSIVE).ToList();
        if (rejected.Count > 0)
        {
            return (GateVerdict.REJECT, Invariant($"AllMustPass: {Count(rejected.Count, reports.Length)} REJECT - {List(rejected)}."));
        }

        if (inconclusive.Count > 0)
        {
            return (GateVerdict.INCONCLUSIVE, Invariant($"AllMustPass: no task REJECT, but {Count(inconclusive.Count, reports.Length)} INCONCLUSIVE - {List(inconclusive)}."));
        }

        return (GateVerdict.ALLOW, Invariant($"AllMustPass: all {reports.Length} tasks ALLOW - {List(reports)}."));
    }

    private static (GateVerdict, string) AnyImproves(GateReport[] reports, MultipleTestingCorrection correction)
    {
        var label = Invariant($"AnyImproves ({CorrectionLabel(correction)} over {reports.Length} tasks)");
        var regressed = reports.Where(r => r.Reason == GateReason.Regressed).ToList();
        if (regressed.Count > 0)
        {
            return (GateVerdict.REJECT, Invariant($"{label}: {List(regressed)} - a significant regression rejects the release whatever else improves."));
        }

        var improved = reports.Where(r => r.Verdict == GateVerdict.ALLOW).ToList();
        if (improved.Count > 0)
        {
            return (GateVerdict.ALLOW, Invariant($"{label}: {Count(improved.Count, reports.Length)} improve after the correction - {string.Join(", ", improved.Select(r => Invariant($"{r.Task} (adjusted p = {Num(r.AdjustedPValue ?? double.NaN)})")))}."));
        }

        var inconclusive = reports.Where(r => r.Verdict == GateVerdict.INCONCLUSIVE).ToList();
        if (inconclusive.Count > 0)
        {
            return (GateVerdict.INCONCLUSIVE, Invariant($"{label}: no task improves after the correction, and {Count(inconclusive.Count, reports.Length)} INCONCLUSIVE (more data could show an improvement) - {List(inconclusive)}."));
        }

        return (GateVerdict.REJECT, Invariant($"{label}: no task improves after the correction - {List(reports)}."));
    }

    private static string List(IEnumerable<GateReport> reports) => string.Join(", ", reports.Select(r => Invariant($"{r.Task} {r.Verdict} ({r.Reason})")));

    private static string Count(int k, int m) => Invariant($"{k} of {m} task{(m == 1 ? string.Empty : "s")}");

    /// <summary>The correction as people write it: Holm, Benjamini-Hochberg, Bonferroni.</summary>
    public static string CorrectionLabel(MultipleTestingCorrection c) => c switch
    {
        MultipleTestingCorrection.BenjaminiHochberg => "Benjamini-Hochberg",
        MultipleTestingCorrection.Holm => "Holm",
        MultipleTestingCorrection.Bonferroni => "Bonferroni",
        _ => "no correction",
    };

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex TaskName();

    /// <summary>Progress of task <c>index</c> of <c>count</c> as a fraction of the whole release gate.</summary>
    private sealed class Slice : IProgress<double>
    {
        private readonly IProgress<double> _inner;
        private readonly int _index;
        private readonly int _count;

        public Slice(IProgress<double> inner, int index, int count) => (_inner, _index, _count) = (inner, index, count);

        public void Report(double value) => _inner.Report((_index + Math.Clamp(value, 0, 1)) / _count);
    }
}
