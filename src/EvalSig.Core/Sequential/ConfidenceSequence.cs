namespace EvalSig.Core.Sequential;

/// <summary>
/// An anytime-valid confidence sequence for the mean of a stream of observations, updated in constant
/// time per observation. Each bound is one-sided at its own level; the p-values are anytime-valid
/// (the smallest level at which the running bound has excluded the value so far).
/// </summary>
internal abstract class ConfidenceSequence
{
    public abstract long Count { get; }

    public abstract double Mean { get; }

    /// <summary>The sample standard deviation of the observations (NaN below 2).</summary>
    public abstract double StdDev { get; }

    /// <summary>Running (intersected) lower bound at level LowerAlpha; -infinity until defined.</summary>
    public abstract double Lower { get; }

    /// <summary>Running (intersected) upper bound at level UpperAlpha; +infinity until defined.</summary>
    public abstract double Upper { get; }

    public abstract void Add(double y);

    /// <summary>Anytime p-value for "mean &lt;= threshold" (small when the stream shows the mean is above it).</summary>
    public abstract double PAbove(int threshold);

    /// <summary>Anytime p-value for "mean &gt;= threshold".</summary>
    public abstract double PBelow(int threshold);
}
