using System;
using System.Globalization;
using System.Text;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Text;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 16: the readers parse plain decimal scores on a fast path. It must give the very bits the general
/// parser gives, and hand everything else back to it.
/// </summary>
public class Utf8NumbersTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("0.75")]
    [InlineData("0.1")]
    [InlineData("0.3")]
    [InlineData("0.5870587362227104")]
    [InlineData("-12.5")]
    [InlineData("9007199254740992")] // 2^53: the largest integer on the fast path
    [InlineData("0.000000000000000001")] // 19 digits in all: the most the fast path reads
    [InlineData("123456789.123456")]
    [InlineData("007")] // CSV allows leading zeros; the value is the same
    public void APlainDecimal_TakesTheFastPath_AndGivesTheBitsOfDoubleParse(string text)
    {
        Assert.True(Utf8Numbers.TryParsePlainDouble(Encoding.ASCII.GetBytes(text), out var v));
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(v));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("1e5")]
    [InlineData("1E-5")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1.2.3")]
    [InlineData("NaN")]
    [InlineData("9007199254740993")] // 2^53 + 1: not exact as a double
    [InlineData("0.59870587362227104")] // 17 digits above 2^53
    [InlineData("12345678901234567890")] // 20 digits
    [InlineData("0.00000000000000000000001")] // 23 fraction digits
    public void AnythingElse_IsLeftToTheGeneralParser(string text)
        => Assert.False(Utf8Numbers.TryParsePlainDouble(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void RandomScores_AsEvaluationToolsWriteThem_ParseToTheSameBits()
    {
        var rng = new Random(16);
        var fast = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var x = (i % 4) switch
            {
                0 => rng.NextDouble(),
                1 => Math.Round(rng.NextDouble(), rng.Next(0, 6)),
                2 => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-8, 12)),
                _ => rng.Next(0, 2),
            };
            foreach (var format in new[] { "R", "G17", "F6", "G" })
            {
                var text = x.ToString(format, CultureInfo.InvariantCulture);
                if (Utf8Numbers.TryParsePlainDouble(Encoding.ASCII.GetBytes(text), out var v))
                {
                    fast++;
                    Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(v));
                }
            }
        }

        Assert.True(fast > 400_000, $"only {fast} of 800,000 texts took the fast path");
    }

    [Theory]
    [InlineData("0", true, 0)]
    [InlineData("7", true, 7)]
    [InlineData("12", false, 0)]
    [InlineData("-1", false, 0)]
    [InlineData("", false, 0)]
    [InlineData("a", false, 0)]
    public void TryParseDigit_TakesOneDecimalDigit_AndNothingElse(string text, bool taken, int value)
    {
        Assert.Equal(taken, Utf8Numbers.TryParseDigit(Encoding.ASCII.GetBytes(text), out var v));
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("1e-3", 0.001)]
    [InlineData("0.59870587362227104", 0.59870587362227104)]
    [InlineData("-0", -0.0)]
    public void EveryReader_ReadsFastAndGeneralScores_AsTheGeneralParserDoes(string score, double expected)
    {
        var json = RunFrameFile.ReadText("{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[{\"item_id\":\"a\",\"score\":" + score + "},{\"item_id\":\"b\",\"score\":0.25}]}");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(json.Scores[0]));
        Assert.Equal(0.25, json.Scores[1]);

        var jsonl = ReadFile(".jsonl", "{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"item_id\":\"a\",\"score\":" + score + "}\n");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(jsonl.Scores[0]));

        var csv = ReadFile(".csv", "run_id,model_id,task_id,metric_name,item_id,score\nr,m,t,a,a," + score + "\n");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(csv.Scores[0]));
    }

    private static RunFrame ReadFile(string extension, string text)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "evalsig-utf8double-" + Guid.NewGuid().ToString("N") + extension);
        System.IO.File.WriteAllText(path, text);
        try
        {
            return RunFrameFile.Read(path);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}
