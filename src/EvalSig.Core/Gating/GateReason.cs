namespace EvalSig.Core.Gating;

/// <summary>
/// Why the gate reached its verdict, for machines (pipelines, dashboards) as well as people. Each
/// verdict has its own reasons: ALLOW -> Improved or NonInferior; REJECT -> Regressed,
/// BelowMinDelta, NotSignificant or MarginNotMet; INCONCLUSIVE -> Underpowered, TooFewPairs or
/// TooFewClusters.
/// </summary>
public enum GateReason
{
    /// <summary>ALLOW: significantly better, by at least MinDelta.</summary>
    Improved,

    /// <summary>ALLOW (non-inferiority): the one-sided (1 - alpha) lower bound exceeds -Margin.</summary>
    NonInferior,

    /// <summary>
    /// REJECT: significantly worse - the one-sided (1 - alpha) upper bound for delta is below zero -
    /// whatever the alternative tested.
    /// </summary>
    Regressed,

    /// <summary>REJECT: significantly better, but delta is below MinDelta.</summary>
    BelowMinDelta,

    /// <summary>REJECT: no significant improvement, although the MDE is at most MinDelta (the evaluation could have seen one).</summary>
    NotSignificant,

    /// <summary>REJECT (non-inferiority): a loss larger than the margin is not ruled out, although the MDE is at most the margin.</summary>
    MarginNotMet,

    /// <summary>INCONCLUSIVE: not significant, and the MDE exceeds MinDelta (or the margin): more data is needed.</summary>
    Underpowered,

    /// <summary>INCONCLUSIVE: too few paired items for the method to say anything (or a zero variance estimate from few pairs).</summary>
    TooFewPairs,

    /// <summary>INCONCLUSIVE: too few clusters for any method to hold its error rate; more clusters are needed.</summary>
    TooFewClusters,
}
