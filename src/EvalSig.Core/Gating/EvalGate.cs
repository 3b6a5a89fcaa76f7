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
        var (verdict, suggestion) = options.Decision == GateDecision.Superiority
            ? Superiority(c, options.MinDelta)
            : NonInferiority(c, options.Margin!.Value);

        return new GateReport
        {
            Verdict = verdict,
            Comparison = c,
            MinDelta = options.MinDelta,
            Alpha = inference.Alpha,
            Power = inference.Power,
            Decision = options.Decision,
            Margin = options.Margin,
            Suggestion = suggestion,
            BaselineRunId = baseline.RunId,
            CandidateRunId = candidate.RunId,
            EvaluatedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
            ToolVersion = ToolVersion,
            Options = options with { Inference = inference },
            Baseline = baseline,
            Candidate = candidate,
        };
    }

    /// <summary>
    /// EVALSIG's rules: ALLOW if significant and delta &gt;= MinDelta; INCONCLUSIVE if not
    /// significant and MDE &gt; MinDelta; otherwise REJECT.
    /// </summary>
    internal static (GateVerdict, string?) Superiority(Comparison c, double minDelta)
    {
        if (double.IsNaN(c.PValue))
        {
            return (GateVerdict.INCONCLUSIVE, Invariant($"Too little data to estimate uncertainty ({c.NPairs} paired items, {c.NClusters} clusters). Collect more paired items before deciding."));
        }

        if (c.Significant && c.Delta >= minDelta)
        {
            return (GateVerdict.ALLOW, null);
        }

        if (!c.Significant && c.Mde > minDelta)
        {
            return (GateVerdict.INCONCLUSIVE, SampleSizeAdvice(c, minDelta, "min-delta"));
        }

        if (c.Significant)
        {
            return (GateVerdict.REJECT, Invariant($"The improvement is real (p = {c.PValue:G4}) but delta {c.Delta:G6} is below min-delta {minDelta:G6}: not worth shipping by the bar you set."));
        }

        return (GateVerdict.REJECT, Invariant($"No significant improvement, and with MDE {c.Mde:G4} <= min-delta {minDelta:G6} this evaluation was sensitive enough to see one: the candidate does not improve by min-delta."));
    }

    /// <summary>ALLOW if the one-sided (1 - alpha) lower bound exceeds -m; INCONCLUSIVE if MDE &gt; m; else REJECT.</summary>
    internal static (GateVerdict, string?) NonInferiority(Comparison c, double margin)
    {
        if (double.IsNaN(c.OneSidedLower))
        {
            return (GateVerdict.INCONCLUSIVE, Invariant($"Too little data to estimate uncertainty ({c.NPairs} paired items). Collect more paired items before deciding."));
        }

        if (c.OneSidedLower > -margin)
        {
            return (GateVerdict.ALLOW, null);
        }

        if (c.Mde > margin)
        {
            return (GateVerdict.INCONCLUSIVE, SampleSizeAdvice(c, margin, "the margin"));
        }

        return (GateVerdict.REJECT, Invariant($"The candidate may be worse than the baseline by more than the margin {margin:G6}: the one-sided lower bound is {c.OneSidedLower:G6}."));
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
                : Invariant($"Not enough evidence either way: this unpaired comparison can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. Set -MinDelta to the smallest improvement worth shipping, or score the same items in both runs.");
        }

        var need = RequiredPairs(c.NPairs, c.Mde, target);
        return need is { } total
            ? Invariant($"Not enough evidence either way: this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. To detect {target:G6} you need about {total} paired items in total (now {c.NPairs}).")
            : Invariant($"Not enough evidence either way: this evaluation can only detect effects of {c.Mde:G4} or more at {c.Power * 100:0.##}% power. With {what} 0 no sample size is enough to rule out every small effect; set -MinDelta to the smallest improvement worth shipping to get a target, or collect more paired items.");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
