using System;

namespace EvalSig.Core.Sequential;

/// <summary>
/// The asymptotic confidence sequence: Robbins' normal mixture applied to the running mean with a
/// plug-in standard deviation (Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas 2024, "Time-uniform
/// central limit theory and asymptotic confidence sequences", Thm 2.2), one-sided per bound with the
/// closed-form one-sided normal-mixture boundary of Howard, Ramdas, McAuliffe and Sekhon (2021, AoS,
/// eq. 14): with V = t and mixture precision rho^2,
///   |mean_t - mu| &lt;= sd_t * sqrt( 2 (t rho^2 + 1) / (t^2 rho^2) * log( sqrt(t rho^2 + 1) / (2 alpha) + 1 ) ).
/// rho^2 = (-2 log(2 alpha) + log(-2 log(2 alpha) + 1)) / t* makes the bound tightest near t = t*
/// (Waudby-Smith et al., eq. 10, two-sided level 2 alpha). O(1) per observation (Welford's running
/// mean and variance). The guarantee is asymptotic, so no bound is formed before a burn-in.
/// </summary>
internal sealed class AsymptoticConfidenceSequence : ConfidenceSequence
{
    private readonly double _lowerAlpha;
    private readonly double _upperAlpha;
    private readonly double _rho2;
    private readonly long _burnIn;
    private readonly double[] _thresholds;
    private readonly double[] _pAbove;
    private readonly double[] _pBelow;
    private long _n;
    private double _mean;
    private double _m2;
    private double _lower = double.NegativeInfinity;
    private double _upper = double.PositiveInfinity;

    public AsymptoticConfidenceSequence(double lowerAlpha, double upperAlpha, double plannedCount, long burnIn, double[] thresholds)
    {
        _lowerAlpha = lowerAlpha;
        _upperAlpha = upperAlpha;
        var a2 = 2 * Math.Min(lowerAlpha, upperAlpha);
        var l = -2 * Math.Log(a2);
        _rho2 = (l + Math.Log(l + 1)) / Math.Max(plannedCount, 1);
        _burnIn = Math.Max(2, burnIn);
        _thresholds = thresholds;
        _pAbove = new double[thresholds.Length];
        _pBelow = new double[thresholds.Length];
        Array.Fill(_pAbove, 1.0);
        Array.Fill(_pBelow, 1.0);
    }

    public override long Count => _n;

    public override double Mean => _n == 0 ? double.NaN : _mean;

    public override double StdDev => _n < 2 ? double.NaN : Math.Sqrt(_m2 / (_n - 1));

    public override double Lower => _lower;

    public override double Upper => _upper;

    public override void Add(double y)
    {
        if (!double.IsFinite(y))
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, "observations must be finite");
        }

        _n++;
        var delta = y - _mean;
        _mean += delta / _n;
        _m2 += delta * (y - _mean);
        if (_n < _burnIn)
        {
            return;
        }

        var sd = StdDev;
        if (!(sd > 0))
        {
            // A zero variance estimate is not certainty: no bound until the data vary.
            return;
        }

        var t = (double)_n;
        var scale = 2 * ((t * _rho2) + 1) / (t * t * _rho2);
        var root = Math.Sqrt((t * _rho2) + 1);
        _lower = Math.Max(_lower, _mean - (sd * Math.Sqrt(scale * Math.Log((root / (2 * _lowerAlpha)) + 1))));
        _upper = Math.Min(_upper, _mean + (sd * Math.Sqrt(scale * Math.Log((root / (2 * _upperAlpha)) + 1))));
        for (var i = 0; i < _thresholds.Length; i++)
        {
            // Inverting the boundary: the level alpha at which mean_t - threshold equals the half-width.
            var gap = _mean - _thresholds[i];
            var z = gap * gap / (sd * sd * scale);
            var level = Math.Min(1, root / (2 * double.ExpM1(z)));
            if (gap > 0)
            {
                _pAbove[i] = Math.Min(_pAbove[i], level);
            }
            else if (gap < 0)
            {
                _pBelow[i] = Math.Min(_pBelow[i], level);
            }
        }
    }

    public override double PAbove(int threshold) => _pAbove[threshold];

    public override double PBelow(int threshold) => _pBelow[threshold];
}
