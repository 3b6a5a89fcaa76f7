using System;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;

namespace EvalSig.Core.Release;

/// <summary>How a multi-task release gate combines its tasks.</summary>
public sealed record ReleaseOptions
{
    public ReleaseDecision Decision { get; init; } = ReleaseDecision.AllMustPass;

    /// <summary>The correction over the tasks' p-values; null means the decision's default (None for AllMustPass, Holm for AnyImproves).</summary>
    public MultipleTestingCorrection? Correction { get; init; }

    /// <summary>How the pipeline step treats an INCONCLUSIVE release verdict (and each task's).</summary>
    public InconclusiveOutcome InconclusiveAs { get; init; } = InconclusiveOutcome.Failed;

    /// <summary>The correction that applies: the one given, or the decision's default.</summary>
    public MultipleTestingCorrection EffectiveCorrection => Correction ?? (Decision == ReleaseDecision.AnyImproves ? MultipleTestingCorrection.Holm : MultipleTestingCorrection.None);

    /// <summary>Throws a specific error for a decision and correction that do not go together.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Decision))
        {
            throw new EvalSigException(EvalSigError.InvalidReleaseDecision, EvalSigErrorKind.InvalidArgument, "The release decision must be AllMustPass or AnyImproves.", Decision);
        }

        if (Correction is { } c && !Enum.IsDefined(c))
        {
            throw new EvalSigException(EvalSigError.InvalidCorrection, EvalSigErrorKind.InvalidArgument, "The correction must be None, Bonferroni, Holm or BenjaminiHochberg.", c);
        }

        if (Decision == ReleaseDecision.AllMustPass && EffectiveCorrection != MultipleTestingCorrection.None)
        {
            throw new EvalSigException(
                EvalSigError.InvalidCorrection,
                EvalSigErrorKind.InvalidArgument,
                $"AllMustPass needs no correction (every task must pass at its own alpha: an intersection-union test keeps the error rate at alpha), so {Correction} would only cost power. Drop the correction, or use AnyImproves.",
                Correction);
        }

        if (Decision == ReleaseDecision.AnyImproves && EffectiveCorrection == MultipleTestingCorrection.None)
        {
            throw new EvalSigException(
                EvalSigError.InvalidCorrection,
                EvalSigErrorKind.InvalidArgument,
                "AnyImproves without a correction would allow a release whenever any of the tasks looks better by chance; use Holm (the default), BenjaminiHochberg or Bonferroni.",
                Correction);
        }

        if (!Enum.IsDefined(InconclusiveAs))
        {
            throw new EvalSigException(EvalSigError.InvalidInconclusiveAs, EvalSigErrorKind.InvalidArgument, "InconclusiveAs must be Failed, SucceededWithIssues or Succeeded.", InconclusiveAs);
        }
    }

    /// <summary>all_must_pass / all-must-pass / AllMustPass, any_improves...; anything else is InvalidReleaseDecision.</summary>
    public static ReleaseDecision ParseDecision(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Squash(text) switch
        {
            "ALLMUSTPASS" => ReleaseDecision.AllMustPass,
            "ANYIMPROVES" => ReleaseDecision.AnyImproves,
            _ => throw new EvalSigException(EvalSigError.InvalidReleaseDecision, EvalSigErrorKind.InvalidArgument, $"Unknown release decision '{text}': use all-must-pass or any-improves.", text),
        };
    }

    /// <summary>none, bonferroni, holm, benjamini-hochberg (or bh, fdr_bh); anything else is InvalidCorrection.</summary>
    public static MultipleTestingCorrection ParseCorrection(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Squash(text) switch
        {
            "NONE" => MultipleTestingCorrection.None,
            "BONFERRONI" => MultipleTestingCorrection.Bonferroni,
            "HOLM" => MultipleTestingCorrection.Holm,
            "BENJAMINIHOCHBERG" or "BH" or "FDRBH" => MultipleTestingCorrection.BenjaminiHochberg,
            _ => throw new EvalSigException(EvalSigError.InvalidCorrection, EvalSigErrorKind.InvalidArgument, $"Unknown correction '{text}': use holm, benjamini-hochberg, bonferroni or none.", text),
        };
    }

    /// <summary>The names JSON writes: all_must_pass, any_improves.</summary>
    public static string DecisionName(ReleaseDecision d) => d == ReleaseDecision.AnyImproves ? "any_improves" : "all_must_pass";

    /// <summary>The names JSON writes: none, bonferroni, holm, benjamini_hochberg.</summary>
    public static string CorrectionName(MultipleTestingCorrection c) => c switch
    {
        MultipleTestingCorrection.Bonferroni => "bonferroni",
        MultipleTestingCorrection.Holm => "holm",
        MultipleTestingCorrection.BenjaminiHochberg => "benjamini_hochberg",
        _ => "none",
    };

    internal static string Squash(string text)
        => text.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
}
