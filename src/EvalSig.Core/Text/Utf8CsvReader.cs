using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace EvalSig.Core.Text;

/// <summary>
/// The rules of <see cref="CsvRecordReader"/> (RFC 4180; an unquoted empty field is null, a quoted one
/// empty; a record ends at LF, CRLF or a lone CR; quoted fields may hold line breaks) over UTF-8 bytes:
/// a record is parsed in place in a pooled window and its fields are ranges of it, so reading makes no
/// string per field (issue 16). Each record is checked to be valid UTF-8 before it is returned.
/// </summary>
internal sealed class Utf8CsvReader : IDisposable
{
    private readonly ByteWindow _window;
    private int[] _starts = new int[16];
    private int[] _lengths = new int[16];
    private long _line = 1;

    public Utf8CsvReader(Stream stream) => _window = new ByteWindow(stream);

    /// <summary>1-based line where the last record returned started.</summary>
    public long RecordLine { get; private set; }

    /// <summary>Fields of the last record.</summary>
    public int Count { get; private set; }

    /// <summary>A field's bytes (quotes removed, doubled quotes undone); valid until the next Read.</summary>
    public ReadOnlySpan<byte> Field(int i) => _lengths[i] < 0 ? default : _window.Buffer.AsSpan(_starts[i], _lengths[i]);

    /// <summary>True for an unquoted empty field (null in <see cref="CsvRecordReader"/>).</summary>
    public bool IsNull(int i) => _lengths[i] < 0;

    public string? FieldString(int i) => IsNull(i) ? null : Encoding.UTF8.GetString(Field(i));

    /// <summary>Reads the next record; false at end of input.</summary>
    /// <exception cref="FormatException">An unterminated quoted field or text after a closing quote.</exception>
    /// <exception cref="InvalidUtf8Exception">The record is not valid UTF-8.</exception>
    public bool Read()
    {
        RecordLine = _line;
        while (true)
        {
            var status = TryParse(out var consumed, out var lines);
            if (status > 0)
            {
                var record = _window.Buffer.AsSpan(_window.Start, consumed);
                InvalidUtf8Exception.ThrowIfInvalid(record, RecordLine);
                UndoDoubledQuotes();
                _window.Start += consumed;
                _line += lines;
                return true;
            }

            if (status == 0)
            {
                return false;
            }

            _window.Refill();
        }
    }

    /// <summary>1 with a record, 0 at the end of input, -1 when the window ends inside the record.</summary>
    private int TryParse(out int consumed, out long lines)
    {
        consumed = 0;
        lines = 0;
        Count = 0;
        var eof = _window.Eof;
        var baseAt = _window.Start;
        var s = _window.Rest;
        if (s.IsEmpty)
        {
            return eof ? 0 : -1;
        }

        var k = 0;
        while (true)
        {
            int c; // the byte after the field, -1 at the end of input
            if (k < s.Length && s[k] == (byte)'"')
            {
                k++;
                var start = k;
                var doubled = false;
                while (true)
                {
                    var j = s[k..].IndexOf((byte)'"');
                    if (j < 0)
                    {
                        if (eof)
                        {
                            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"unterminated quoted field starting on line {RecordLine}"));
                        }

                        return -1;
                    }

                    k += j + 1;
                    if (k == s.Length && !eof)
                    {
                        return -1;
                    }

                    if (k < s.Length && s[k] == (byte)'"')
                    {
                        doubled = true;
                        k++;
                        continue;
                    }

                    break;
                }

                var end = k - 1;
                lines += s[start..end].Count((byte)'\n');
                Add(baseAt + start, doubled ? -(end - start) - 2 : end - start);
                if (k == s.Length)
                {
                    c = -1;
                }
                else
                {
                    c = s[k];
                }
            }
            else
            {
                var j = s[k..].IndexOfAny((byte)',', (byte)'\r', (byte)'\n');
                if (j < 0 && !eof)
                {
                    return -1;
                }

                var end = j < 0 ? s.Length : k + j;
                Add(baseAt + k, end == k ? -1 : end - k);
                k = end;
                c = j < 0 ? -1 : s[k];
            }

            switch (c)
            {
                case ',':
                    k++;
                    continue;
                case '\r':
                    k++;
                    if (k == s.Length && !eof)
                    {
                        return -1;
                    }

                    if (k < s.Length && s[k] == (byte)'\n')
                    {
                        k++;
                    }

                    lines++;
                    consumed = k;
                    return 1;
                case '\n':
                    k++;
                    lines++;
                    consumed = k;
                    return 1;
                case -1:
                    consumed = k;
                    return 1;
                default:
                    // As the text reader would show it: the character there, decoded.
                    if (s.Length - k < 4 && !eof)
                    {
                        return -1;
                    }

                    Rune.DecodeFromUtf8(s[k..], out var rune, out _);
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"unexpected character '{rune.ToString()[0]}' after a quoted field on line {_line + lines}"));
            }
        }
    }

    /// <summary>
    /// Records a field; a length of -1 is an unquoted empty field (null), and -(n + 2) a quoted field of n
    /// bytes with doubled quotes still to undo once the record is complete.
    /// </summary>
    private void Add(int start, int length)
    {
        if (Count == _starts.Length)
        {
            Array.Resize(ref _starts, Count * 2);
            Array.Resize(ref _lengths, Count * 2);
        }

        _starts[Count] = start;
        _lengths[Count] = length;
        Count++;
    }

    /// <summary>Turns "" into " in place (the record's bytes are not parsed again).</summary>
    private void UndoDoubledQuotes()
    {
        for (var i = 0; i < Count; i++)
        {
            if (_lengths[i] >= -1)
            {
                continue;
            }

            var field = _window.Buffer.AsSpan(_starts[i], -_lengths[i] - 2);
            var w = 0;
            for (var r = 0; r < field.Length; r++)
            {
                field[w++] = field[r];
                if (field[r] == (byte)'"')
                {
                    r++; // the second quote of the pair
                }
            }

            _lengths[i] = w;
        }
    }

    public void Dispose() => _window.Dispose();
}
