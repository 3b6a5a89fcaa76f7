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
/// </summary>
public static class CanonicalJson
{
    public static byte[] Canonicalize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, element);
        return buffer.WrittenSpan.ToArray();
    }

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
                WriteString(output, e.GetString()!);
                break;
            case JsonValueKind.Number:
                Raw(output, Encoding.ASCII.GetBytes(FormatNumber(e.GetDouble())));
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
