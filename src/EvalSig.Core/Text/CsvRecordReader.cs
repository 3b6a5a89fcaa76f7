using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace EvalSig.Core.Text;

/// <summary>
/// RFC 4180 records: comma separated, double-quoted fields may hold commas, quotes ("") and line
/// breaks. An unquoted empty field reads as null and a quoted empty one as "", so a null and an
/// empty string survive a round trip.
/// </summary>
internal sealed class CsvRecordReader
{
    private readonly TextReader _text;
    private readonly StringBuilder _field = new();

    public CsvRecordReader(TextReader text) => _text = text;

    /// <summary>1-based line where the last record returned started.</summary>
    public long RecordLine { get; private set; }

    private long _line = 1;

    /// <summary>Reads the next record into <paramref name="fields"/>; false at end of input.</summary>
    public bool Read(List<string?> fields)
    {
        fields.Clear();
        RecordLine = _line;
        var c = _text.Read();
        if (c < 0)
        {
            return false;
        }

        while (true)
        {
            _field.Clear();
            var quoted = false;
            if (c == '"')
            {
                quoted = true;
                while (true)
                {
                    c = _text.Read();
                    if (c < 0)
                    {
                        throw new FormatException($"unterminated quoted field starting on line {RecordLine}");
                    }

                    if (c == '"')
                    {
                        if (_text.Peek() == '"')
                        {
                            _text.Read();
                            _field.Append('"');
                            continue;
                        }

                        c = _text.Read();
                        break;
                    }

                    if (c == '\n')
                    {
                        _line++;
                    }

                    _field.Append((char)c);
                }
            }
            else
            {
                while (c >= 0 && c != ',' && c != '\n' && c != '\r')
                {
                    _field.Append((char)c);
                    c = _text.Read();
                }
            }

            fields.Add(quoted || _field.Length > 0 ? _field.ToString() : null);
            if (c == ',')
            {
                c = _text.Read();
                continue;
            }

            if (c == '\r')
            {
                if (_text.Peek() == '\n')
                {
                    _text.Read();
                }

                _line++;
                return true;
            }

            if (c == '\n')
            {
                _line++;
                return true;
            }

            if (c < 0)
            {
                return true;
            }

            throw new FormatException($"unexpected character '{(char)c}' after a quoted field on line {_line}");
        }
    }
}

/// <summary>Writes RFC 4180 fields, quoting only where needed (and always for an empty string).</summary>
internal static class CsvField
{
    public static void Write(TextWriter w, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length == 0 || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || value[0] == ' ' || value[^1] == ' ')
        {
            w.Write('"');
            w.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
            w.Write('"');
        }
        else
        {
            w.Write(value);
        }
    }
}
