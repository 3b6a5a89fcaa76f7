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
/// JSONL: one item object per line. Run fields may ride on every line (as Export-RunFrame writes
/// them); keys that are neither item nor run fields become item metadata.
/// </summary>
/// <remarks>
/// Issue 16: lines are split in a pooled byte window and parsed with <see cref="Utf8JsonReader"/> over
/// the line's bytes; ids and cluster labels reach the builder as UTF-8 and metadata is minified token by
/// token, so a line whose keys are all known costs no allocation. A line with other keys (metadata from
/// extra keys) or with metadata as a string takes the document path it always took, with the same result.
/// Run fields that open a line byte for byte as on the line before are not parsed again: the reader resumes
/// after them in the state it had there (FastLine's recorded opening), which keeps error positions too.
/// Line breaks are those of <see cref="TextReader.ReadLine"/>: LF, CRLF or a lone CR.
/// </remarks>
internal static class RunFrameJsonlReader
{
    public static void Read(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, CancellationToken cancel)
    {
        var run = new RunFieldAccumulator(b);
        // 64 KB holds hundreds of the usual lines (a longer line grows it): two readers at once keep ~0.4 MB less
        // than with the 256 KB default, and the window stays in the core's cache.
        using var window = new ByteWindow(stream, 1 << 16);
        using var fast = new FastLine(b, o, run);
        long lineNo = 0;
        try
        {
            while (NextLine(window, out var start, out var length))
            {
                lineNo++;
                if ((lineNo & 0xFFF) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                }

                var line = window.Buffer.AsSpan(start, length);
                var skip = fast.PrefixLength(line);
                if (skip > 0)
                {
                    // The skipped bytes are an earlier line's, valid and ending on an ASCII byte: the rest alone
                    // decides, and a bad rest is reported as the whole line would be.
                    if (!System.Text.Unicode.Utf8.IsValid(line[skip..]))
                    {
                        InvalidUtf8Exception.ThrowIfInvalid(line, lineNo);
                    }
                }
                else
                {
                    InvalidUtf8Exception.ThrowIfInvalid(line, lineNo);
                    if (IsBlank(line))
                    {
                        continue;
                    }
                }

                try
                {
                    if (!ReadLine(line, window.Buffer.AsMemory(start, length), skip, lineNo, b, o, run, fast))
                    {
                        return;
                    }
                }
                catch (JsonException ex)
                {
                    b.MalformedText("malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim(), lineNo, ex.BytePositionInLine + 1);
                    return;
                }
            }
        }
        catch (InvalidUtf8Exception ex)
        {
            b.MalformedText(ex.Message, ex.Line, ex.ByteInLine);
            return;
        }

        b.Header = run.ToHeader();
    }

    /// <summary>The next line (without its break) as a range of the window; false at the end.</summary>
    private static bool NextLine(ByteWindow w, out int start, out int length)
    {
        while (true)
        {
            var rest = w.Rest;
            var at = rest.IndexOfAny((byte)'\n', (byte)'\r');
            if (at >= 0 && !(rest[at] == (byte)'\r' && at + 1 == rest.Length && !w.Eof))
            {
                start = w.Start;
                length = at;
                var next = at + 1;
                if (rest[at] == (byte)'\r' && next < rest.Length && rest[next] == (byte)'\n')
                {
                    next++;
                }

                w.Start += next;
                return true;
            }

            if (at < 0 && w.Eof)
            {
                start = w.Start;
                length = rest.Length;
                w.Start += rest.Length;
                return length > 0;
            }

            w.Refill();
        }
    }

    /// <summary>As string.IsNullOrWhiteSpace on the decoded line.</summary>
    internal static bool IsBlank(ReadOnlySpan<byte> utf8)
    {
        foreach (var x in utf8)
        {
            if (x >= 0x80)
            {
                return string.IsNullOrWhiteSpace(Encoding.UTF8.GetString(utf8));
            }

            if (!char.IsWhiteSpace((char)x))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One non-blank line; false when reading must stop (already reported).</summary>
    /// <param name="skip">Bytes at the start of the line that are <see cref="FastLine.PrefixLength"/>'s run fields, not parsed again (0: none).</param>
    private static bool ReadLine(ReadOnlySpan<byte> line, ReadOnlyMemory<byte> memory, int skip, long lineNo, RunFrameBuilder b, RunFrameReadOptions o, RunFieldAccumulator run, FastLine fast)
    {
        var index = b.Count;
        if (skip > 0)
        {
            var rest = fast.ReaderAfterPrefix(line[skip..]);
            if (fast.TryRead(ref rest, line[skip..], resumed: true))
            {
                return true;
            }

            using var whole = JsonDocument.Parse(memory);
            ReadItem(whole.RootElement, index, b, o, run);
            return true;
        }

        var r = new Utf8JsonReader(line, isFinalBlock: true, state: default);
        r.Read();
        if (r.TokenType != JsonTokenType.StartObject)
        {
            // The whole line must still be one JSON value (a document would have refused it as malformed).
            r.Skip();
            r.Read();
            b.Problem(index, null, string.Create(CultureInfo.InvariantCulture, $"line {lineNo} is not a JSON object; each line is one item"));
            b.AddPlaceholder();
            return true;
        }

        if (fast.TryRead(ref r, line, resumed: false))
        {
            return true;
        }

        // Keys outside the schema: the document path (metadata merged from them).
        using var doc = JsonDocument.Parse(memory);
        ReadItem(doc.RootElement, index, b, o, run);
        return true;
    }

    /// <summary>
    /// A line whose keys are all known, read without allocating: everything found is held until the
    /// line has parsed to its end, then handed to the builder in the order the document path would.
    /// </summary>
    private sealed class FastLine : IDisposable
    {
        private readonly RunFrameBuilder _b;
        private readonly RunFrameReadOptions _o;
        private readonly RunFieldAccumulator _run;
        private readonly byte[] _item;
        private readonly byte[] _score;
        private readonly byte[] _cluster;
        private readonly byte[] _epoch;
        private readonly byte[][] _runNames;
        private readonly string[] _runNameStrings;
        private readonly byte[]?[] _lastRunValue;
        private readonly int[] _lastRunLength;
        private readonly List<(int Kind, string? Field, string? Text)> _pending = new();
        private readonly MetadataMinifier _metadataText = new();

        public FastLine(RunFrameBuilder b, RunFrameReadOptions o, RunFieldAccumulator run)
        {
            _b = b;
            _o = o;
            _run = run;
            _item = Encoding.UTF8.GetBytes(o.ItemColumn);
            _score = Encoding.UTF8.GetBytes(o.ScoreColumn);
            _cluster = Encoding.UTF8.GetBytes(o.ClusterColumn);
            _epoch = Encoding.UTF8.GetBytes(o.EpochColumn);
            _runNameStrings = [RunFrameColumns.ProjectId, RunFrameColumns.RunId, RunFrameColumns.ModelId, RunFrameColumns.TaskId, RunFrameColumns.MetricName, RunFrameColumns.ConfigHash, RunFrameColumns.Ts, "timestamp"];
            _runNames = Array.ConvertAll(_runNameStrings, Encoding.UTF8.GetBytes);
            _lastRunValue = new byte[_runNames.Length][];
            _lastRunLength = new int[_runNames.Length];

            // Every key a fast line knows, in the order they are tried (an item field named like a run field is the item field).
            _keys = [_item, _score, _cluster, _epoch, "metadata"u8.ToArray(), "metadata_json"u8.ToArray(), .. _runNames];
            _keyIds = [KeyItem, KeyScore, KeyCluster, KeyEpoch, KeyMetadata, KeyMetadata, .. System.Linq.Enumerable.Range(KeyRunField, _runNames.Length)];
            _keyPrefixes = Array.ConvertAll(_keys, k => Prefix(k));
            for (var i = 0; i < _keys.Length; i++)
            {
                // The first key of a name wins (an item column named like a run field is the item column).
                var slot = Slot(_keyPrefixes[i]);
                var taken = false;
                while (_keySlots[slot] != 0 && !(taken = _keys[_keySlots[slot] - 1].AsSpan().SequenceEqual(_keys[i])))
                {
                    slot = (slot + 1) & (KeySlots - 1);
                }

                if (!taken)
                {
                    _keySlots[slot] = i + 1;
                }
            }
        }

        private const int KeySlots = 64;

        /// <summary>Key index + 1 by the hash of its prefix (0 = empty): a key is found in about one probe.</summary>
        private readonly int[] _keySlots = new int[KeySlots];

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static int Slot(ulong prefix) => (int)((prefix * 0x9E3779B97F4A7C15UL) >> 58);

        private const int KeyOther = -1;
        private const int KeyItem = 0;
        private const int KeyScore = 1;
        private const int KeyCluster = 2;
        private const int KeyEpoch = 3;
        private const int KeyMetadata = 4;
        private const int KeyRunField = 5;

        private readonly byte[][] _keys;
        private readonly int[] _keyIds;
        private readonly ulong[] _keyPrefixes;

        /// <summary>
        /// A name's first eight bytes as one number (shorter names: their first and last four, or their bytes
        /// and length): most keys differ there, so it hashes them and one comparison tells them apart.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static ulong Prefix(ReadOnlySpan<byte> name)
        {
            if (name.Length >= 8)
            {
                return System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(name);
            }

            if (name.Length >= 4)
            {
                return System.Runtime.InteropServices.MemoryMarshal.Read<uint>(name) | ((ulong)System.Runtime.InteropServices.MemoryMarshal.Read<uint>(name[^4..]) << 32);
            }

            ulong v = (ulong)name.Length << 56;
            for (var i = 0; i < name.Length; i++)
            {
                v |= (ulong)name[i] << (8 * i);
            }

            return v;
        }

        /// <summary>Which known key the property name the reader is at is (issue 16: one pass over lengths and bytes, not a ValueTextEquals per key).</summary>
        private int Key(ref Utf8JsonReader r)
        {
            var keys = _keys;
            if (r.ValueIsEscaped)
            {
                for (var i = 0; i < keys.Length; i++)
                {
                    if (r.ValueTextEquals(keys[i]))
                    {
                        return _keyIds[i];
                    }
                }

                return KeyOther;
            }

            var name = r.ValueSpan;
            var prefix = Prefix(name);
            var slots = _keySlots;
            for (var slot = Slot(prefix); slots[slot] != 0; slot = (slot + 1) & (KeySlots - 1))
            {
                var i = slots[slot] - 1;
                if (_keyPrefixes[i] == prefix && keys[i].Length == name.Length && (name.Length <= 8 || name[8..].SequenceEqual(keys[i].AsSpan(8))))
                {
                    return _keyIds[i];
                }
            }

            return KeyOther;
        }

        public void Dispose() => _metadataText.Dispose();

        /// <summary>
        /// Issue 16: the run fields that open a line (as Export-RunFrame writes them, the same on every line),
        /// as the bytes of the last line whose fast read recorded them, and the reader's state after them. A
        /// line that starts with the same bytes parses them to the same tokens and the same state, and
        /// observing a run field's value a second time changes nothing (<see cref="RunFieldAccumulator.Observe"/>),
        /// so such a line is parsed from the state on, with the same results and the same error positions.
        /// </summary>
        private byte[] _prefix = new byte[256];
        private int _prefixLength;
        private JsonReaderState _prefixState;

        /// <summary>How many opening bytes of <paramref name="line"/> are the recorded run fields (0 when it does not start with them).</summary>
        public int PrefixLength(ReadOnlySpan<byte> line)
        {
            var n = _prefixLength;
            return n > 0 && line.Length > n && line[..n].SequenceEqual(_prefix.AsSpan(0, n)) ? n : 0;
        }

        /// <summary>A reader over the bytes after the recorded run fields, in the state a reader of the whole line has there.</summary>
        public Utf8JsonReader ReaderAfterPrefix(ReadOnlySpan<byte> rest) => new(rest, isFinalBlock: true, _prefixState);

        private void RecordPrefix(ReadOnlySpan<byte> prefix, JsonReaderState state)
        {
            if (_prefix.Length < prefix.Length)
            {
                _prefix = new byte[Math.Max(prefix.Length, _prefix.Length * 2)];
            }

            prefix.CopyTo(_prefix);
            _prefixLength = prefix.Length;
            _prefixState = state;
        }

        private const int KindProblem = 0;
        private const int KindScoreProblem = 1;
        private const int KindObserve = 2;

        /// <summary>False, having changed nothing, when the line needs the document path.</summary>
        /// <param name="r">At the line's opening brace, or (<paramref name="resumed"/>) resumed after the recorded run fields.</param>
        /// <param name="line">The bytes <paramref name="r"/> reads: the line, or the rest of it after the recorded run fields.</param>
        public bool TryRead(ref Utf8JsonReader r, ReadOnlySpan<byte> line, bool resumed)
        {
            // The run fields that open a line read from its start: where they end and the reader's state there.
            var opening = !resumed;
            var openingEnd = 0;
            var openingState = default(JsonReaderState);
            _pending.Clear();
            var idSeen = false;
            var id = default(LineValue);
            var scoreSeen = false;
            var scoreOk = false;
            var score = double.NaN;
            var cluster = default(LineValue);
            var epoch = 0;
            var metadata = false;

            while (true)
            {
                r.Read();
                if (r.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var key = Key(ref r);
                if (key < KeyRunField)
                {
                    opening = false;
                }

                if (key == KeyItem)
                {
                    r.Read();
                    idSeen = true;
                    id = LineValue.At(ref r);
                    if (!id.Present)
                    {
                        _pending.Add((KindProblem, _o.ItemColumn, "item_id must be a string"));
                    }
                }
                else if (key == KeyScore)
                {
                    r.Read();
                    scoreSeen = true;
                    if (r.TokenType == JsonTokenType.Number && (Utf8Numbers.TryParsePlainDouble(r.ValueSpan, out var s) || r.TryGetDouble(out s)) && double.IsFinite(s))
                    {
                        score = s;
                        scoreOk = true;
                    }
                    else
                    {
                        var number = r.TokenType == JsonTokenType.Number;
                        _pending.Add((KindScoreProblem, null, (number ? "score must be a finite number, not " : "score must be a number, not ") + RawText(ref r, line)));
                    }
                }
                else if (key == KeyCluster)
                {
                    r.Read();
                    cluster = LineValue.At(ref r);
                }
                else if (key == KeyEpoch)
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.Number && (Utf8Numbers.TryParseDigit(r.ValueSpan, out var e) || r.TryGetInt32(out e)))
                    {
                        epoch = e;
                    }
                    else if (r.TokenType != JsonTokenType.Null)
                    {
                        _pending.Add((KindProblem, _o.EpochColumn, "epoch must be an integer >= 0, not " + RawText(ref r, line)));
                    }
                }
                else if (key == KeyMetadata)
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.StartObject)
                    {
                        var peek = r;
                        peek.Read();
                        if (peek.TokenType == JsonTokenType.EndObject)
                        {
                            r = peek;
                            metadata = false;
                        }
                        else
                        {
                            _metadataText.Minify(ref r);
                            metadata = true;
                        }
                    }
                    else if (r.TokenType == JsonTokenType.String)
                    {
                        return false; // metadata as JSON text: normalised on the document path
                    }
                    else if (r.TokenType != JsonTokenType.Null)
                    {
                        r.Skip();
                        _pending.Add((KindProblem, "metadata", "metadata must be an object"));
                    }
                }
                else if (key >= KeyRunField)
                {
                    r.Read();
                    ObserveRunField(ref r, line, key - KeyRunField);

                    // A number or a literal ends where the byte after it says, so the opening fields end only after a
                    // string, object or array (whose last byte ends it): then a later line's tokens there are the same.
                    if (opening && r.TokenType is JsonTokenType.String or JsonTokenType.EndObject or JsonTokenType.EndArray)
                    {
                        openingEnd = (int)r.BytesConsumed;
                        openingState = r.CurrentState;
                    }
                }
                else
                {
                    return false; // a key outside the schema becomes metadata: the document path
                }
            }

            // Only white space may follow the object (as a document requires).
            r.Read();

            if (openingEnd > 0)
            {
                RecordPrefix(line[..openingEnd], openingState);
            }

            var b = _b;
            var index = b.Count;
            foreach (var (kind, field, text) in _pending)
            {
                switch (kind)
                {
                    case KindProblem:
                        b.Problem(index, field, text!);
                        break;
                    case KindScoreProblem:
                        b.ScoreProblem(index, text!);
                        break;
                    default:
                        _run.Observe(field!, text, index);
                        break;
                }
            }

            if (!idSeen)
            {
                b.Problem(index, _o.ItemColumn, $"required field '{_o.ItemColumn}' is missing");
            }

            if (!scoreSeen)
            {
                b.ScoreProblem(index, $"required field '{_o.ScoreColumn}' is missing");
            }

            var clusterCode = cluster.Present ? b.ClusterCode(cluster.In(line)) : -1;
            var meta = metadata ? _metadataText.Written : default;
            var value = scoreOk ? score : double.NaN;
            if (id.Present)
            {
                b.AddUtf8(id.In(line), value, clusterCode, epoch, meta);
            }
            else
            {
                b.AddWithoutId(value, clusterCode, epoch, meta);
            }

            return true;
        }

        /// <summary>
        /// A string or number value of the line as a slice of it (no copy), or as its unescaped bytes when the
        /// string has escapes; absent (and skipped) for anything else, null included.
        /// </summary>
        private readonly struct LineValue
        {
            private readonly int _start;
            private readonly int _length;
            private readonly byte[]? _copy;

            private LineValue(int start, int length, byte[]? copy) => (_start, _length, _copy, Present) = (start, length, copy, true);

            public bool Present { get; }

            public static LineValue At(ref Utf8JsonReader r)
            {
                if (r.TokenType == JsonTokenType.String && r.ValueIsEscaped)
                {
                    return new LineValue(0, 0, RunFrameJsonReader.Unescaped(ref r));
                }

                if (r.TokenType is JsonTokenType.String or JsonTokenType.Number)
                {
                    return new LineValue((int)r.TokenStartIndex + (r.TokenType == JsonTokenType.String ? 1 : 0), r.ValueSpan.Length, null);
                }

                r.Skip();
                return default;
            }

            public ReadOnlySpan<byte> In(ReadOnlySpan<byte> line) => _copy ?? line.Slice(_start, _length);
        }

        /// <summary>
        /// A run field's value is held for <see cref="RunFieldAccumulator.Observe"/> only when it differs
        /// from the value last observed for that field (observing an equal value again changes nothing),
        /// so the usual file, whose every line repeats the same run fields, makes no string per line.
        /// </summary>
        private void ObserveRunField(ref Utf8JsonReader r, ReadOnlySpan<byte> line, int f)
        {
            var start = (int)r.TokenStartIndex;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                r.Skip();
            }

            var raw = line[start..(int)r.BytesConsumed];

            // "timestamp" is observed as "ts": one slot for both.
            var slot = f == _runNames.Length - 1 ? f - 1 : f;
            if (_lastRunValue[slot] is { } last && raw.SequenceEqual(last.AsSpan(0, _lastRunLength[slot])))
            {
                return;
            }

            if (_lastRunValue[slot] is null || _lastRunValue[slot]!.Length < raw.Length)
            {
                _lastRunValue[slot] = new byte[Math.Max(raw.Length, 64)];
            }

            raw.CopyTo(_lastRunValue[slot]);
            _lastRunLength[slot] = raw.Length;
            var text = r.TokenType switch
            {
                JsonTokenType.String => r.GetString(),
                JsonTokenType.Null => null,
                _ => Encoding.UTF8.GetString(raw),
            };
            _pending.Add((KindObserve, _runNameStrings[f], text));
        }

        /// <summary>The value's text as written (JsonElement.GetRawText), for messages.</summary>
        private static string RawText(ref Utf8JsonReader r, ReadOnlySpan<byte> line)
        {
            var start = (int)r.TokenStartIndex;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                r.Skip();
            }

            return Encoding.UTF8.GetString(line[start..(int)r.BytesConsumed]);
        }
    }

    private static void ReadItem(JsonElement obj, int index, RunFrameBuilder b, RunFrameReadOptions o, RunFieldAccumulator run)
    {
        string? id = null;
        var score = double.NaN;
        var scoreOk = false;
        string? cluster = null;
        var epoch = 0;
        string? metadata = null;
        var idSeen = false;
        var scoreSeen = false;
        OrderedStringDictionary? extras = null;

        foreach (var p in obj.EnumerateObject())
        {
            var v = p.Value;
            if (p.NameEquals(o.ItemColumn))
            {
                idSeen = true;
                id = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                };
                if (id is null)
                {
                    b.Problem(index, o.ItemColumn, "item_id must be a string");
                }
            }
            else if (p.NameEquals(o.ScoreColumn))
            {
                scoreSeen = true;
                if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var s) && double.IsFinite(s))
                {
                    score = s;
                    scoreOk = true;
                }
                else
                {
                    b.ScoreProblem(index, v.ValueKind == JsonValueKind.Number
                        ? "score must be a finite number, not " + v.GetRawText()
                        : "score must be a number, not " + v.GetRawText());
                }
            }
            else if (p.NameEquals(o.ClusterColumn))
            {
                cluster = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                };
            }
            else if (p.NameEquals(o.EpochColumn))
            {
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var e))
                {
                    epoch = e;
                }
                else if (v.ValueKind != JsonValueKind.Null)
                {
                    b.Problem(index, o.EpochColumn, "epoch must be an integer >= 0, not " + v.GetRawText());
                }
            }
            else if (p.NameEquals("metadata") || p.NameEquals(RunFrameColumns.MetadataJson))
            {
                if (v.ValueKind == JsonValueKind.Object)
                {
                    metadata = v.EnumerateObject().MoveNext() ? JsonValues.Minify(v) : null;
                }
                else if (v.ValueKind == JsonValueKind.String)
                {
                    metadata = MetadataText.Normalize(v.GetString(), b, index);
                }
                else if (v.ValueKind != JsonValueKind.Null)
                {
                    b.Problem(index, "metadata", "metadata must be an object");
                }
            }
            else if (RunFrameColumns.IsRunField(p.Name))
            {
                run.Observe(p.Name, v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? null : v.GetRawText(), index);
            }
            else
            {
                extras ??= new OrderedStringDictionary();
                extras[p.Name] = JsonValues.ToObject(v);
            }
        }

        if (!idSeen)
        {
            b.Problem(index, o.ItemColumn, $"required field '{o.ItemColumn}' is missing");
        }

        if (!scoreSeen)
        {
            b.ScoreProblem(index, $"required field '{o.ScoreColumn}' is missing");
        }

        if (extras is not null)
        {
            metadata = MetadataText.Merge(metadata, extras);
        }

        b.Add(id, scoreOk ? score : double.NaN, cluster, epoch, metadata);
    }
}

/// <summary>Run fields seen row by row (JSONL lines, CSV rows, Parquet rows): all rows must agree.</summary>
internal sealed class RunFieldAccumulator
{
    private readonly RunFrameBuilder _b;
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public RunFieldAccumulator(RunFrameBuilder b) => _b = b;

    public void Observe(string field, string? value, int itemIndex)
    {
        if (field == "timestamp")
        {
            field = RunFrameColumns.Ts;
        }

        if (!_values.TryGetValue(field, out var first))
        {
            _values[field] = value;
            return;
        }

        if (!string.Equals(first, value, StringComparison.Ordinal) && _reported.Add(field))
        {
            _b.Problem(itemIndex, field, $"'{field}' is '{value}' here but '{first}' on the first row; a RunFrame file holds one run");
        }
    }

    public RunFrameHeader ToHeader()
    {
        DateTimeOffset? ts = null;
        if (Get(RunFrameColumns.Ts) is { Length: > 0 } tsText)
        {
            if (DateTimeOffset.TryParse(tsText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                ts = parsed;
            }
            else
            {
                _b.Problem(null, RunFrameColumns.Ts, $"'{tsText}' is not an ISO-8601 date and time");
            }
        }

        return new RunFrameHeader(
            Get(RunFrameColumns.RunId),
            Get(RunFrameColumns.ModelId),
            Get(RunFrameColumns.TaskId),
            Get(RunFrameColumns.MetricName),
            Get(RunFrameColumns.ConfigHash),
            Get(RunFrameColumns.ProjectId),
            ts);
    }

    private string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Item metadata as minified JSON object text; null means the empty object.</summary>
internal static class MetadataText
{
    public static string? Normalize(string? json, RunFrameBuilder b, int index)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json must hold a JSON object");
                return null;
            }

            return doc.RootElement.EnumerateObject().MoveNext() ? JsonValues.Minify(doc.RootElement) : null;
        }
        catch (JsonException ex)
        {
            b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json is not valid JSON: " + ex.Message.Split(" LineNumber:")[0].Trim());
            return null;
        }
    }

    /// <summary>
    /// <see cref="Normalize"/> over UTF-8 without a document or a string: the minified object is written to
    /// <paramref name="buffer"/> (true), or nothing is (false: blank, empty, or a problem reported).
    /// </summary>
    public static bool NormalizeUtf8(ReadOnlySpan<byte> json, RunFrameBuilder b, int index, ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        if (RunFrameJsonlReader.IsBlank(json))
        {
            return false;
        }

        try
        {
            var r = new Utf8JsonReader(json, isFinalBlock: true, state: default);
            r.Read();
            if (r.TokenType != JsonTokenType.StartObject)
            {
                // A document would first have read the whole value (and refused what follows it).
                r.Skip();
                r.Read();
                b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json must hold a JSON object");
                return false;
            }

            var peek = r;
            peek.Read();
            var empty = peek.TokenType == JsonTokenType.EndObject;
            if (empty)
            {
                r = peek;
            }
            else
            {
                buffer.ResetWrittenCount();
                writer.Reset(buffer);
                RunFrameJsonReader.CopyMinified(ref r, writer);
                writer.Flush();
            }

            r.Read(); // only white space may follow
            return !empty;
        }
        catch (JsonException ex)
        {
            b.Problem(index, RunFrameColumns.MetadataJson, "metadata_json is not valid JSON: " + ex.Message.Split(" LineNumber:")[0].Trim());
            return false;
        }
    }

    public static string? Merge(string? metadata, OrderedStringDictionary extras)
    {
        var merged = metadata is null ? new OrderedStringDictionary() : (OrderedStringDictionary)JsonValues.ParseObject(metadata);
        foreach (var kv in extras)
        {
            if (!merged.ContainsKey(kv.Key))
            {
                merged[kv.Key] = kv.Value;
            }
        }

        if (merged.Count == 0)
        {
            return null;
        }

        return JsonValues.Serialize(merged);
    }
}
