using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace EvalSig.Bridge;

/// <summary>The special functions EvalSig takes from MathNet.Numerics, behind base-library signatures.</summary>
public static class SpecialMath
{
    /// <summary>ln Gamma(x).</summary>
    public static double GammaLn(double x) => SpecialFunctions.GammaLn(x);

    /// <summary>Density of Student t with <paramref name="df"/> degrees of freedom at <paramref name="t"/>.</summary>
    public static double StudentTPdf(double t, double df) => StudentT.PDF(0, 1, df, t);

    /// <summary>The complementary error function, accurate in the far tail.</summary>
    public static double Erfc(double x) => SpecialFunctions.Erfc(x);

    /// <summary>P(Z &lt;= z) for the standard normal.</summary>
    public static double NormalCdf(double z) => Normal.CDF(0, 1, z);

    /// <summary>The p-quantile of the standard normal.</summary>
    public static double NormalQuantile(double p) => Normal.InvCDF(0, 1, p);
}
