using System;
using System.Collections.Generic;
using System.Globalization;
using EvalSig.Core.Gating;

namespace EvalSig.Core.Release;

/// <summary>
/// A multi-task release gate's decision: one gate report per task (with its adjusted p-value) and
/// the combined release verdict.
/// </summary>
public sealed record ReleaseReport
{
    public required GateVerdict Verdict { get; init; }

    /// <summary>ALLOW 0, REJECT 1, INCONCLUSIVE 2.</summary>
    public int ExitCode => (int)Verdict;

    /// <summary>The exit code for a pipeline step: <see cref="ExitCode"/>, except INCONCLUSIVE treated as SucceededWithIssues or Succeeded ends with 0.</summary>
    public int StepExitCode => Verdict == GateVerdict.INCONCLUSIVE && InconclusiveAs != InconclusiveOutcome.Failed ? 0 : ExitCode;

    public required ReleaseDecision Decision { get; init; }

    /// <summary>The correction applied to the tasks' p-values (None for AllMustPass).</summary>
    public required MultipleTestingCorrection Correction { get; init; }

    public required InconclusiveOutcome InconclusiveAs { get; init; }

    /// <summary>One report per task, in the order given; each has <see cref="GateReport.Task"/> and <see cref="GateReport.AdjustedPValue"/>.</summary>
    public required IReadOnlyList<GateReport> Tasks { get; init; }

    /// <summary>One sentence: which tasks decided the release verdict, and why.</summary>
    public required string Explanation { get; init; }

    public required DateTimeOffset EvaluatedAt { get; init; }

    public required string ToolVersion { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Verdict} ({Decision}, {Tasks.Count} tasks)");
}
