namespace EvalSig.Core.Sequential;

/// <summary>The anytime-valid confidence sequence a watch uses.</summary>
public enum SequenceKind
{
    /// <summary>
    /// Robbins' normal-mixture boundary (Howard, Ramdas, McAuliffe and Sekhon 2021) with a plug-in
    /// variance: the asymptotic confidence sequence (Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas
    /// 2024). Any scores; valid as n grows, so decisions wait for a burn-in.
    /// </summary>
    Asymptotic,

    /// <summary>
    /// The hedged betting confidence sequence for bounded means (Waudby-Smith and Ramdas, JRSS-B
    /// 2024): exact at every n, no asymptotics, for scores in [0, 1].
    /// </summary>
    Betting,
}
