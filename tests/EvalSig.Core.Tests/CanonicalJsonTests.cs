using System.Text;
using EvalSig.Core.Json;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>RFC 8785 (JCS) examples.</summary>
public class CanonicalJsonTests
{
    [Fact]
    public void Rfc8785_Section3_2_3_Example()
    {
        const string Input = "{\"numbers\":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\"literals\":[null,true,false]}";
        const string Expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        Assert.Equal(Expected, Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Input)));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(123456789012345680000.0, "123456789012345680000")]
    [InlineData(1e-6, "0.000001")]
    [InlineData(1e-7, "1e-7")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(9007199254740992.0, "9007199254740992")]
    [InlineData(0.1, "0.1")]
    [InlineData(295147905179352830000.0, "295147905179352830000")]
    public void Numbers_FormatAsEcmaScript(double value, string expected)
        => Assert.Equal(expected, CanonicalJson.FormatNumber(value));

    [Fact]
    public void Members_SortByUtf16CodeUnits()
    {
        // RFC 8785 3.2.3: "\u20ac" (Euro) sorts before "\ud83d\ude00" (emoji surrogates) and after "\r".
        var input = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
        var canonical = Encoding.UTF8.GetString(CanonicalJson.Canonicalize(input));
        Assert.Equal("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}", canonical);
    }
}
