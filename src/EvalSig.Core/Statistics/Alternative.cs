namespace EvalSig.Core.Statistics;

/// <summary>The alternative hypothesis about delta = mean(candidate - baseline).</summary>
public enum Alternative
{
    /// <summary>H1: delta &gt; 0 (the candidate is better). The gate's default, as in EVALSIG.</summary>
    Greater,

    /// <summary>H1: delta != 0.</summary>
    TwoSided,
}
