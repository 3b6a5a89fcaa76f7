using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EvalSig.Core.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by their UTF-16 code units,
/// no insignificant white space, strings escaped only where JSON requires (\b \t \n \f \r, other
/// controls as \u00xx, quote and backslash), numbers as ECMAScript's Number.prototype.toString.
/// What JCS cannot represent is refused with a FormatException, never changed silently: duplicate
/// member names, strings with a lone UTF-16 surrogate, and numbers an IEEE double cannot hold
/// exactly (1e999, 1e-400, 1234567890123456789 - I-JSON, RFC 7493 section 2.2).
/// </summary>
public static class CanonicalJson
{
    public static byte[] Canonicalize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, element);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Canonical bytes of JSON text; FormatException when JCS cannot represent it, JsonException when it is not JSON.</summary>
    public static byte[] Canonicalize(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Canonicalize(doc.RootElement);
    }

    public static void Write(IBufferWriter<byte> output, JsonElement e)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<JsonProperty>();
                foreach (var p in e.EnumerateObject())
                {
                    members.Add(p);
                    _ = Text(() => p.Name, "a member name");
                }

                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                Raw(output, "{"u8);
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        Raw(output, ","u8);
                    }

                    if (i > 0 && members[i].Name == members[i - 1].Name)
                    {
                        throw new FormatException($"duplicate member '{members[i].Name}': not canonicalizable (RFC 8785 requires unique names)");
                    }

                    WriteString(output, members[i].Name);
                    Raw(output, ":"u8);
                    Write(output, members[i].Value);
                }

                Raw(output, "}"u8);
                break;
            case JsonValueKind.Array:
                Raw(output, "["u8);
                var first = true;
                foreach (var x in e.EnumerateArray())
                {
                    if (!first)
                    {
                        Raw(output, ","u8);
                    }

                    first = false;
                    Write(output, x);
                }

                Raw(output, "]"u8);
                break;
            case JsonValueKind.String:
                WriteString(output, Text(e.GetString, "a string")!);
                break;
            case JsonValueKind.Number:
                Raw(output, Encoding.ASCII.GetBytes(FormatNumber(ExactDouble(e.GetRawText()))));
                break;
            case JsonValueKind.True:
                Raw(output, "true"u8);
                break;
            case JsonValueKind.False:
                Raw(output, "false"u8);
                break;
            default:
                Raw(output, "null"u8);
                break;
        }
    }

    /// <summary>
    /// The double a JSON number denotes, refusing what a double cannot hold (I-JSON, RFC 7493
    /// section 2.2), instead of changing it silently: values out of range (1e999 overflows; 1e-400
    /// underflows to 0), more than 17 significant digits (more than any double carries), and integers
    /// beyond 2^53 that are not what their double prints (9007199254740993 would become ...992,
    /// 1234567890123456789 ...800). Decimal fractions of up to 17 significant digits denote their nearest double, as RFC
    /// 8785's own example "333333333.33333329" does. Keeping refused numbers as exact decimal text is
    /// not an option: RFC 8785 defines the canonical form of a number through its double.
    /// </summary>
    public static double ExactDouble(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
        {
            throw new FormatException($"the number {Short(text)} is outside the range of an IEEE double (I-JSON, RFC 7493): send it as a string");
        }

        if (DecimalValue(text) is not { } v)
        {
            throw new FormatException($"the number {Short(text)} is outside the range of an IEEE double (I-JSON, RFC 7493): send it as a string");
        }

        if (v.Digits.Length == 0)
        {
            return 0; // any zero, "-0" included, is 0
        }

        if (d == 0)
        {
            throw new FormatException($"the number {Short(text)} is too small for an IEEE double and would become 0 (I-JSON, RFC 7493): send it as a string");
        }

        if (v.Digits.Length > 17)
        {
            throw new FormatException($"the number {Short(text)} has {v.Digits.Length} significant digits, more than an IEEE double holds (it would become {FormatNumber(d)}; I-JSON, RFC 7493): send it as a string, or round it");
        }

        // An integer past 2^53 must be the one the double prints as (1E30 is; 9007199254740993 is not).
        if (v.Exponent >= 0 && Math.Abs(d) >= 9007199254740992.0 && DecimalValue(d.ToString("R", CultureInfo.InvariantCulture)) != v)
        {
            throw new FormatException($"the integer {Short(text)} is beyond 2^53 and an IEEE double cannot hold it exactly (it would become {FormatNumber(d)}; I-JSON, RFC 7493): send it as a string");
        }

        return d;
    }

    /// <summary>A JSON number's decimal value as (negative, significant digits, exponent of the last digit); null if it cannot be read.</summary>
    private static (bool Negative, string Digits, long Exponent)? DecimalValue(string text)
    {
        var s = text.AsSpan();
        var negative = s.Length > 0 && s[0] == '-';
        if (negative)
        {
            s = s[1..];
        }

        long exponent = 0;
        var e = s.IndexOfAny('e', 'E');
        if (e >= 0)
        {
            if (!long.TryParse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent) || Math.Abs(exponent) > 100_000)
            {
                return null;
            }

            s = s[..e];
        }

        var dot = s.IndexOf('.');
        var digits = dot >= 0 ? string.Concat(s[..dot], s[(dot + 1)..]) : s.ToString();
        if (dot >= 0)
        {
            exponent -= s.Length - dot - 1;
        }

        var trimmed = digits.TrimStart('0');
        var significant = trimmed.TrimEnd('0');
        exponent += trimmed.Length - significant.Length;
        return significant.Length == 0 ? (false, string.Empty, 0) : (negative, significant, exponent);
    }

    private static string Short(string text) => text.Length <= 40 ? text : text[..37] + "...";

    /// <summary>A string or member name; a lone surrogate (not Unicode text) is refused by name.</summary>
    private static string? Text(Func<string?> read, string what)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"{what} holds a lone UTF-16 surrogate (or invalid UTF-8), which is not Unicode text and has no canonical form: {ex.Message}", ex);
        }
    }

    /// <summary>ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3).</summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new FormatException("NaN and Infinity have no JSON form");
        }

        if (value == 0)
        {
            return "0";
        }

        // Shortest round-trip digits d1..dk and exponent n with value = 0.d1..dk * 10^n.
        var shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var ePos = shortest.IndexOf('E', StringComparison.Ordinal);
        var mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        var exp10 = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        var all = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - all.Length;
        var digits = all.TrimEnd('0');
        var k = digits.Length;
        var n = intPart.Length - leadingZeros + exp10;
        var sb = new StringBuilder(32);
        if (value < 0)
        {
            sb.Append('-');
        }

        if (k <= n && n <= 21)
        {
            sb.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            sb.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            sb.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            sb.Append(digits[0]);
            if (k > 1)
            {
                sb.Append('.').Append(digits, 1, k - 1);
            }

            sb.Append('e').Append(n - 1 >= 0 ? "+" : "-").Append(Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static void WriteString(IBufferWriter<byte> output, string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        AppendString(sb, s);
        Raw(output, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>Appends a JSON string literal in canonical form.</summary>
    public static void AppendString(StringBuilder sb, string s)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(s);
        sb.Append('"');
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (ch < 0x20)
                    {
                        sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(ch);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    private static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }
}
