namespace EvalSig.Core.Gating;

/// <summary>The gate's decision; exit codes ALLOW 0, REJECT 1, INCONCLUSIVE 2 (as EVALSIG).</summary>
public enum GateVerdict
{
    ALLOW = 0,
    REJECT = 1,
    INCONCLUSIVE = 2,
}

/// <summary>Which question the gate answers.</summary>
public enum GateDecision
{
    /// <summary>Is the candidate better by at least MinDelta? (EVALSIG's rules.)</summary>
    Superiority,

    /// <summary>Is the candidate no worse than the baseline by more than Margin?</summary>
    NonInferiority,
}

/// <summary>Inference methods; <see cref="Auto"/> picks one from the data.</summary>
public enum InferenceMethod
{
    Auto,
    PairedT,
    ClusteredT,
    McNemarExact,
    PairedBootstrap,
    PairedPermutation,
    ClusterBootstrap,

    /// <summary>Unpaired: Welch's t on two independent samples (runs that share no items).</summary>
    WelchT,

    /// <summary>Unpaired: Newcombe's hybrid score (Wilson) interval for a difference of proportions, 0/1 scores.</summary>
    Newcombe,
    /// <summary>CR2 (Bell-McCaffrey) cluster-robust se with Satterthwaite degrees of freedom, as R's clubSandwich.</summary>
    ClusteredCr2,

    /// <summary>Wild cluster bootstrap-t with the null imposed; exact enumeration when G is small.</summary>
    WildClusterBootstrap,
}
