using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EvalSig.Core.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Issue 16: the usual items of a RunFrame JSON file read straight from the bytes, without
/// <see cref="Utf8JsonReader"/>. An item is usual when it is an object of item_id and score and, at most once
/// each, cluster_id, epoch and metadata (in any order), where the id and the label are strings of printable
/// ASCII without escapes (the label may be null), the score a number, the epoch one digit or null, and the
/// metadata <c>{}</c>, null or one level of keys whose values are such strings, numbers or literals, with JSON
/// white space between tokens. Such text is read by <see cref="Utf8JsonReader"/> as exactly these tokens,
/// without error, and by <see cref="RunFrameJsonReader"/> as an item without problems of its own; the scanner
/// adds the same item through the same builder calls. At anything else (another key or value, an escape, a
/// byte that is not ASCII, a comment, the end of the buffer) it stops before that item, having changed nothing
/// for it, and the reader takes the item from there.
/// </summary>
internal static class JsonItemScanner
{
    /// <summary>
    /// The AppContext switch <c>EvalSig.RunFrames.DisableJsonItemScanner</c>: every item through the reader
    /// (the escape hatch, and how tests compare the two).
    /// </summary>
    internal static bool Disabled => OffOnThisThread || (AppContext.TryGetSwitch("EvalSig.RunFrames.DisableJsonItemScanner", out var off) && off);

    /// <summary>Tests: every item of reads on this thread through the reader.</summary>
    [ThreadStatic]
    internal static bool OffOnThisThread;

    /// <summary>Tests: the items this scanner has read on this thread.</summary>
    [ThreadStatic]
    internal static long ItemsScanned;

    private const int MaxFlatObject = 1 << 16;

    // One bit per item field, in the reader's usual order (item_id, score, cluster_id, epoch, metadata).
    private const int FieldItemId = 1 << (RunFrameJsonReader.FieldItemId - 1);
    private const int FieldScore = 1 << (RunFrameJsonReader.FieldScore - 1);
    private const int FieldClusterId = 1 << (RunFrameJsonReader.FieldClusterId - 1);
    private const int FieldEpoch = 1 << (RunFrameJsonReader.FieldEpoch - 1);
    private const int FieldMetadata = 1 << (RunFrameJsonReader.FieldMetadata - 1);

    /// <summary>
    /// Reads the usual items that follow, each as <c>, {...}</c>, from <paramref name="text"/>, which starts
    /// just after an item's closing brace inside the items array. Returns the bytes read: the end of the last
    /// item read (0 when none). <paramref name="metadataJson"/> is reused for each item's minified metadata.
    /// </summary>
    public static int ReadItems(ReadOnlySpan<byte> text, RunFrameBuilder b, ArrayBufferWriter<byte> metadataJson)
    {
        var done = 0;
        var items = 0;
        while (TryReadItem(text, done, b, metadataJson, out var end))
        {
            done = end;
            items++;
        }

        ItemsScanned += items;
        return done;
    }

    private static bool TryReadItem(ReadOnlySpan<byte> t, int i, RunFrameBuilder b, ArrayBufferWriter<byte> metadataJson, out int end)
    {
        end = 0;
        i = SkipSpace(t, i);
        if ((uint)i >= (uint)t.Length || t[i] != (byte)',')
        {
            return false;
        }

        i = SkipSpace(t, i + 1);
        if ((uint)i >= (uint)t.Length || t[i] != (byte)'{')
        {
            return false;
        }

        i++;
        ReadOnlySpan<byte> itemId = default;
        ReadOnlySpan<byte> label = default;
        var score = 0.0;
        var epoch = 0;
        var hasLabel = false;
        var metadata = false;
        var seen = 0;
        while (true)
        {
            i = SkipSpace(t, i);

            // The key the usual order puts next (item_id, score, cluster_id, epoch, metadata) costs one comparison.
            var field = ~seen & (seen + 1);
            var quoted = Quoted(field);
            if (!quoted.IsEmpty && t[i..].StartsWith(quoted))
            {
                i += quoted.Length;
            }
            else
            {
                if (!PlainString(t, ref i, out var name))
                {
                    return false;
                }

                var named = RunFrameJsonReader.ItemField(name);
                field = named == RunFrameJsonReader.FieldOther ? 0 : 1 << (named - 1);
            }

            i = SkipSpace(t, i);
            if ((uint)i >= (uint)t.Length || t[i] != (byte)':')
            {
                return false;
            }

            i = SkipSpace(t, i + 1);
            if ((uint)i >= (uint)t.Length)
            {
                return false;
            }

            if (field == 0 || (seen & field) != 0)
            {
                return false;
            }

            seen |= field;
            switch (field)
            {
                case FieldItemId:
                    if (!PlainString(t, ref i, out itemId))
                    {
                        return false;
                    }

                    break;
                case FieldScore:
                    if (!Number(t, ref i, out var number) || !(Utf8Numbers.TryParsePlainDouble(number, out score) || TryGetDouble(number, out score)))
                    {
                        return false;
                    }

                    break;
                case FieldClusterId:
                    if (!Null(t, ref i))
                    {
                        if (!PlainString(t, ref i, out label))
                        {
                            return false;
                        }

                        hasLabel = true;
                    }

                    break;
                case FieldEpoch:
                    if (Null(t, ref i))
                    {
                        break;
                    }

                    // One digit; a longer number is left to the reader (whatever follows the digit is checked below).
                    var digit = (uint)(t[i] - '0');
                    if (digit > 9)
                    {
                        return false;
                    }

                    epoch = (int)digit;
                    i++;
                    break;
                default:
                    // Metadata: {} (what most items carry), null, or one level of keys with plain values, minified
                    // here; anything else is left to the reader.
                    if (Null(t, ref i))
                    {
                        break;
                    }

                    if (t[i] != (byte)'{')
                    {
                        return false;
                    }

                    i = SkipSpace(t, i + 1);
                    if ((uint)i < (uint)t.Length && t[i] == (byte)'}')
                    {
                        i++;
                        break;
                    }

                    if (!FlatObject(t, ref i, metadataJson))
                    {
                        return false;
                    }

                    metadata = true;
                    break;
            }

            i = SkipSpace(t, i);
            if ((uint)i >= (uint)t.Length)
            {
                return false;
            }

            if (t[i] == (byte)',')
            {
                i++;
                continue;
            }

            if (t[i] == (byte)'}')
            {
                i++;
                break;
            }

            return false;
        }

        if ((seen & (FieldItemId | FieldScore)) != (FieldItemId | FieldScore))
        {
            return false;
        }

        // The item is complete: only now does it touch the builder, with the calls the reader makes for it.
        var cluster = hasLabel ? b.ClusterCode(label) : -1;
        b.AddUtf8(itemId, score, cluster, epoch, metadata ? metadataJson.WrittenSpan : default);
        end = i;
        return true;
    }

    /// <summary>A key as it stands in the text, quotes included (empty for none).</summary>
    private static ReadOnlySpan<byte> Quoted(int field) => field switch
    {
        FieldItemId => "\"item_id\""u8,
        FieldScore => "\"score\""u8,
        FieldClusterId => "\"cluster_id\""u8,
        FieldEpoch => "\"epoch\""u8,
        FieldMetadata => "\"metadata\""u8,
        _ => default,
    };

    /// <summary>Past JSON white space (space, tab, LF, CR: what <see cref="Utf8JsonReader"/> skips).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipSpace(ReadOnlySpan<byte> t, int i)
    {
        if ((uint)i < (uint)t.Length && t[i] > (byte)' ')
        {
            return i;
        }

        while ((uint)i < (uint)t.Length && t[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    /// <summary>
    /// An object's members from <paramref name="i"/> (after its opening brace and white space) to its closing brace,
    /// each a key and a value that is a plain string (as <see cref="PlainString"/>, without DEL), a number, true,
    /// false or null; written to <paramref name="json"/> without white space. That is the text
    /// <see cref="MetadataMinifier"/> writes for them: its writer copies a number's bytes, and writes such a string,
    /// which its encoder leaves unescaped, as it stands.
    /// </summary>
    private static bool FlatObject(ReadOnlySpan<byte> t, scoped ref int i, ArrayBufferWriter<byte> json)
    {
        json.ResetWrittenCount();
        json.Write("{"u8);
        var j = i;
        while (true)
        {
            var keyStart = j;
            if (!PlainString(t, ref j, out var key) || key.Contains((byte)0x7F))
            {
                return false;
            }

            var keyEnd = j;
            j = SkipSpace(t, j);
            if ((uint)j >= (uint)t.Length || t[j] != (byte)':')
            {
                return false;
            }

            j = SkipSpace(t, j + 1);
            if ((uint)j >= (uint)t.Length)
            {
                return false;
            }

            var valueStart = j;
            var c = t[j];
            if (c == (byte)'"')
            {
                if (!PlainString(t, ref j, out var value) || value.Contains((byte)0x7F))
                {
                    return false;
                }
            }
            else if (c == (byte)'-' || IsDigit(c))
            {
                if (!Number(t, ref j, out _))
                {
                    return false;
                }
            }
            else if (t[j..].StartsWith("true"u8) || t[j..].StartsWith("null"u8))
            {
                j += 4;
            }
            else if (t[j..].StartsWith("false"u8))
            {
                j += 5;
            }
            else
            {
                return false;
            }

            json.Write(t[keyStart..keyEnd]);
            json.Write(":"u8);
            json.Write(t[valueStart..j]);
            j = SkipSpace(t, j);
            if ((uint)j >= (uint)t.Length)
            {
                return false;
            }

            if (t[j] == (byte)',')
            {
                json.Write(","u8);
                j = SkipSpace(t, j + 1);
                continue;
            }

            if (t[j] == (byte)'}')
            {
                // A long object (a long string could be too long for the writer) is left to the reader.
                if (j - i > MaxFlatObject)
                {
                    return false;
                }

                json.Write("}"u8);
                i = j + 1;
                return true;
            }

            return false;
        }
    }

    /// <summary>The literal null at <paramref name="i"/> (the reader reads it without looking at the byte after it; the caller does).</summary>
    private static bool Null(ReadOnlySpan<byte> t, ref int i)
    {
        if (t[i..].StartsWith("null"u8))
        {
            i += 4;
            return true;
        }

        return false;
    }

    /// <summary>A string at <paramref name="i"/> of printable ASCII without escapes (no UTF-8 to check, nothing to unescape).</summary>
    private static bool PlainString(ReadOnlySpan<byte> t, scoped ref int i, out ReadOnlySpan<byte> value)
    {
        value = default;
        if ((uint)i >= (uint)t.Length || t[i] != (byte)'"')
        {
            return false;
        }

        var start = i + 1;
        for (var j = start; j < t.Length; j++)
        {
            var c = t[j];
            if (c == (byte)'"')
            {
                value = t[start..j];
                i = j + 1;
                return true;
            }

            if (c < 0x20 || c >= 0x80 || c == (byte)'\\')
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// A number at <paramref name="i"/> as RFC 8259 writes it (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>), read
    /// to its longest match, as <see cref="Utf8JsonReader"/> reads it; the caller checks the byte after it.
    /// </summary>
    private static bool Number(ReadOnlySpan<byte> t, scoped ref int i, out ReadOnlySpan<byte> value)
    {
        value = default;
        var j = i;
        if (j < t.Length && t[j] == (byte)'-')
        {
            j++;
        }

        if (j >= t.Length || !IsDigit(t[j]))
        {
            return false;
        }

        if (t[j] == (byte)'0')
        {
            j++;
        }
        else
        {
            j = Digits(t, j);
        }

        if (j < t.Length && t[j] == (byte)'.')
        {
            j++;
            if (j >= t.Length || !IsDigit(t[j]))
            {
                return false;
            }

            j = Digits(t, j);
        }

        if (j < t.Length && (t[j] | 0x20) == (byte)'e')
        {
            j++;
            if (j < t.Length && t[j] is (byte)'+' or (byte)'-')
            {
                j++;
            }

            if (j >= t.Length || !IsDigit(t[j]))
            {
                return false;
            }

            j = Digits(t, j);
        }

        value = t[i..j];
        i = j;
        return true;
    }

    private static int Digits(ReadOnlySpan<byte> t, int j)
    {
        while (j < t.Length && IsDigit(t[j]))
        {
            j++;
        }

        return j;
    }

    private static bool IsDigit(byte c) => (uint)(c - '0') <= 9;

    /// <summary>The reader's own <see cref="Utf8JsonReader.TryGetDouble"/> on the number alone: the same parse, so the same value or the same refusal.</summary>
    private static bool TryGetDouble(ReadOnlySpan<byte> number, out double value)
    {
        var r = new Utf8JsonReader(number);
        r.Read();
        return r.TryGetDouble(out value);
    }
}
