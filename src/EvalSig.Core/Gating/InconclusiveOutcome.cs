namespace EvalSig.Core.Gating;

/// <summary>
/// How a pipeline treats an INCONCLUSIVE verdict. The verdict itself never changes (the report still
/// says INCONCLUSIVE, exit code 2); this only sets the step's result: the task result an Azure
/// Pipelines step reports (<c>##vso[task.complete result=...]</c>), the step's exit code
/// (<see cref="GateReport.StepExitCode"/>) and what a JUnit test case shows.
/// </summary>
public enum InconclusiveOutcome
{
    /// <summary>The step fails (exit code 2); a JUnit test case fails. The default: a gate that could not decide never looks like a pass.</summary>
    Failed,

    /// <summary>The step succeeds with issues (Azure: partially succeeded; exit code 0, a warning); a JUnit test case is skipped.</summary>
    SucceededWithIssues,

    /// <summary>The step succeeds (exit code 0, a warning is still written); a JUnit test case is skipped.</summary>
    Succeeded,
}
