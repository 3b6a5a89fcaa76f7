using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EvalSig.Core.Tests.Fuzz;

/// <summary>
/// Seeded mutations of a valid input: blind byte-level ones (flips, overwrites, truncation,
/// insertion, chunk duplication and deletion) and structure-aware ones for text (swapped tokens,
/// huge or special numbers, deep nesting, bad UTF-8, other encodings, stray delimiters) and for
/// Parquet (the Thrift footer, its length, page headers). One <see cref="Random"/> per mutant, so a
/// (seed, index) pair names one mutant exactly.
/// </summary>
internal static class Mutator
{
    private static readonly string[] Numbers =
    [
        "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "-0", "NaN", "Infinity", "-Infinity",
        "0x10", "1.7976931348623157e309", "2147483648", "-2147483649", "9223372036854775808", "1e", "--1", "1..2", "0000001", ".5",
    ];

    private static readonly byte[][] BadUtf8 =
    [
        [0xC3, 0x28], [0xFF], [0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ];

    private static readonly string[] Tokens =
    [
        "\"", "\\", ",", "\n", "\r", "\0", "}", "]", "{", "[", ":", "null", "true", "\"\\ud800\"", "\"\\u0000\"", "\"\\uZZZZ\"",
        "\"item_id\":", "\"score\":", "\"items\":", "\"samples\":", "\"metadata\":{", "//", "/*", "\t", "\"\"", ",,", "\"a\"\"b\"", "\u2028",
    ];

    /// <summary>A deterministic random stream for mutant <paramref name="index"/> of <paramref name="seed"/>.</summary>
    public static Random For(int seed, string format, int index)
    {
        // FNV-1a over the three parts: stable across processes (string.GetHashCode is not).
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seed}/{format}/{index}")))
        {
            h = (h ^ b) * 16777619u;
        }

        return new Random((int)h);
    }

    /// <summary>One to three stacked mutations of a text input.</summary>
    public static byte[] MutateText(byte[] input, Random rng)
    {
        var data = input;
        var k = 1 + rng.Next(3);
        for (var i = 0; i < k; i++)
        {
            data = rng.Next(2) == 0 ? Blind(data, rng) : TextAware(data, rng);
        }

        return data;
    }

    /// <summary>One to three stacked mutations of a Parquet file.</summary>
    public static byte[] MutateParquet(byte[] input, Random rng)
    {
        var data = input;
        var k = 1 + rng.Next(3);
        for (var i = 0; i < k; i++)
        {
            data = rng.Next(2) == 0 ? Blind(data, rng) : ParquetAware(data, rng);
        }

        return data;
    }

    public static byte[] Blind(byte[] input, Random rng)
    {
        var d = input.ToList();
        if (d.Count == 0)
        {
            return [(byte)rng.Next(256)];
        }

        switch (rng.Next(7))
        {
            case 0: // bit flips
                for (var i = 1 + rng.Next(4); i > 0; i--)
                {
                    var p = rng.Next(d.Count);
                    d[p] ^= (byte)(1 << rng.Next(8));
                }

                break;
            case 1: // overwrite bytes
                {
                    var p = rng.Next(d.Count);
                    for (var i = 0; i < 1 + rng.Next(16) && p + i < d.Count; i++)
                    {
                        d[p + i] = (byte)rng.Next(256);
                    }

                    break;
                }

            case 2: // truncate
                return input.AsSpan(0, rng.Next(input.Length)).ToArray();
            case 3: // insert random bytes
                d.InsertRange(rng.Next(d.Count + 1), Enumerable.Range(0, 1 + rng.Next(32)).Select(_ => (byte)rng.Next(256)));
                break;
            case 4: // duplicate a chunk elsewhere
                {
                    var len = 1 + rng.Next(Math.Max(1, d.Count / 4));
                    var p = rng.Next(Math.Max(1, d.Count - len));
                    var chunk = d.Skip(p).Take(len).ToArray();
                    d.InsertRange(rng.Next(d.Count + 1), chunk);
                    break;
                }

            case 5: // delete a chunk
                {
                    var len = 1 + rng.Next(Math.Max(1, d.Count / 4));
                    var p = rng.Next(d.Count);
                    d.RemoveRange(p, Math.Min(len, d.Count - p));
                    break;
                }

            default: // interesting integers written over four bytes
                {
                    var p = rng.Next(d.Count);
                    var v = new[] { 0, -1, int.MaxValue, int.MinValue, 0x7FFF, 0xFFFF, 1 << 30 }[rng.Next(7)];
                    var bytes = BitConverter.GetBytes(v);
                    for (var i = 0; i < 4 && p + i < d.Count; i++)
                    {
                        d[p + i] = bytes[i];
                    }

                    break;
                }
        }

        return d.ToArray();
    }

    public static byte[] TextAware(byte[] input, Random rng)
    {
        var d = input.ToList();
        var at = rng.Next(d.Count + 1);
        switch (rng.Next(9))
        {
            case 0: // swap two tokens
                {
                    var tokens = TokenSpans(input);
                    if (tokens.Count < 2)
                    {
                        return Blind(input, rng);
                    }

                    var a = tokens[rng.Next(tokens.Count)];
                    var b = tokens[rng.Next(tokens.Count)];
                    if (a.Start > b.Start)
                    {
                        (a, b) = (b, a);
                    }

                    if (a.Start + a.Length > b.Start)
                    {
                        return Blind(input, rng);
                    }

                    var s = input;
                    return [.. s.AsSpan(0, a.Start), .. s.AsSpan(b.Start, b.Length), .. s.AsSpan(a.Start + a.Length, b.Start - a.Start - a.Length), .. s.AsSpan(a.Start, a.Length), .. s.AsSpan(b.Start + b.Length)];
                }

            case 1: // a number becomes huge, tiny or not a number
                {
                    var nums = TokenSpans(input).Where(t => char.IsAsciiDigit((char)input[t.Start]) || input[t.Start] == (byte)'-').ToList();
                    var n = Encoding.ASCII.GetBytes(Numbers[rng.Next(Numbers.Length)]);
                    if (nums.Count == 0)
                    {
                        d.InsertRange(at, n);
                        break;
                    }

                    var t = nums[rng.Next(nums.Count)];
                    return [.. input.AsSpan(0, t.Start), .. n, .. input.AsSpan(t.Start + t.Length)];
                }

            case 2: // deep nesting
                {
                    var depth = new[] { 65, 200, 5000, 100000 }[rng.Next(4)];
                    var open = rng.Next(3) switch { 0 => "[", 1 => "{\"a\":", _ => "[{\"x\":" };
                    d.InsertRange(at, Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(open, depth))));
                    break;
                }

            case 3: // bad UTF-8
                d.InsertRange(at, BadUtf8[rng.Next(BadUtf8.Length)]);
                break;
            case 4: // the whole file in another encoding, with or without its byte order mark
                {
                    var text = Encoding.UTF8.GetString(input);
                    Encoding e = rng.Next(4) switch
                    {
                        0 => new UnicodeEncoding(false, true),
                        1 => new UnicodeEncoding(true, true),
                        2 => new UTF32Encoding(false, true),
                        _ => new UTF32Encoding(true, true),
                    };
                    return rng.Next(3) == 0 ? e.GetBytes(text) : [.. e.GetPreamble(), .. e.GetBytes(text)];
                }

            case 5: // a stray token
                d.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[rng.Next(Tokens.Length)]));
                break;
            case 6: // a line duplicated or deleted
                {
                    var lines = LineSpans(input);
                    var l = lines[rng.Next(lines.Count)];
                    if (rng.Next(2) == 0)
                    {
                        return [.. input.AsSpan(0, l.Start), .. input.AsSpan(l.Start, l.Length), .. input.AsSpan(l.Start)];
                    }

                    return [.. input.AsSpan(0, l.Start), .. input.AsSpan(l.Start + l.Length)];
                }

            case 7: // a token replaced by a very long one
                d.InsertRange(at, Encoding.ASCII.GetBytes(new string('9', new[] { 400, 5000, 70000 }[rng.Next(3)])));
                break;
            default: // a byte order mark of another encoding in front of UTF-8 text
                {
                    byte[] bom = rng.Next(4) switch
                    {
                        0 => [0xFF, 0xFE],
                        1 => [0xFE, 0xFF],
                        2 => [0xFF, 0xFE, 0, 0],
                        _ => [0, 0, 0xFE, 0xFF],
                    };
                    return [.. bom, .. input];
                }
        }

        return d.ToArray();
    }

    public static byte[] ParquetAware(byte[] input, Random rng)
    {
        var d = (byte[])input.Clone();
        if (d.Length < 12)
        {
            return Blind(input, rng);
        }

        var footerLength = BitConverter.ToInt32(d, d.Length - 8);
        var footerStart = footerLength > 0 && footerLength < d.Length - 12 ? d.Length - 8 - footerLength : 4;
        switch (rng.Next(5))
        {
            case 0: // flips inside the Thrift footer
                for (var i = 1 + rng.Next(3); i > 0; i--)
                {
                    var p = footerStart + rng.Next(d.Length - 8 - footerStart);
                    d[p] ^= (byte)(1 << rng.Next(8));
                }

                return d;
            case 1: // a lying footer length
                {
                    var v = new[] { 0, -1, int.MaxValue, d.Length, d.Length - 7, footerLength + 1, footerLength - 1, rng.Next() }[rng.Next(8)];
                    BitConverter.GetBytes(v).CopyTo(d, d.Length - 8);
                    return d;
                }

            case 2: // a run of 0xFF (endless varints) in the footer
                {
                    var p = footerStart + rng.Next(d.Length - 8 - footerStart);
                    for (var i = 0; i < 1 + rng.Next(12) && p + i < d.Length - 8; i++)
                    {
                        d[p + i] = 0xFF;
                    }

                    return d;
                }

            case 3: // page header and data flips near the first column chunk
                for (var i = 1 + rng.Next(3); i > 0; i--)
                {
                    var p = 4 + rng.Next(Math.Min(256, footerStart - 4 > 0 ? footerStart - 4 : 1));
                    d[p] ^= (byte)(1 << rng.Next(8));
                }

                return d;
            default: // a byte in the footer set to an interesting value
                {
                    var p = footerStart + rng.Next(d.Length - 8 - footerStart);
                    d[p] = new byte[] { 0, 0x7F, 0x80, 0xFF, 0x15, 0x19, 0x1C, 0x0C }[rng.Next(8)];
                    return d;
                }
        }
    }

    /// <summary>Runs of bytes that are not JSON or CSV punctuation or white space.</summary>
    private static List<(int Start, int Length)> TokenSpans(byte[] s)
    {
        var list = new List<(int, int)>();
        var i = 0;
        while (i < s.Length)
        {
            if (IsDelimiter(s[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < s.Length && !IsDelimiter(s[i]))
            {
                i++;
            }

            list.Add((start, i - start));
        }

        return list;
    }

    private static bool IsDelimiter(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',' or (byte)':' or (byte)'{' or (byte)'}' or (byte)'[' or (byte)']';

    private static List<(int Start, int Length)> LineSpans(byte[] s)
    {
        var list = new List<(int, int)>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == (byte)'\n')
            {
                list.Add((start, i + 1 - start));
                start = i + 1;
            }
        }

        list.Add((start, s.Length - start));
        return list;
    }
}
