using System;
using System.Linq;
using EvalSig.Core.RunFrames;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Issue 16: large column arrays are advised for 2 MB pages. The advice must never change what they hold.</summary>
public class LargeArraysTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(1 << 20)] // 8 MB of doubles: advised
    [InlineData((3 << 20) + 7)] // not a whole number of 2 MB pages
    public void New_IsZeroed_AndResize_KeepsEveryValue(int length)
    {
        var a = LargeArrays.New<double>(length);
        Assert.Equal(length, a.Length);
        Assert.True(a.All(x => x == 0));
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = i;
        }

        LargeArrays.Resize(ref a, length * 2);
        Assert.Equal(length * 2, a.Length);
        for (var i = 0; i < length; i++)
        {
            Assert.Equal(i, a[i]);
        }

        Assert.True(a.AsSpan(length).ToArray().All(x => x == 0));
        LargeArrays.Resize(ref a, length / 2);
        Assert.Equal(length / 2, a.Length);
        Assert.Equal(Math.Max(0, (length / 2) - 1), a.Length == 0 ? 0 : a[^1]);
    }

    [Fact]
    public void AdvisedColumns_ReadBackAsWritten_ThroughAWholeMillionItemFrame()
    {
        var ids = Enumerable.Range(0, 1_000_000).Select(i => "q" + i.ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var scores = Enumerable.Range(0, ids.Length).Select(i => (i % 97) / 97.0).ToArray();
        var b = new RunFrameBuilder("mem");
        b.Reserve(ids.Length, ids.Length * 8L);
        for (var i = 0; i < ids.Length; i++)
        {
            b.AddUtf8(System.Text.Encoding.ASCII.GetBytes(ids[i]), scores[i], -1, i % 3, default);
        }

        b.Header = new RunFrameHeader("r", "m", "t", "a", null, null, null);
        var f = b.Build();
        Assert.Equal(ids.Length, f.Count);
        Assert.Equal(scores, f.Scores);
        Assert.Equal("q0999999", f.ItemIds[^1]);
        Assert.Equal(new[] { 999_997 % 3, 999_998 % 3, 999_999 % 3 }, new[] { f.ItemEpochs[999_997], f.ItemEpochs[999_998], f.ItemEpochs[999_999] });
    }
}
