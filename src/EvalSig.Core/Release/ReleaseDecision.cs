namespace EvalSig.Core.Release;

/// <summary>How the verdicts of a release gate's tasks combine into one release verdict.</summary>
public enum ReleaseDecision
{
    /// <summary>
    /// Every task must pass (ALLOW): an intersection-union test, so each task is tested at its own
    /// alpha and no multiplicity correction is needed - the release is wrongly allowed only if some
    /// task is wrongly allowed, which has probability at most alpha (Berger 1982, "Multiparameter
    /// hypothesis testing and acceptance sampling", Technometrics 24(4), Theorem 1). Any REJECT
    /// rejects the release; otherwise any INCONCLUSIVE makes it INCONCLUSIVE.
    /// </summary>
    AllMustPass,

    /// <summary>
    /// At least one task must improve, after a multiplicity correction over the tasks' p-values
    /// (Holm by default); a task that is significantly worse (Regressed) still rejects the release.
    /// </summary>
    AnyImproves,
}
