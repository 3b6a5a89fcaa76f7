using System;
using System.Numerics;

namespace EvalSig.Core.Sequential;

/// <summary>
/// The betting confidence sequence for a mean in [-1, 1] (differences of scores in [0, 1]), after
/// Waudby-Smith and Ramdas (2024, JRSS-B, "Estimating means of bounded random variables by
/// betting"): observations are mapped to x = (y + 1) / 2 in [0, 1]; for each candidate mean m the
/// capital K+_t(m) = prod (1 + l+_i(m) (x_i - m)) bets that the mean is above m and
/// K-_t(m) = prod (1 - l-_i(m) (x_i - m)) that it is below; by Ville's inequality m is excluded from
/// below once K+ reaches 1/alpha (and from above once K- does). The bets are the predictable plug-in
/// l_t = sqrt(2 log(1/alpha) / (s2_{t-1} t log(t + 1))) (their eq. 26, one-sided), truncated at
/// c/m and c/(1 - m) with c = 1/2, where s2 and the mean estimate are regularised running moments
/// (1/4 + sum (x_i - mu_i)^2) / (t + 1) and (1/2 + sum x_i) / (t + 1). Exact at every t.
///
/// Work per observation is constant in t: the capital is kept on a fixed grid of candidate means (for
/// the reported interval, conservative to one grid step) plus the decision thresholds themselves (so
/// decisions are exact), updated with SIMD vectors and folded into logarithms every 32 observations.
/// Both capitals are monotone in m, so a bound is a binary search over the grid.
/// </summary>
internal sealed class BettingConfidenceSequence : ConfidenceSequence
{
    private const double C = 0.5;
    private const int FoldEvery = 32;

    private readonly int _grid;
    private readonly int _points;
    private readonly double[] _m;
    private readonly double[] _capPlus;
    private readonly double[] _capMinus;
    private readonly double[] _kPlus;
    private readonly double[] _kMinus;
    private readonly double[] _logPlus;
    private readonly double[] _logMinus;
    private readonly double[] _maxLogPlus;
    private readonly double[] _maxLogMinus;
    private readonly double _logLower;
    private readonly double _logUpper;
    private readonly double _lowerAlpha;
    private readonly double _upperAlpha;
    private long _t;
    private double _sumX;
    private double _sumSq;
    private double _mean;
    private double _m2;
    private int _pending;
    private double _lowerX;
    private double _upperX = 1;

    public BettingConfidenceSequence(double lowerAlpha, double upperAlpha, double[] thresholds, int gridSize = 400)
    {
        _lowerAlpha = lowerAlpha;
        _upperAlpha = upperAlpha;
        _logLower = Math.Log(1 / lowerAlpha);
        _logUpper = Math.Log(1 / upperAlpha);
        _grid = gridSize;
        var used = gridSize + thresholds.Length;
        var width = Vector<double>.Count;
        _points = (used + width - 1) / width * width;
        _m = new double[_points];
        for (var g = 0; g < gridSize; g++)
        {
            _m[g] = (g + 0.5) / gridSize;
        }

        for (var j = 0; j < thresholds.Length; j++)
        {
            // A threshold at the edge of [-1, 1] cannot be crossed from outside; keep it just inside.
            _m[gridSize + j] = Math.Clamp((thresholds[j] + 1) / 2, 1e-9, 1 - 1e-9);
        }

        for (var k = used; k < _points; k++)
        {
            _m[k] = 0.5;
        }

        _capPlus = new double[_points];
        _capMinus = new double[_points];
        for (var k = 0; k < _points; k++)
        {
            _capPlus[k] = C / _m[k];
            _capMinus[k] = C / (1 - _m[k]);
        }

        _kPlus = new double[_points];
        _kMinus = new double[_points];
        Array.Fill(_kPlus, 1.0);
        Array.Fill(_kMinus, 1.0);
        _logPlus = new double[_points];
        _logMinus = new double[_points];
        _maxLogPlus = new double[thresholds.Length];
        _maxLogMinus = new double[thresholds.Length];
    }

    public override long Count => _t;

    public override double Mean => _t == 0 ? double.NaN : _mean;

    public override double StdDev => _t < 2 ? double.NaN : Math.Sqrt(_m2 / (_t - 1));

    public override double Lower => _t == 0 ? -1 : (2 * _lowerX) - 1;

    public override double Upper => _t == 0 ? 1 : (2 * _upperX) - 1;

    public override void Add(double y)
    {
        if (!(y >= -1 && y <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(y), y, "the betting sequence needs differences in [-1, 1], i.e. scores in [0, 1]");
        }

        var x = (y + 1) / 2;
        _t++;

        // Welford on y, for the reported mean and standard deviation.
        var delta = y - _mean;
        _mean += delta / _t;
        _m2 += delta * (y - _mean);

        // Predictable bets: the variance estimate is the one from before this observation.
        var s2 = (0.25 + _sumSq) / _t;
        var denom = s2 * _t * Math.Log(_t + 1);
        var lambdaPlus = Math.Sqrt(2 * _logLower / denom);
        var lambdaMinus = Math.Sqrt(2 * _logUpper / denom);

        var xv = new Vector<double>(x);
        var lp = new Vector<double>(lambdaPlus);
        var lm = new Vector<double>(lambdaMinus);
        var one = Vector<double>.One;
        var width = Vector<double>.Count;
        var m = _m.AsSpan();
        var kp = _kPlus.AsSpan();
        var km = _kMinus.AsSpan();
        var cp = _capPlus.AsSpan();
        var cm = _capMinus.AsSpan();
        for (var k = 0; k < _points; k += width)
        {
            var mv = new Vector<double>(m.Slice(k, width));
            var diff = xv - mv;
            var bp = Vector.Min(lp, new Vector<double>(cp.Slice(k, width)));
            var bm = Vector.Min(lm, new Vector<double>(cm.Slice(k, width)));
            (new Vector<double>(kp.Slice(k, width)) * (one + (bp * diff))).CopyTo(kp.Slice(k, width));
            (new Vector<double>(km.Slice(k, width)) * (one - (bm * diff))).CopyTo(km.Slice(k, width));
        }

        _sumX += x;
        var muHat = (0.5 + _sumX) / (_t + 1);
        _sumSq += (x - muHat) * (x - muHat);

        if (++_pending == FoldEvery)
        {
            Fold();
        }

        for (var j = 0; j < _maxLogPlus.Length; j++)
        {
            var k = _grid + j;
            _maxLogPlus[j] = Math.Max(_maxLogPlus[j], _logPlus[k] + Math.Log(_kPlus[k]));
            _maxLogMinus[j] = Math.Max(_maxLogMinus[j], _logMinus[k] + Math.Log(_kMinus[k]));
        }

        // Running intersection of the intervals: the lower bound never falls, the upper never rises.
        // A threshold point is exact, so once it is excluded the bound is at least the threshold
        // (the grid alone would report it one step conservatively).
        _lowerX = Math.Max(_lowerX, LowerNow());
        _upperX = Math.Min(_upperX, UpperNow());
        for (var j = 0; j < _maxLogPlus.Length; j++)
        {
            if (_maxLogPlus[j] >= _logLower)
            {
                _lowerX = Math.Max(_lowerX, _m[_grid + j]);
            }

            if (_maxLogMinus[j] >= _logUpper)
            {
                _upperX = Math.Min(_upperX, _m[_grid + j]);
            }
        }
    }

    public override double PAbove(int threshold) => Math.Min(1, Math.Exp(-_maxLogPlus[threshold]));

    public override double PBelow(int threshold) => Math.Min(1, Math.Exp(-_maxLogMinus[threshold]));

    private double LogPlus(int k) => _logPlus[k] + Math.Log(_kPlus[k]);

    private double LogMinus(int k) => _logMinus[k] + Math.Log(_kMinus[k]);

    /// <summary>K+ falls as m rises: the bound is the last grid point still excluded (one step conservative).</summary>
    private double LowerNow()
    {
        int lo = 0, hi = _grid;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (LogPlus(mid) >= _logLower)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo == 0 ? 0 : _m[lo - 1];
    }

    /// <summary>K- rises with m: the bound is the first grid point excluded from above.</summary>
    private double UpperNow()
    {
        int lo = 0, hi = _grid;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (LogMinus(mid) >= _logUpper)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo == _grid ? 1 : _m[lo];
    }

    private void Fold()
    {
        for (var k = 0; k < _points; k++)
        {
            _logPlus[k] += Math.Log(_kPlus[k]);
            _logMinus[k] += Math.Log(_kMinus[k]);
            _kPlus[k] = 1;
            _kMinus[k] = 1;
        }

        _pending = 0;
    }

    internal double LowerAlpha => _lowerAlpha;

    internal double UpperAlpha => _upperAlpha;
}
