namespace EvalSig.Core.Gating;

/// <summary>
/// Why a verdict was reached, machine-readable. Kept in its own file: the gate's report (issue 11)
/// uses the same names (Improved, BelowMinDelta, Regressed, NotSignificant, Underpowered,
/// TooFewClusters); the sequential watch adds the non-inferiority pair and StreamEnded.
/// </summary>
public enum GateReason
{
    /// <summary>ALLOW: the candidate is better by at least min-delta.</summary>
    Improved,

    /// <summary>REJECT: any improvement is smaller than min-delta.</summary>
    BelowMinDelta,

    /// <summary>REJECT: the candidate is significantly worse than the baseline.</summary>
    Regressed,

    /// <summary>INCONCLUSIVE: not enough evidence either way.</summary>
    NotSignificant,

    /// <summary>INCONCLUSIVE: the evaluation cannot detect an effect of the size that matters.</summary>
    Underpowered,

    /// <summary>INCONCLUSIVE: too few clusters for any calibrated inference.</summary>
    TooFewClusters,

    /// <summary>ALLOW (non-inferiority): the candidate is no worse than the baseline by more than the margin.</summary>
    NonInferior,

    /// <summary>REJECT (non-inferiority): the candidate is worse than the baseline by more than the margin.</summary>
    Inferior,

    /// <summary>INCONCLUSIVE (watch): the stream ended (or every baseline item arrived) before the sequence decided.</summary>
    StreamEnded,
}
