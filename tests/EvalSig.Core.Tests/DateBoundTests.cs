using System;
using EvalSig.Core.Audit;
using EvalSig.Core.Time;
using Xunit;

namespace EvalSig.Core.Tests;

public class DateBoundTests
{
    [Fact]
    public void PlainDate_AsUpperBound_IncludesTheWholeUtcDay()
    {
        Assert.True(DateBound.TryParseUpper("2026-06-30", out var end));
        var nextMidnight = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(nextMidnight.AddTicks(-1), end);
        Assert.Equal(TimeSpan.Zero, end.Offset);
        Assert.Equal("2026-06-30T23:59:59.999999Z", IsoTime.Format(end));

        // Inclusive comparison against the stored bound is the exclusive comparison against next midnight.
        var q = new AuditQuery { To = end };
        Assert.True(new DateTimeOffset(2026, 6, 30, 23, 59, 59, 999, TimeSpan.Zero).AddTicks(9999) <= q.To);
        Assert.False(nextMidnight <= q.To);
    }

    [Fact]
    public void PlainDate_AsLowerBound_StartsAtUtcMidnight()
    {
        Assert.True(DateBound.TryParseLower("2026-06-30", out var start));
        Assert.Equal(new DateTimeOffset(2026, 6, 30, 0, 0, 0, TimeSpan.Zero), start);
    }

    [Theory]
    [InlineData("2026-06-30T00:00:00Z", "2026-06-30T00:00:00.000000Z")]
    [InlineData("2026-06-30T12:00:00", "2026-06-30T12:00:00.000000Z")]
    [InlineData("2026-06-30T18:00:00+02:00", "2026-06-30T16:00:00.000000Z")]
    public void BoundWithATimeOfDay_IsExact_AndNeverWidened(string text, string expected)
    {
        Assert.True(DateBound.TryParseUpper(text, out var upper));
        Assert.Equal(expected, IsoTime.Format(upper));
        Assert.True(DateBound.TryParseLower(text, out var lower));
        Assert.Equal(upper, lower);
    }

    [Fact]
    public void Objects_DateOnlyIsAWholeDay_DateTimeIsExact()
    {
        Assert.True(DateBound.TryConvert(new DateOnly(2026, 6, 30), upper: true, out var d));
        Assert.Equal(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-1), d);
        Assert.True(DateBound.TryConvert(new DateTime(2026, 6, 30), upper: true, out var dt));
        Assert.Equal(new DateTimeOffset(2026, 6, 30, 0, 0, 0, TimeSpan.Zero), dt);
        Assert.True(DateBound.TryConvert(null, upper: true, out var none));
        Assert.Null(none);
        Assert.False(DateBound.TryConvert("someday", upper: true, out _));
        Assert.False(DateBound.TryConvert(42, upper: false, out _));
    }

    [Fact]
    public void WindowThatEndsBeforeItStarts_IsRefusedWithoutCmdletSyntax()
    {
        var ex = Assert.Throws<Diagnostics.EvalSigException>(() => new AuditQuery { From = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero) }.Validate());
        Assert.DoesNotContain("-From", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("-To", ex.Message, StringComparison.Ordinal);
    }
}
