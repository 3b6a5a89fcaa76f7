using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace EvalSig.Core.Audit;

/// <summary>One complete stored line (without its newline) and where it starts in the ledger.</summary>
public readonly record struct LedgerLine(long Offset, ReadOnlyMemory<byte> Utf8);

/// <summary>The fields of a stored line that chaining and indexing need, read without a DOM.</summary>
internal struct LineFields
{
    public long Position;
    public string? Hmac;
    public string? PrevHmac;
    public string? KeyId;
    public string? RecordId;
    public string? SchemaKey;
    public string? ProjectId;
    public string? Timestamp;

    /// <summary>False when the line is not a JSON object with the record fields.</summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out LineFields f)
    {
        f = default;
        var havePos = false;
        try
        {
            var r = new Utf8JsonReader(line, isFinalBlock: true, default);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("chain_position"u8))
                {
                    r.Read();
                    havePos = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out f.Position);
                }
                else if (r.ValueTextEquals("hmac"u8))
                {
                    f.Hmac = ReadString(ref r);
                }
                else if (r.ValueTextEquals("prev_hmac"u8))
                {
                    f.PrevHmac = ReadString(ref r);
                }
                else if (r.ValueTextEquals("key_id"u8))
                {
                    f.KeyId = ReadString(ref r);
                }
                else if (r.ValueTextEquals("record_id"u8))
                {
                    f.RecordId = ReadString(ref r);
                }
                else if (r.ValueTextEquals("schema_key"u8))
                {
                    f.SchemaKey = ReadString(ref r);
                }
                else if (r.ValueTextEquals("project_id"u8))
                {
                    f.ProjectId = ReadString(ref r);
                }
                else if (r.ValueTextEquals("timestamp"u8))
                {
                    f.Timestamp = ReadString(ref r);
                }
                else
                {
                    r.Read();
                    r.Skip();
                }
            }

            return havePos && f.Hmac is not null && f.KeyId is not null && f.RecordId is not null && f.SchemaKey is not null && f.Timestamp is not null
                && r.TokenType == JsonTokenType.EndObject && !r.Read();
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? ReadString(ref Utf8JsonReader r)
    {
        r.Read();
        return r.TokenType == JsonTokenType.String ? r.GetString() : r.TokenType == JsonTokenType.Null ? null : throw new JsonException("not a string");
    }
}

/// <summary>Reading a JSONL ledger file: complete lines in order, and any torn tail.</summary>
internal static class LedgerFile
{
    /// <summary>
    /// Complete lines from <paramref name="start"/> on; a final line without newline is not yielded.
    /// Lines are slices of 4 MiB read buffers (a fresh buffer per read, so a line stays valid after
    /// the next is read): no copy per line.
    /// </summary>
    public static IEnumerable<LedgerLine> Lines(string path, long start = 0, long? end = null)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var limit = end ?? fs.Length;
        fs.Position = start;
        var carry = Array.Empty<byte>();
        var position = start;
        while (position < limit)
        {
            var size = (int)Math.Min(Math.Max(1 << 22, carry.Length * 2L), carry.Length + (limit - position));
            var buffer = new byte[size];
            Buffer.BlockCopy(carry, 0, buffer, 0, carry.Length);
            var filled = carry.Length;
            var bufferStart = position - carry.Length;
            while (filled < size)
            {
                var n = fs.Read(buffer, filled, size - filled);
                if (n == 0)
                {
                    break;
                }

                filled += n;
            }

            position = bufferStart + filled;
            var pos = 0;
            while (true)
            {
                var nl = Array.IndexOf(buffer, (byte)'\n', pos, filled - pos);
                if (nl < 0)
                {
                    break;
                }

                yield return new LedgerLine(bufferStart + pos, new ReadOnlyMemory<byte>(buffer, pos, nl - pos));
                pos = nl + 1;
            }

            carry = buffer.AsSpan(pos, filled - pos).ToArray();
            if (filled < size)
            {
                break; // end of file: what is left is a torn tail (or nothing)
            }
        }
    }

    /// <summary>The ledger's length, where its last complete line starts and ends, and the torn bytes after it.</summary>
    public static (long Length, long LastLineStart, long CompleteLength) Tail(string path)
    {
        if (!File.Exists(path))
        {
            return (0, -1, 0);
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        var length = fs.Length;
        var complete = LastNewlineBefore(fs, length) + 1; // bytes up to and including the last newline
        var lastStart = complete == 0 ? -1 : LastNewlineBefore(fs, complete - 1) + 1;
        return (length, lastStart, complete);
    }

    public static byte[] ReadRange(string path, long offset, int count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        var bytes = new byte[count];
        fs.Position = offset;
        fs.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Offset of the last '\n' before <paramref name="end"/>, or -1.</summary>
    private static long LastNewlineBefore(FileStream fs, long end)
    {
        var buffer = new byte[64 * 1024];
        var pos = end;
        while (pos > 0)
        {
            var n = (int)Math.Min(buffer.Length, pos);
            fs.Position = pos - n;
            fs.ReadExactly(buffer, 0, n);
            var i = Array.LastIndexOf(buffer, (byte)'\n', n - 1, n);
            if (i >= 0)
            {
                return pos - n + i;
            }

            pos -= n;
        }

        return -1;
    }
}
