using System;

namespace EvalSig.Core.Gating;

/// <summary>A gate decision with everything needed to re-derive it.</summary>
public sealed record GateReport
{
    public required GateVerdict Verdict { get; init; }

    public int ExitCode => (int)Verdict;

    /// <summary>
    /// The exit code a pipeline step should end with: <see cref="ExitCode"/>, except that an
    /// INCONCLUSIVE verdict treated as SucceededWithIssues or Succeeded
    /// (<see cref="GateOptions.InconclusiveAs"/>) ends the step with 0.
    /// </summary>
    public int StepExitCode => Verdict == GateVerdict.INCONCLUSIVE && Options.InconclusiveAs != InconclusiveOutcome.Failed ? 0 : ExitCode;

    /// <summary>The task's name when the report is one task of a multi-task release gate; null otherwise.</summary>
    public string? Task { get; init; }

    /// <summary>
    /// In a multi-task release gate, the task's p-value adjusted for multiplicity over the tasks
    /// (equal to the raw p-value when no correction applies); null for a single gate.
    /// </summary>
    public double? AdjustedPValue { get; init; }

    /// <summary>Why: machine-readable (Improved, Regressed, Underpowered, TooFewClusters...).</summary>
    public required GateReason Reason { get; init; }

    /// <summary>One sentence that states the reason with the numbers behind it (delta, CI or bound, p, MDE).</summary>
    public required string Explanation { get; init; }

    public required Comparison Comparison { get; init; }

    public required double MinDelta { get; init; }

    public required double Alpha { get; init; }

    public required double Power { get; init; }

    public required GateDecision Decision { get; init; }

    public double? Margin { get; init; }

    public string? Suggestion { get; init; }

    public required string BaselineRunId { get; init; }

    public required string CandidateRunId { get; init; }

    public required DateTimeOffset EvaluatedAt { get; init; }

    public required string ToolVersion { get; init; }

    /// <summary>The options as given (method requested, cluster key, seed...), for re-derivation.</summary>
    public required GateOptions Options { get; init; }

    /// <summary>
    /// The baseline the decision was made on, when the report came from the gate (null when read back
    /// from JSON). A method, not a property, on purpose: serializers (ConvertTo-Json, Export-Clixml,
    /// System.Text.Json) write properties only, so a saved or logged report stays the size of its
    /// numbers instead of carrying both runs item by item.
    /// </summary>
    public RunFrames.RunFrame? GetBaseline() => BaselineRun;

    /// <summary>The candidate the decision was made on, when the report came from the gate; see <see cref="GetBaseline"/>.</summary>
    public RunFrames.RunFrame? GetCandidate() => CandidateRun;

    internal RunFrames.RunFrame? BaselineRun { get; init; }

    internal RunFrames.RunFrame? CandidateRun { get; init; }

    public override string ToString() => System.FormattableString.Invariant($"{Verdict} ({Reason}) delta={Comparison.Delta:G6} p={Comparison.PValue:G4} ({Comparison.Method})");
}
