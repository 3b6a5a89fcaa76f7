using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 15, "a record can gain members": a ledger line must be byte for byte the canonical record
/// EvalSig writes, with exactly a record's members. Every other byte sequence - an extra member,
/// white space, another order, an escape or a number written differently - is an edit.
/// </summary>
public class StrictRecordTests
{
    private static readonly Lazy<string[]> Lines = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-strict-").FullName;
        try
        {
            var ledger = new LocalLedger(dir);
            AuditLog.Append(ledger, AuditLedgerTests.Key, Enumerable.Range(0, 5).Select(i => new AuditEntry("halluccheck.score.v1", "p1", $"{{\"score\":{i}.5,\"n\":100,\"note\":\"é / \\u001f \\\"q\\\"\",\"list\":[1,{{\"z\":null,\"a\":true}}]}}")).ToList(), true);
            return File.ReadAllLines(ledger.LedgerPath);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    });

    private static ChainVerification WithLine(int index, string line)
    {
        var lines = Lines.Value.ToArray();
        lines[index] = line;
        return ChainVerifier.Verify(lines.Select((l, i) => new LedgerLine(i, Encoding.UTF8.GetBytes(l))), AuditLedgerTests.Ring, wholeChain: true);
    }

    public static IEnumerable<object[]> ReEncodings()
    {
        // Each keeps the record's meaning (the same canonical form), but is not the line EvalSig wrote.
        yield return new object[] { "an extra top-level member", (Func<string, string>)(l => l.Replace(",\"payload\":", ",\"approved_by_cfo\":true,\"payload\":", StringComparison.Ordinal).Replace("approved_by_cfo", "key_idx", StringComparison.Ordinal)), "not part of a record" };
        yield return new object[] { "an extra member at the end", (Func<string, string>)(l => l[..^1] + ",\"zz\":1}"), "not part of a record" };
        yield return new object[] { "white space after a colon", (Func<string, string>)(l => l.Replace("\"schema_key\":", "\"schema_key\": ", StringComparison.Ordinal)), "white space" };
        yield return new object[] { "white space before a comma", (Func<string, string>)(l => l.Replace(",\"timestamp\"", " ,\"timestamp\"", StringComparison.Ordinal)), "white space" };
        yield return new object[] { "a trailing space", (Func<string, string>)(l => l + " "), "after the record's closing brace" };
        yield return new object[] { "a trailing carriage return", (Func<string, string>)(l => l + "\r"), "after the record's closing brace" };
        yield return new object[] { "a byte-order mark", (Func<string, string>)(l => "\uFEFF" + l), "not JSON" };
        yield return new object[] { "members out of order", (Func<string, string>)(l => SwapMembers(l, "\"project_id\":\"p1\"", "\"prev_hmac\":")), "prev_hmac" };
        yield return new object[] { "a \\u escape for a plain letter", (Func<string, string>)(l => l.Replace("\"score\":", "\"sc\\u006fre\":", StringComparison.Ordinal)), "escaped differently" };
        yield return new object[] { "an escaped solidus", (Func<string, string>)(l => l.Replace("é / ", "é \\/ ", StringComparison.Ordinal)), "escaped differently" };
        yield return new object[] { "an upper-case control escape", (Func<string, string>)(l => l.Replace("\\u001f", "\\u001F", StringComparison.Ordinal)), "escaped differently" };
        yield return new object[] { "a non-ASCII letter escaped", (Func<string, string>)(l => l.Replace("é", "\\u00e9", StringComparison.Ordinal)), "escaped differently" };
        yield return new object[] { "1E2 for 100", (Func<string, string>)(l => l.Replace("\"n\":100", "\"n\":1E2", StringComparison.Ordinal)), "not written as RFC 8785" };
        yield return new object[] { "100.0 for 100", (Func<string, string>)(l => l.Replace("\"n\":100", "\"n\":100.0", StringComparison.Ordinal)), "not written as RFC 8785" };
        yield return new object[] { "digits beyond double precision", (Func<string, string>)(l => l.Replace(".5}", ".50000000000000001}", StringComparison.Ordinal)), "not written as RFC 8785" };
        yield return new object[] { "a trailing zero", (Func<string, string>)(l => l.Replace(".5}", ".50}", StringComparison.Ordinal)), "not written as RFC 8785" };
        yield return new object[] { "a duplicated payload member", (Func<string, string>)(l => l.Replace("\"n\":100,", "\"n\":100,\"n\":100,", StringComparison.Ordinal)), "twice" };
        yield return new object[] { "a duplicated top-level member", (Func<string, string>)(l => l.Replace(",\"key_id\":", ",\"hmac\":\"x\",\"key_id\":", StringComparison.Ordinal)), "order" };
        yield return new object[] { "the version member dropped", (Func<string, string>)(l => l.Replace(",\"version\":2", string.Empty, StringComparison.Ordinal)), "HMAC mismatch" };
        yield return new object[] { "chain_position as 1.0", (Func<string, string>)(l => l.Replace("{\"chain_position\":2,", "{\"chain_position\":2.0,", StringComparison.Ordinal)), "RFC 8785" };
    }

    [Theory]
    [MemberData(nameof(ReEncodings))]
    public void AReEncodedOrExtendedLine_IsTampered_AtItsPosition(string what, Func<string, string> edit, string reason)
    {
        var original = Lines.Value[2];
        var edited = edit(original);
        Assert.True(original != edited, what + ": the edit changed nothing");
        var v = WithLine(2, edited);
        Assert.False(v.Valid, what);
        Assert.Equal(2, v.FirstTampered!.Position);
        Assert.Contains(reason, v.FirstTampered.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AHundredRandomExtraMembers_AreAllDetected()
    {
        var random = new Random(15);
        var detected = 0;
        for (var trial = 0; trial < 100; trial++)
        {
            var index = random.Next(Lines.Value.Length);
            var line = Lines.Value[index];
            var name = new string(Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray());
            var value = random.Next(3) switch { 0 => "\"CFO\"", 1 => random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture), _ => "true" };
            var commas = Enumerable.Range(0, line.Length).Where(i => line[i] == ',' && Depth(line, i) == 1).ToList();
            var at = commas[random.Next(commas.Count)];
            var edited = line[..at] + ",\"" + name + "\":" + value + line[at..];
            detected += WithLine(index, edited) is { Valid: false } v && v.FirstTampered!.Position == index ? 1 : 0;
        }

        Assert.Equal(100, detected); // before: 0 of 100
    }

    [Fact]
    public void TheProjectsOwnLines_AreCanonical_AndVerify()
    {
        var v = ChainVerifier.Verify(Lines.Value.Select((l, i) => new LedgerLine(i, Encoding.UTF8.GetBytes(l))), AuditLedgerTests.Ring, wholeChain: true);
        Assert.True(v.Valid, v.Reason);
        Assert.All(Lines.Value, l => Assert.True(LineFields.TryRead(Encoding.UTF8.GetBytes(l), out _, out var problem), problem));
    }

    private static string SwapMembers(string line, string a, string bStart)
    {
        var ia = line.IndexOf(a, StringComparison.Ordinal);
        var ib = line.IndexOf(bStart, StringComparison.Ordinal);
        var bEnd = line.IndexOf(',', ib);
        var b = line[ib..bEnd];
        return line[..ib] + a + line[bEnd..ia] + b + line[(ia + a.Length)..];
    }

    private static int Depth(string s, int at)
    {
        var depth = 0;
        var inString = false;
        for (var i = 0; i < at; i++)
        {
            if (s[i] == '\\' && inString)
            {
                i++;
            }
            else if (s[i] == '"')
            {
                inString = !inString;
            }
            else if (!inString && s[i] is '{' or '[')
            {
                depth++;
            }
            else if (!inString && s[i] is '}' or ']')
            {
                depth--;
            }
        }

        return depth;
    }
}
