using System;
using System.Text;
using System.Text.Json;

namespace EvalSig.Core.RunFrames.Harness;

/// <summary>
/// JSON as Python's <c>json.dumps</c> writes it: valid JSON except that non-finite floats appear as the
/// bare tokens <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> (lm-evaluation-harness writes them
/// for unparsable answers and undefined standard errors). They are turned into the strings "NaN",
/// "Infinity" and "-Infinity", which <see cref="NumberOf"/> reads back as non-finite doubles, so a
/// reader can say "score is Infinity" instead of failing on malformed JSON.
/// </summary>
internal static class PythonJson
{
    public static JsonDocument Parse(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            var fixedText = QuoteNonFiniteTokens(text);
            if (ReferenceEquals(fixedText, text))
            {
                throw;
            }

            return JsonDocument.Parse(fixedText);
        }
    }

    /// <summary>The text with bare NaN / Infinity / -Infinity outside strings quoted; the same instance when there are none.</summary>
    public static string QuoteNonFiniteTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? sb = null;
        var inString = false;
        var last = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (inString)
            {
                if (ch == '\\')
                {
                    i++;
                }
                else if (ch == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (ch == '"')
            {
                inString = true;
                continue;
            }

            var token = Match(text, i, "-Infinity") ?? Match(text, i, "Infinity") ?? Match(text, i, "NaN");
            if (token is null)
            {
                continue;
            }

            sb ??= new StringBuilder(text.Length + 16);
            sb.Append(text, last, i - last).Append('"').Append(token).Append('"');
            i += token.Length - 1;
            last = i + 1;
        }

        if (sb is null)
        {
            return text;
        }

        sb.Append(text, last, text.Length - last);
        return sb.ToString();
    }

    /// <summary>A JSON number, a boolean (1/0) or one of the quoted non-finite tokens as a double; null otherwise.</summary>
    public static double? NumberOf(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.TryGetDouble(out var d) ? d : double.NaN,
        JsonValueKind.True => 1.0,
        JsonValueKind.False => 0.0,
        JsonValueKind.String => v.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => null,
        },
        _ => null,
    };

    private static string? Match(string text, int i, string token)
    {
        if (string.CompareOrdinal(text, i, token, 0, token.Length) != 0)
        {
            return null;
        }

        // A bare token stands alone: the previous character is not part of a name or number.
        var before = i == 0 ? ' ' : text[i - 1];
        var after = i + token.Length < text.Length ? text[i + token.Length] : ' ';
        return char.IsLetterOrDigit(before) || char.IsLetterOrDigit(after) ? null : token;
    }
}
