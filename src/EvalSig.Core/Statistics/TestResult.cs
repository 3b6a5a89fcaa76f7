namespace EvalSig.Core.Statistics;

/// <summary>
/// One method's inference on paired differences. <see cref="OneSidedLower"/> is the lower end
/// of the one-sided (1 - alpha) interval whatever the alternative (non-inferiority uses it), and
/// <see cref="OneSidedUpper"/> the upper end of the other one-sided (1 - alpha) interval (below zero
/// means a significant regression). Undefined quantities are NaN in memory and null on the wire.
/// </summary>
internal sealed record TestResult(
    double Delta,
    double Se,
    double Df,
    double Statistic,
    double PValue,
    double CiLower,
    double CiUpper,
    double OneSidedLower,
    double OneSidedUpper);
