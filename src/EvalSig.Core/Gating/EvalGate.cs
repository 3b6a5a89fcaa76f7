using System;
using System.Globalization;
using System.Reflection;
using System.Threading;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Gating;

/// <summary>The release gate: inference on a run pair, then a verdict.</summary>
public static class EvalGate
{
    /// <summary>The version every report records.</summary>
    public static string ToolVersion { get; } = typeof(EvalGate).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(EvalGate).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static GateReport Decide(RunFrame baseline, RunFrame candidate, GateOptions options, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var inference = options.Inference;
        if (options.Decision == GateDecision.NonInferiority && inference.Alternative != Alternative.Greater)
        {
            // Non-inferiority is a one-sided question by construction.
            inference = inference with { Alternative = Alternative.Greater };
        }

        var c = EvalComparer.Compare(baseline, candidate, inference, progress, cancel);
        var outcome = options.Decision == GateDecision.Superiority
            ? Superiority(c, options.MinDelta)
            : NonInferiority(c, options.Margin!.Value);

        return new GateReport
        {
            Verdict = outcome.Verdict,
            Reason = outcome.Reason,
            Explanation = outcome.Explanation,
            Comparison = c,
            MinDelta = options.MinDelta,
            Alpha = inference.Alpha,
            Power = inference.Power,
            Decision = options.Decision,
            Margin = options.Margin,
            Suggestion = outcome.Suggestion,
            BaselineRunId = baseline.RunId,
            CandidateRunId = candidate.RunId,
            EvaluatedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ToolVersion = ToolVersion,
            Options = options with { Inference = inference },
            BaselineRun = baseline,
            CandidateRun = candidate,
        };
    }

    /// <summary>
    /// EVALSIG's rules, with the two guards it lacks: data too thin for the method is INCONCLUSIVE,
    /// and a significant regression (one-sided (1 - alpha) upper bound below zero) is REJECT whatever
    /// the alternative. Then ALLOW if significantly better and delta &gt;= MinDelta; INCONCLUSIVE if
    /// not significant and MDE &gt; MinDelta; otherwise REJECT.
    /// </summary>
    internal static GateOutcome Superiority(Comparison c, double minDelta)
    {
        if (Insufficient(c) is { } thin)
        {
            return thin;
        }

        if (c.OneSidedUpper < 0)
        {
            return Regressed(c);
        }

        var better = c.Significant && c.Delta > 0;
        if (better && c.Delta >= minDelta)
        {
            return new(GateVerdict.ALLOW, GateReason.Improved, Invariant($"The candidate is better: delta {Signed(c.Delta)} is significant ({PText(c)}) and at least min-delta {minDelta:G6}; {CiText(c)}."), null);
        }

        if (!better && c.Mde > minDelta)
        {
            return new(
                GateVerdict.INCONCLUSIVE,
                GateReason.Underpowered,
                Invariant($"Not enough evidence either way: delta {Signed(c.Delta)} is not a significant improvement ({PText(c)}; {CiText(c)}), and this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power, above min-delta {minDelta:G6}."),
                SampleSizeAdvice(c, minDelta, "min-delta"));
        }

        if (better)
        {
            return new(
                GateVerdict.REJECT,
                GateReason.BelowMinDelta,
                Invariant($"The improvement is real ({PText(c)}; {CiText(c)}) but delta {Signed(c.Delta)} is below min-delta {minDelta:G6}."),
                Invariant($"The improvement is real (p = {c.PValue:G4}) but delta {c.Delta:G6} is below min-delta {minDelta:G6}: not worth shipping by the bar you set."));
        }

        return new(
            GateVerdict.REJECT,
            GateReason.NotSignificant,
            Invariant($"No significant improvement (delta {Signed(c.Delta)}, {PText(c)}; {CiText(c)}), and with MDE {c.Mde:G4} <= min-delta {minDelta:G6} this evaluation was sensitive enough to see one."),
            Invariant($"No significant improvement, and with MDE {c.Mde:G4} <= min-delta {minDelta:G6} this evaluation was sensitive enough to see one: the candidate does not improve by min-delta."));
    }

    /// <summary>
    /// ALLOW if the one-sided (1 - alpha) lower bound exceeds -m; else REJECT if significantly worse
    /// (upper bound below zero); INCONCLUSIVE if MDE &gt; m; else REJECT.
    /// </summary>
    internal static GateOutcome NonInferiority(Comparison c, double margin)
    {
        if (Insufficient(c) is { } thin)
        {
            return thin;
        }

        var level = Percent(1 - c.Alpha);
        if (c.OneSidedLower > -margin)
        {
            return new(GateVerdict.ALLOW, GateReason.NonInferior, Invariant($"The candidate is non-inferior: the one-sided {level} lower bound {Signed(c.OneSidedLower)} for delta is above -margin {-margin:G6} (delta {Signed(c.Delta)})."), null);
        }

        if (c.OneSidedUpper < 0)
        {
            return Regressed(c);
        }

        if (c.Mde > margin)
        {
            return new(
                GateVerdict.INCONCLUSIVE,
                GateReason.Underpowered,
                Invariant($"Not enough evidence either way: the one-sided {level} lower bound {Signed(c.OneSidedLower)} does not rule out a loss beyond the margin {margin:G6}, and this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power."),
                SampleSizeAdvice(c, margin, "the margin"));
        }

        return new(
            GateVerdict.REJECT,
            GateReason.MarginNotMet,
            Invariant($"The candidate may be worse than the baseline by more than the margin {margin:G6}: the one-sided {level} lower bound is {Signed(c.OneSidedLower)} (delta {Signed(c.Delta)})."),
            Invariant($"The candidate may be worse than the baseline by more than the margin {margin:G6}: the one-sided lower bound is {c.OneSidedLower:G6}."));
    }

    private static GateOutcome Regressed(Comparison c)
        => new(
            GateVerdict.REJECT,
            GateReason.Regressed,
            Invariant($"The candidate is significantly worse than the baseline: delta {Signed(c.Delta)}, and the one-sided {Percent(1 - c.Alpha)} upper bound {Signed(c.OneSidedUpper)} is below zero."),
            null);

    /// <summary>INCONCLUSIVE when the comparison says the data cannot support a decision, or nothing could be estimated.</summary>
    private static GateOutcome? Insufficient(Comparison c)
    {
        if (c.Limitation is null && !double.IsNaN(c.PValue))
        {
            return null;
        }

        var clusters = c.Limitation == GateReason.TooFewClusters;
        var why = clusters
            ? Invariant($"Too few clusters to decide: with {c.NClusters} clusters ('{c.ClusterKey}') {c.Method} cannot hold its error rate, so its numbers (delta {Signed(c.Delta)}, p = {Num(c.PValue)}) cannot support a verdict.")
            : Invariant($"Too few paired items to decide: with {c.NPairs} paired items {c.Method} cannot estimate the uncertainty of delta {Signed(c.Delta)} (p = {Num(c.PValue)}).");
        var advice = clusters
            ? Invariant($"Add clusters (independent groups of items, such as more source documents or prompt templates); see the notes for how many the method needs.")
            : Invariant($"Collect more paired items before deciding ({c.NPairs} paired items, {c.NClusters} clusters); see the notes.");
        return new(GateVerdict.INCONCLUSIVE, clusters ? GateReason.TooFewClusters : GateReason.TooFewPairs, why, advice);
    }

    /// <summary>Items needed so the MDE reaches <paramref name="target"/>: ceil(n * (MDE / target)^2).</summary>
    public static long? RequiredPairs(int n, double mde, double target)
    {
        if (!(target > 0) || !double.IsFinite(mde))
        {
            return null;
        }

        var need = Math.Ceiling(n * (mde / target) * (mde / target));
        return need >= long.MaxValue ? null : (long)need;
    }

    private static string SampleSizeAdvice(Comparison c, double target, string what)
    {
        if (c.Unpaired)
        {
            var perRun = RequiredPairs(Math.Max(c.NBaseline, c.NCandidate), c.Mde, target);
            return perRun is { } items
                ? Invariant($"Not enough evidence either way: this unpaired comparison can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. To detect {target:G6} you need about {items} items in each run, or far fewer if both runs score the same items (paired).")
                : Invariant($"Not enough evidence either way: this unpaired comparison can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. Set the minimum delta (-MinDelta, --min-delta) to the smallest improvement worth shipping, or score the same items in both runs.");
        }

        var need = RequiredPairs(c.NPairs, c.Mde, target);
        return need is { } total
            ? Invariant($"Not enough evidence either way: this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. To detect {target:G6} you need about {total} paired items in total (now {c.NPairs}).")
            : Invariant($"Not enough evidence either way: this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. With {what} 0 no sample size is enough to rule out every small effect; set the minimum delta (-MinDelta, --min-delta) to the smallest improvement worth shipping to get a target, or collect more paired items.");
    }

    private static string PText(Comparison c)
        => Invariant($"p = {Num(c.PValue)}, {(c.Alternative == Alternative.Greater ? "one-sided" : "two-sided")}");

    private static string CiText(Comparison c)
        => Invariant($"{Percent(c.CiLevel)} CI {IntervalText.Format(c.CiLower, c.CiUpper)}");

    private static string Percent(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Signed(double v) => double.IsPositiveInfinity(v) ? "+inf" : double.IsNegativeInfinity(v) ? "-inf" : double.IsNaN(v) ? "n/a" : v.ToString("+0.######;-0.######;0", CultureInfo.InvariantCulture);

    private static string Num(double v) => double.IsNaN(v) ? "n/a" : v.ToString("G4", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A verdict with its reason, the sentence that explains it, and what to do next.</summary>
internal readonly record struct GateOutcome(GateVerdict Verdict, GateReason Reason, string Explanation, string? Suggestion);
