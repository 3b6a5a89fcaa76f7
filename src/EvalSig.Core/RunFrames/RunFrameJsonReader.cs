using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Json;
using EvalSig.Core.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Streams RunFrame v1 JSON (the public EVALSIG format) with <see cref="Utf8JsonReader"/> over a
/// sliding buffer: memory is the columns plus one buffer, never a DOM of the file.
/// </summary>
internal static class RunFrameJsonReader
{
    private const int InitialBuffer = 1 << 20;

    private enum Phase
    {
        Start,
        Top,
        Items,
        End,
    }

    /// <param name="commentsPossible">
    /// False when the caller reads the text as if it had no comments and, should that reading be malformed, reads it
    /// again with comments possible, and that reading decides. Only then are the usual items read by
    /// <see cref="JsonItemScanner"/> (issue 16): the reader resumes after them in the state it had after an earlier item,
    /// which holds that item's line, so the line and byte of a malformed reading's problem may be off, but such a
    /// reading is never the one reported.
    /// </param>
    public static void Read(Stream stream, RunFrameBuilder b, CancellationToken cancel, bool commentsPossible = true)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            ReadCore(stream, b, ref buffer, commentsPossible, cancel);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ReadCore(Stream stream, RunFrameBuilder b, ref byte[] buffer, bool commentsPossible, CancellationToken cancel)
    {
        var len = 0;
        var eof = false;
        var state = new JsonReaderState(new JsonReaderOptions { CommentHandling = commentsPossible ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow });
        var phase = Phase.Start;
        var header = new HeaderFields();
        var itemsSeen = false;
        var pending = new List<(string? Field, string Message)>();
        using var metadata = new MetadataMinifier();
        var scanItems = !commentsPossible && !JsonItemScanner.Disabled;
        var afterItem = default(JsonReaderState);
        var afterItemKnown = false;
        ArrayBufferWriter<byte>? scannedMetadata = null;

        // Skip a UTF-8 byte order mark if present.
        len = Fill(stream, buffer, 0, ref eof);
        long baseOffset = 0;
        var pos = len >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;

        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var reader = new Utf8JsonReader(buffer.AsSpan(pos, len - pos), eof, state);
            var needMore = false;
            try
            {
                while (!needMore && phase != Phase.End)
                {
                    if (scanItems && phase == Phase.Items && reader.TokenType == JsonTokenType.EndObject)
                    {
                        // After an item object (a skipped non-object item never ends on EndObject): the usual items
                        // that follow are read from the bytes, and the reader resumes after the last of them in the
                        // state it has after any item (only its line and byte in the line differ; see commentsPossible).
                        if (!afterItemKnown)
                        {
                            afterItem = reader.CurrentState;
                            afterItemKnown = true;
                        }

                        var at = pos + (int)reader.BytesConsumed;
                        var scanned = JsonItemScanner.ReadItems(buffer.AsSpan(at, len - at), b, scannedMetadata ??= new ArrayBufferWriter<byte>(256));
                        if (scanned > 0)
                        {
                            pos = at + scanned;
                            reader = new Utf8JsonReader(buffer.AsSpan(pos, len - pos), eof, afterItem);
                        }
                    }

                    var probe = reader;
                    if (!probe.Read())
                    {
                        needMore = true;
                        break;
                    }

                    switch (phase)
                    {
                        case Phase.Start:
                            if (probe.TokenType != JsonTokenType.StartObject)
                            {
                                b.MalformedText("a RunFrame v1 JSON file is one object with run fields and an 'items' array", null, baseOffset + pos + probe.TokenStartIndex + 1);
                                return;
                            }

                            phase = Phase.Top;
                            reader = probe;
                            break;

                        case Phase.Top:
                            if (probe.TokenType == JsonTokenType.EndObject)
                            {
                                phase = Phase.End;
                                reader = probe;
                                break;
                            }

                            if (probe.ValueTextEquals("items"u8))
                            {
                                if (!probe.Read())
                                {
                                    needMore = true;
                                    break;
                                }

                                itemsSeen = true;
                                if (probe.TokenType == JsonTokenType.StartArray)
                                {
                                    phase = Phase.Items;
                                    reader = probe;
                                    break;
                                }

                                if (!probe.TrySkip())
                                {
                                    needMore = true;
                                    break;
                                }

                                b.Problem(null, "items", "'items' must be an array of item objects");
                                reader = probe;
                                break;
                            }

                            if (!ReadHeaderField(ref probe, header, b))
                            {
                                needMore = true;
                                break;
                            }

                            reader = probe;
                            break;

                        case Phase.Items:
                            if (probe.TokenType == JsonTokenType.EndArray)
                            {
                                phase = Phase.Top;
                                reader = probe;
                                break;
                            }

                            if (probe.TokenType != JsonTokenType.StartObject)
                            {
                                if (!probe.TrySkip())
                                {
                                    needMore = true;
                                    break;
                                }

                                b.Problem(b.Count, null, "each item must be an object with item_id and score");
                                b.AddPlaceholder();
                                reader = probe;
                                break;
                            }

                            pending.Clear();
                            if (!TryReadItem(ref probe, b, pending, metadata))
                            {
                                needMore = true;
                                break;
                            }

                            reader = probe;
                            break;
                    }
                }

                if (phase == Phase.End && !needMore)
                {
                    // Only white space (or comments) may follow the object.
                    var tail = reader;
                    if (tail.Read())
                    {
                        b.MalformedText("unexpected content after the RunFrame object", null, baseOffset + pos + tail.TokenStartIndex + 1);
                        return;
                    }

                    if (!eof)
                    {
                        needMore = true;
                    }
                }
            }
            catch (JsonException ex)
            {
                b.MalformedText("malformed JSON: " + FirstSentence(ex.Message), ex.LineNumber + 1, ex.BytePositionInLine + 1);
                return;
            }
            catch (InvalidOperationException ex) when (ex.InnerException is DecoderFallbackException)
            {
                // Utf8JsonReader checks UTF-8 only when a string is decoded; the value is in the item or field read from here.
                b.MalformedText("a string is not valid UTF-8 (in the value that starts after this byte); save the file as UTF-8", null, baseOffset + pos + reader.BytesConsumed + 1);
                return;
            }

            if (!needMore)
            {
                break;
            }

            if (eof)
            {
                if (phase == Phase.End)
                {
                    break;
                }

                b.MalformedText("malformed JSON: the file ends before the RunFrame object is complete", null, baseOffset + len);
                return;
            }

            pos += (int)reader.BytesConsumed;
            state = reader.CurrentState;
            baseOffset += pos;
            var remaining = len - pos;
            if (pos == 0 && remaining == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                Buffer.BlockCopy(buffer, 0, bigger, 0, remaining);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            else if (remaining > 0)
            {
                Buffer.BlockCopy(buffer, pos, buffer, 0, remaining);
            }

            pos = 0;
            len = remaining + Fill(stream, buffer, remaining, ref eof);
        }

        if (!itemsSeen)
        {
            b.Problem(null, "items", "required field 'items' is missing");
            b.ItemsFieldMissing = true;
        }

        b.Header = header.ToHeader();
    }

    private static int Fill(Stream stream, byte[] buffer, int offset, ref bool eof)
    {
        var total = 0;
        while (offset + total < buffer.Length)
        {
            var n = stream.Read(buffer, offset + total, buffer.Length - offset - total);
            if (n == 0)
            {
                eof = true;
                break;
            }

            total += n;
        }

        return total;
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).Trim();
    }

    /// <summary>Reads one top-level run field; false when the buffer ends inside it.</summary>
    private static bool ReadHeaderField(ref Utf8JsonReader r, HeaderFields h, RunFrameBuilder b)
    {
        var name = r.GetString()!;
        if (!r.Read())
        {
            return false;
        }

        switch (name)
        {
            case "run_id":
            case "model_id":
            case "task_id":
            case "metric_name":
            case "config_hash":
            case "project_id":
                if (r.TokenType == JsonTokenType.String)
                {
                    h.Set(name, r.GetString());
                    return true;
                }

                if (r.TokenType == JsonTokenType.Null)
                {
                    return true;
                }

                if (!r.TrySkip())
                {
                    return false;
                }

                b.Problem(null, name, $"'{name}' must be a string");
                return true;
            case "ts":
            case "timestamp":
                if (r.TokenType == JsonTokenType.String)
                {
                    if (DateTimeOffset.TryParse(r.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var ts))
                    {
                        h.Timestamp = ts;
                    }
                    else
                    {
                        b.Problem(null, name, $"'{name}' must be an ISO-8601 date and time");
                    }
                }

                return r.TrySkip();
            default:
                return r.TrySkip();
        }
    }

    /// <summary>
    /// Reads one item object. Returns false, having changed nothing, when the buffer ends inside
    /// the item; the caller then refills and calls again from the item's start.
    /// </summary>
    private static bool TryReadItem(ref Utf8JsonReader r, RunFrameBuilder b, List<(string? Field, string Message)> problems, MetadataMinifier metadataText)
    {
        // Issue 16: the id stays UTF-8 bytes (a slice of the read buffer, valid until this item is added)
        // and the cluster a code; no string per item.
        ReadOnlySpan<byte> itemId = default;
        var hasId = false;
        var idSeen = false;
        var score = double.NaN;
        var scoreSeen = false;
        var scoreProblem = false;
        var cluster = -1;
        var epoch = 0;
        var metadata = false;

        while (true)
        {
            if (!r.Read())
            {
                return false;
            }

            if (r.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var field = ItemField(ref r);
            if (field == FieldItemId)
            {
                if (!r.Read())
                {
                    return false;
                }

                idSeen = true;
                switch (r.TokenType)
                {
                    case JsonTokenType.String:
                        itemId = r.ValueIsEscaped ? Unescaped(ref r) : r.ValueSpan;
                        CheckUtf8(ref r, itemId);
                        hasId = true;
                        break;
                    case JsonTokenType.Number:
                        itemId = r.ValueSpan;
                        hasId = true;
                        break;
                    case JsonTokenType.Null:
                        problems.Add(("item_id", "item_id is null; every item needs a string id"));
                        break;
                    default:
                        if (!r.TrySkip())
                        {
                            return false;
                        }

                        problems.Add(("item_id", "item_id must be a string"));
                        break;
                }
            }
            else if (field == FieldScore)
            {
                if (!r.Read())
                {
                    return false;
                }

                scoreSeen = true;
                if (r.TokenType == JsonTokenType.Number)
                {
                    if (Utf8Numbers.TryParsePlainDouble(r.ValueSpan, out var s) || r.TryGetDouble(out s))
                    {
                        score = s;
                    }
                    else
                    {
                        scoreProblem = true;
                        problems.Add(("score", "score must be a finite number, not " + Encoding.UTF8.GetString(r.ValueSpan)));
                    }
                }
                else
                {
                    if (!r.TrySkip())
                    {
                        return false;
                    }

                    scoreProblem = true;
                    problems.Add(("score", r.TokenType == JsonTokenType.Null
                        ? "score is null; every item needs a numeric score"
                        : "score must be a number, not " + DescribeToken(ref r)));
                }
            }
            else if (field == FieldClusterId)
            {
                if (!r.Read())
                {
                    return false;
                }

                switch (r.TokenType)
                {
                    case JsonTokenType.String:
                        var label = r.ValueIsEscaped ? Unescaped(ref r) : r.ValueSpan;
                        CheckUtf8(ref r, label);
                        cluster = b.ClusterCode(label);
                        break;
                    case JsonTokenType.Number:
                        cluster = b.ClusterCode(r.ValueSpan);
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        if (!r.TrySkip())
                        {
                            return false;
                        }

                        problems.Add(("cluster_id", "cluster_id must be a string or null"));
                        break;
                }
            }
            else if (field == FieldEpoch)
            {
                if (!r.Read())
                {
                    return false;
                }

                if (r.TokenType == JsonTokenType.Number)
                {
                    if (!Utf8Numbers.TryParseDigit(r.ValueSpan, out epoch) && !r.TryGetInt32(out epoch))
                    {
                        problems.Add(("epoch", "epoch must be an integer >= 0, not " + Encoding.UTF8.GetString(r.ValueSpan)));
                        epoch = 0;
                    }
                }
                else if (r.TokenType != JsonTokenType.Null)
                {
                    if (!r.TrySkip())
                    {
                        return false;
                    }

                    problems.Add(("epoch", "epoch must be an integer >= 0"));
                }
            }
            else if (field == FieldMetadata)
            {
                if (!r.Read())
                {
                    return false;
                }

                if (r.TokenType == JsonTokenType.StartObject)
                {
                    // Most items carry {}: one token decides it, without skipping the object twice.
                    var peek = r;
                    if (!peek.Read())
                    {
                        return false;
                    }

                    if (peek.TokenType == JsonTokenType.EndObject)
                    {
                        r = peek;
                    }
                    else
                    {
                        var probe = r;
                        if (!probe.TrySkip())
                        {
                            return false;
                        }

                        // Minified straight from the tokens into a reused buffer (the same writer and options
                        // as JsonValues.Minify, so the same text), kept as UTF-8: no document, no string.
                        metadataText.Minify(ref r);
                        metadata = true;
                    }
                }
                else if (r.TokenType != JsonTokenType.Null)
                {
                    if (!r.TrySkip())
                    {
                        return false;
                    }

                    problems.Add(("metadata", "metadata must be an object"));
                }
            }
            else
            {
                if (!r.Read() || !r.TrySkip())
                {
                    return false;
                }
            }
        }

        // The item is complete: only now does it touch the builder.
        var index = b.Count;
        if (!idSeen)
        {
            b.Problem(index, "item_id", "required field 'item_id' is missing");
        }

        if (!scoreSeen)
        {
            b.ScoreProblem(index, "required field 'score' is missing");
        }

        foreach (var (field, message) in problems)
        {
            if (field == "score")
            {
                b.ScoreProblem(index, message);
            }
            else
            {
                b.Problem(index, field, message);
            }
        }

        if (hasId)
        {
            b.AddUtf8(itemId, scoreProblem ? double.NaN : score, cluster, epoch, metadata ? metadataText.Written : default);
        }
        else
        {
            b.Add(null, scoreProblem ? double.NaN : score, null, epoch, metadata ? Encoding.UTF8.GetString(metadataText.Written) : null);
        }

        return true;
    }

    // The item fields in their usual order (JsonItemScanner counts on it).
    internal const int FieldOther = 0;
    internal const int FieldItemId = 1;
    internal const int FieldScore = 2;
    internal const int FieldClusterId = 3;
    internal const int FieldEpoch = 4;
    internal const int FieldMetadata = 5;

    /// <summary>Which item field the property name the reader is at names: by length, then bytes (the names are plain ASCII).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ItemField(ref Utf8JsonReader r)
    {
        if (r.ValueIsEscaped)
        {
            return r.ValueTextEquals("item_id"u8) ? FieldItemId
                : r.ValueTextEquals("score"u8) ? FieldScore
                : r.ValueTextEquals("cluster_id"u8) ? FieldClusterId
                : r.ValueTextEquals("epoch"u8) ? FieldEpoch
                : r.ValueTextEquals("metadata"u8) ? FieldMetadata
                : FieldOther;
        }

        return ItemField(r.ValueSpan);
    }

    /// <summary>Which item field a property name written without escapes names (also JsonItemScanner's).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int ItemField(ReadOnlySpan<byte> name)
    {
        return name.Length switch
        {
            7 when name.SequenceEqual("item_id"u8) => FieldItemId,
            5 when name.SequenceEqual("score"u8) => FieldScore,
            5 when name.SequenceEqual("epoch"u8) => FieldEpoch,
            10 when name.SequenceEqual("cluster_id"u8) => FieldClusterId,
            8 when name.SequenceEqual("metadata"u8) => FieldMetadata,
            _ => FieldOther,
        };
    }

    /// <summary>Writes the object the reader is at (complete in the buffer) token by token, without white space.</summary>
    internal static void CopyMinified(ref Utf8JsonReader r, Utf8JsonWriter w)
    {
        var depth = r.CurrentDepth;
        while (true)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.StartObject:
                    w.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    w.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    w.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    w.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    if (r.ValueIsEscaped)
                    {
                        w.WritePropertyName(Unescaped(ref r));
                    }
                    else
                    {
                        w.WritePropertyName(r.ValueSpan);
                    }

                    break;
                case JsonTokenType.String:
                    if (r.ValueIsEscaped)
                    {
                        w.WriteStringValue(Unescaped(ref r));
                    }
                    else
                    {
                        w.WriteStringValue(r.ValueSpan);
                    }

                    break;
                case JsonTokenType.Number:
                    w.WriteRawValue(r.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True:
                    w.WriteBooleanValue(true);
                    break;
                case JsonTokenType.False:
                    w.WriteBooleanValue(false);
                    break;
                case JsonTokenType.Null:
                    w.WriteNullValue();
                    break;
            }

            if (r.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && r.CurrentDepth == depth)
            {
                return;
            }

            r.Read();
        }
    }

    /// <summary>A string token with escapes, unescaped to UTF-8 (rare: ids are plain text).</summary>
    internal static byte[] Unescaped(ref Utf8JsonReader r)
    {
        var buffer = new byte[r.ValueSpan.Length];
        return buffer.AsSpan(0, r.CopyString(buffer)).ToArray();
    }

    /// <summary>Text that is not valid UTF-8 fails as GetString would (the caller names the position).</summary>
    private static void CheckUtf8(ref Utf8JsonReader r, ReadOnlySpan<byte> value)
    {
        if (!System.Text.Unicode.Utf8.IsValid(value))
        {
            r.GetString();
            throw new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text.", new DecoderFallbackException());
        }
    }

    private static string DescribeToken(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.String => "the string \"" + r.GetString() + "\"",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.EndObject => "an object",
        JsonTokenType.EndArray => "an array",
        _ => r.TokenType.ToString(),
    };

    private sealed class HeaderFields
    {
        private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

        public DateTimeOffset? Timestamp { get; set; }

        public void Set(string name, string? value) => _values[name] = value;

        public RunFrameHeader ToHeader() => new(
            Get("run_id"),
            Get("model_id"),
            Get("task_id"),
            Get("metric_name"),
            Get("config_hash"),
            Get("project_id"),
            Timestamp);

        private string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;
    }
}

/// <summary>
/// Minifies a metadata object from the reader's tokens into a reused buffer (the same writer and options as
/// <see cref="JsonValues.Minify(JsonElement)"/>, so the same text). The writer, and the encoder behind it, is
/// made on first use: a run without metadata never pays for it (start-up, issue 16).
/// </summary>
internal sealed class MetadataMinifier : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private Utf8JsonWriter? _writer;

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public void Minify(ref Utf8JsonReader r)
    {
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer, JsonValues.WriterOptions());
        }
        else
        {
            _writer.Reset(_buffer);
        }

        RunFrameJsonReader.CopyMinified(ref r, _writer);
        _writer.Flush();
    }

    public void Dispose() => _writer?.Dispose();
}
