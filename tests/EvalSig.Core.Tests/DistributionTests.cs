using System;
using System.Linq;
using System.Numerics;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class DistributionTests
{
    [Theory]
    [InlineData(0.975)]
    [InlineData(0.95)]
    [InlineData(0.8)]
    [InlineData(0.999)]
    [InlineData(0.0001)]
    public void StudentTQuantile_MatchesClosedForms_ForOneAndTwoDf(double p)
    {
        // df = 1 is Cauchy: tan(pi (p - 1/2)); df = 2: (2p - 1) / sqrt(2 p (1 - p)).
        // (tan near -pi/2 itself carries ~5e-13 relative error at p = 1e-4.)
        Near(Math.Tan(Math.PI * (p - 0.5)), Distributions.StudentTQuantile(p, 1), 1e-12);
        Near((2 * p - 1) / Math.Sqrt(2 * p * (1 - p)), Distributions.StudentTQuantile(p, 2), 1e-12);
    }

    [Fact]
    public void StudentTUpperTail_AtDf39_MatchesANumericalIntegralOfTheDensity()
    {
        // Simpson's rule on the t(39) density: an independent check of the tail that sets the
        // 0.975 quantile (where scipy 1.10's t.ppf is off by 4e-9).
        const double Df = 39;
        var logNorm = MathNet.Numerics.SpecialFunctions.GammaLn((Df + 1) / 2) - MathNet.Numerics.SpecialFunctions.GammaLn(Df / 2) - 0.5 * Math.Log(Df * Math.PI);
        double Pdf(double x) => Math.Exp(logNorm - ((Df + 1) / 2 * Math.Log(1 + (x * x / Df))));
        var t = 2.0226909200346674;
        const int N = 200_000;
        var b = t + 60;
        var h = (b - t) / N;
        var s = Pdf(t) + Pdf(b);
        for (var i = 1; i < N; i++)
        {
            s += (i % 2 == 1 ? 4 : 2) * Pdf(t + (i * h));
        }

        var integral = s * h / 3;
        Near(integral, Distributions.StudentTUpper(t, Df), 1e-11);
        Near(t, Distributions.StudentTQuantile(0.975, Df), 1e-11);
    }

    [Fact]
    public void StudentTCdf_LargeDf_MatchesTheNormalWithItsFirstOrderCorrection()
    {
        // P(T <= -x) = Phi(-x) + phi(x) (x^3 + x) / (4 df) + O(1/df^2): at df = 1e6 (a million
        // pairs) the O(1/df^2) term is below 1e-9 relative.
        const double X = 3, Df = 1e6;
        var phi = Math.Exp(-X * X / 2) / Math.Sqrt(2 * Math.PI);
        var expected = MathNet.Numerics.Distributions.Normal.CDF(0, 1, -X) + (phi * (X * X * X + X) / (4 * Df));
        Near(expected, Distributions.StudentTCdf(-X, Df), 1e-9);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(3, 10)]
    [InlineData(30, 77)]
    [InlineData(480, 1000)]
    [InlineData(3000, 9000)]
    public void BinomialHalfCdf_IsExact_AgainstRationalArithmetic(long k, long n)
    {
        BigInteger sum = 0, term = 1;
        for (long i = 0; i <= k; i++)
        {
            if (i > 0)
            {
                term = term * (n - i + 1) / i;
            }

            sum += term;
        }

        var exact = Math.Exp(BigInteger.Log(sum) - n * Math.Log(2));
        Near(exact, Distributions.BinomialHalfCdf(k, n), 1e-10);
    }

    [Theory]
    [InlineData(49_000L, 100_000L)]
    [InlineData(20_000L, 50_000L)]
    [InlineData(24_700L, 50_000L)]
    public void BinomialHalfCdf_LargeN_IsExact_AgainstRationalArithmetic(long k, long n)
    {
        // Above 10,000 trials the log-space path is used; exact big-integer sums check it.
        BinomialHalfCdf_IsExact_AgainstRationalArithmetic(k, n);
    }

    [Fact]
    public void BinomialHalfCdf_IsSymmetric()
    {
        for (var k = 0; k <= 20; k++)
        {
            Near(1 - Distributions.BinomialHalfCdf(k, 20), Distributions.BinomialHalfCdf(19 - k, 20), 1e-14);
        }
    }

    [Fact]
    public void Summation_Mean_IsExactWhereNaiveSummationDrifts()
    {
        var values = Enumerable.Repeat(0.1, 1_000_000).ToArray();
        Assert.Equal(0.1, Summation.Mean(values));
    }

    private static void Near(double expected, double actual, double rel)
    {
        var err = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(err <= rel, $"expected {expected:R}, got {actual:R} (relative error {err:E2})");
    }
}
