using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Json;

namespace EvalSig.Core.Audit;

/// <summary>One complete stored line (without its newline) and where it starts in the ledger.</summary>
public readonly record struct LedgerLine(long Offset, ReadOnlyMemory<byte> Utf8);

/// <summary>
/// The fields of a stored line, read in one pass without a DOM - and only from a line that is
/// byte for byte the RFC 8785 canonical encoding EvalSig writes, with exactly the members of a
/// record. Any other byte sequence (white space, another member order, an escape or number written
/// differently, an extra member, a duplicate) is not a record: the project never writes one, so it
/// can only be an edit.
/// </summary>
internal struct LineFields
{
    public const int CurrentVersion = 2;

    public long Position;
    public string? Hmac;
    public string? PrevHmac;
    public string? KeyId;
    public string? RecordId;
    public string? SchemaKey;
    public string? ProjectId;
    public string? Timestamp;

    /// <summary>1: written before key derivation (no version member); 2: the current format.</summary>
    public int Version;

    /// <summary>Where the payload object starts in the line, and its length.</summary>
    public int PayloadStart;
    public int PayloadLength;

    /// <summary>The bytes of <c>,"hmac":"..."</c>: the MAC input is the line without them.</summary>
    public int HmacMemberStart;
    public int HmacMemberEnd;

    /// <summary>
    /// Where each string value sits in the line (inside its quotes, still as written). A canonical
    /// line writes a string one way only, so equal raw bytes are equal strings: hot loops compare
    /// and decode these instead of allocating strings (<see cref="TryReadRaw"/>).
    /// </summary>
    public ValueRange HmacRaw;
    public ValueRange PrevHmacRaw;
    public ValueRange KeyIdRaw;
    public ValueRange RecordIdRaw;
    public ValueRange SchemaKeyRaw;
    public ValueRange ProjectIdRaw;
    public ValueRange TimestampRaw;

    // The record's members in canonical (sorted) order; version is optional (absent in format 1).
    private static readonly string[] Members = { "chain_position", "hmac", "key_id", "payload", "prev_hmac", "project_id", "record_id", "schema_key", "timestamp", "version" };
    private static readonly byte[][] MembersUtf8 = Array.ConvertAll(Members, Encoding.UTF8.GetBytes);

    /// <summary>False when the line is not a canonical record.</summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out LineFields f) => TryRead(line, out f, out _);

    /// <summary>False, with the reason, when the line is not a canonical record.</summary>
    public static bool TryRead(ReadOnlySpan<byte> line, out LineFields f, out string? problem) => TryRead(line, out f, out problem, strings: true);

    /// <summary>
    /// The same strict check, but string values are only located (the <c>*Raw</c> ranges), not
    /// decoded - except those written with escapes, which are decoded as well. Read a value with
    /// <see cref="Text"/>.
    /// </summary>
    public static bool TryReadRaw(ReadOnlySpan<byte> line, out LineFields f, out string? problem) => TryRead(line, out f, out problem, strings: false);

    /// <summary>A string value as text: the decoded one where there is one, else its raw bytes (which then hold no escape).</summary>
    public static string? Text(ReadOnlySpan<byte> line, string? decoded, ValueRange raw)
        => raw.IsNull ? null : decoded ?? Encoding.UTF8.GetString(line.Slice(raw.Start, raw.Length));

    private static bool TryRead(ReadOnlySpan<byte> line, out LineFields f, out string? problem, bool strings)
    {
        f = default;
        problem = null;
        if (!System.Text.Unicode.Utf8.IsValid(line))
        {
            problem = "the line is not valid UTF-8";
            return false;
        }

        try
        {
            return Read(line, ref f, out problem, strings);
        }
        catch (JsonException ex)
        {
            problem = "the line is not JSON (" + ex.Message + ")";
            return false;
        }
        catch (InvalidOperationException ex)
        {
            problem = "the line is not a record (" + ex.Message + ")";
            return false;
        }
    }

    private static bool Read(ReadOnlySpan<byte> line, ref LineFields f, out string? problem, bool strings)
    {
        problem = null;
        var r = new Utf8JsonReader(line, isFinalBlock: true, default);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject || r.TokenStartIndex != 0)
        {
            problem = "the line is not a JSON object";
            return false;
        }

        // Per open object (by reader depth): where its previous member name sits, to check the
        // canonical order. The reader refuses more than 64 levels, so these never overflow.
        Span<int> nameStarts = stackalloc int[66];
        Span<int> nameLengths = stackalloc int[66];
        Span<bool> nameEscaped = stackalloc bool[66];
        nameStarts[0] = -1;
        var expectedMember = 0;
        var member = -1; // the top-level member whose value comes next
        var previousEnd = r.BytesConsumed;
        var havePosition = false;
        while (r.Read())
        {
            // Canonical JSON has no white space: tokens touch, separated by at most one comma
            // (the colon is read with the member name).
            var gap = r.TokenStartIndex - previousEnd;
            if (gap > 1 || (gap == 1 && line[(int)previousEnd] != (byte)','))
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"white space or a stray byte at byte {previousEnd}: not the canonical encoding");
                return false;
            }

            previousEnd = r.BytesConsumed;
            var depth = r.CurrentDepth;
            switch (r.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var nameStart = (int)r.TokenStartIndex + 1;
                    var nameLength = r.ValueSpan.Length;
                    if (r.BytesConsumed - r.TokenStartIndex != nameLength + 3)
                    {
                        problem = "white space around a member name: not the canonical encoding";
                        return false;
                    }

                    if (r.ValueIsEscaped && !CanonicalEscapes(r.ValueSpan))
                    {
                        problem = "a member name is escaped differently than RFC 8785 writes it";
                        return false;
                    }

                    // Top-level names are checked against the record's members, in their
                    // (sorted) order, just below: that already rules out disorder and repeats.
                    if (depth != 1 && nameStarts[depth] >= 0 && Compare(line, (nameStarts[depth], nameLengths[depth], nameEscaped[depth]), (nameStart, nameLength, r.ValueIsEscaped)) >= 0)
                    {
                        problem = "members out of canonical order, or a member twice";
                        return false;
                    }

                    nameStarts[depth] = nameStart;
                    nameLengths[depth] = nameLength;
                    nameEscaped[depth] = r.ValueIsEscaped;
                    if (depth == 1)
                    {
                        if (expectedMember >= Members.Length || !r.ValueTextEquals(MembersUtf8[expectedMember]))
                        {
                            var name = r.GetString()!;
                            var index = Array.IndexOf(Members, name);
                            problem = index < 0 ? $"member '{name}' is not part of a record"
                                : index < expectedMember ? "members out of canonical order" : $"member '{Members[expectedMember]}' is missing";
                            return false;
                        }

                        member = expectedMember++;
                        if (member == HmacMember)
                        {
                            f.HmacMemberStart = nameStart - 2; // the comma before "hmac"
                        }
                    }

                    break;
                case JsonTokenType.StartObject:
                    nameStarts[depth + 1] = -1;
                    if (depth == 1 && !TopLevelValue(ref r, ref f, member, ref havePosition, strings, out problem))
                    {
                        return false;
                    }

                    break;
                case JsonTokenType.EndObject:
                    if (depth == 1 && member == PayloadMember)
                    {
                        f.PayloadLength = (int)r.BytesConsumed - f.PayloadStart;
                    }

                    if (depth == 0)
                    {
                        if (r.BytesConsumed != line.Length)
                        {
                            problem = "bytes after the record's closing brace";
                            return false;
                        }

                        return Complete(ref f, expectedMember, havePosition, out problem);
                    }

                    break;
                case JsonTokenType.String:
                    if (r.ValueIsEscaped && !CanonicalEscapes(r.ValueSpan))
                    {
                        problem = "a string is escaped differently than RFC 8785 writes it";
                        return false;
                    }

                    if (depth == 1 && !TopLevelValue(ref r, ref f, member, ref havePosition, strings, out problem))
                    {
                        return false;
                    }

                    break;
                case JsonTokenType.Number:
                    if (!CanonicalNumber(r.ValueSpan))
                    {
                        problem = $"the number {Encoding.ASCII.GetString(r.ValueSpan)} is not written as RFC 8785 (ECMAScript) writes it";
                        return false;
                    }

                    if (depth == 1 && !TopLevelValue(ref r, ref f, member, ref havePosition, strings, out problem))
                    {
                        return false;
                    }

                    break;
                default:
                    if (depth == 1 && !TopLevelValue(ref r, ref f, member, ref havePosition, strings, out problem))
                    {
                        return false;
                    }

                    break;
            }
        }

        problem = "the record is incomplete";
        return false;
    }

    private const int HmacMember = 1;

    private const int PayloadMember = 3;

    /// <summary>Checks and keeps the value of a top-level member (the reader is on its first token).</summary>
    private static bool TopLevelValue(ref Utf8JsonReader r, ref LineFields f, int member, ref bool havePosition, bool strings, out string? problem)
    {
        problem = null;
        var name = Members[member];
        switch (name)
        {
            case "chain_position":
                if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out f.Position) || f.Position < 0)
                {
                    problem = "'chain_position' must be a whole number, 0 or more";
                    return false;
                }

                havePosition = true;
                return true;
            case "payload":
                if (r.TokenType != JsonTokenType.StartObject)
                {
                    problem = "'payload' must be an object";
                    return false;
                }

                f.PayloadStart = (int)r.TokenStartIndex;
                return true;
            case "version":
                if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out f.Version) || f.Version != CurrentVersion)
                {
                    problem = "'version' must be 2 (the only format with a version member)";
                    return false;
                }

                return true;
        }

        string? value;
        ValueRange raw;
        if (r.TokenType == JsonTokenType.String)
        {
            value = strings || r.ValueIsEscaped ? r.GetString() : null;
            raw = new ValueRange((int)r.TokenStartIndex + 1, r.ValueSpan.Length);
        }
        else if (r.TokenType == JsonTokenType.Null && name is "prev_hmac" or "project_id")
        {
            value = null;
            raw = ValueRange.Null;
        }
        else
        {
            problem = $"'{name}' must be a string{(name is "prev_hmac" or "project_id" ? " or null" : string.Empty)}";
            return false;
        }

        switch (name)
        {
            case "hmac":
                (f.Hmac, f.HmacRaw) = (value, raw);
                f.HmacMemberEnd = (int)r.BytesConsumed;
                break;
            case "key_id": (f.KeyId, f.KeyIdRaw) = (value, raw); break;
            case "prev_hmac": (f.PrevHmac, f.PrevHmacRaw) = (value, raw); break;
            case "project_id": (f.ProjectId, f.ProjectIdRaw) = (value, raw); break;
            case "record_id": (f.RecordId, f.RecordIdRaw) = (value, raw); break;
            case "schema_key": (f.SchemaKey, f.SchemaKeyRaw) = (value, raw); break;
            case "timestamp": (f.Timestamp, f.TimestampRaw) = (value, raw); break;
        }

        return true;
    }

    private static bool Complete(ref LineFields f, int expectedMember, bool havePosition, out string? problem)
    {
        problem = null;
        if (expectedMember < Members.Length - 1)
        {
            problem = $"member '{Members[expectedMember]}' is missing";
            return false;
        }

        if (f.Version == 0)
        {
            f.Version = 1;
        }

        return havePosition;
    }

    /// <summary>Escapes as RFC 8785 writes them: \" \\ \b \f \n \r \t, and \u00xx (lower case) for other controls only.</summary>
    private static bool CanonicalEscapes(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                continue;
            }

            var c = raw[++i];
            switch (c)
            {
                case (byte)'"' or (byte)'\\' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    break;
                case (byte)'u':
                    var hex = raw.Slice(i + 1, 4);
                    if (hex[0] != '0' || hex[1] != '0' || hex[2] is not ((byte)'0' or (byte)'1') || !IsLowerHex(hex[3]))
                    {
                        return false;
                    }

                    var v = ((hex[2] - '0') << 4) | (hex[3] <= '9' ? hex[3] - '0' : hex[3] - 'a' + 10);
                    if (v is 0x08 or 0x09 or 0x0A or 0x0C or 0x0D)
                    {
                        return false; // these have short forms
                    }

                    i += 4;
                    break;
                default:
                    return false; // "\/" and anything else RFC 8785 never writes
            }
        }

        return true;
    }

    private static bool IsLowerHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f');

    /// <summary>The number exactly as ECMAScript's Number.prototype.toString prints its double.</summary>
    internal static bool CanonicalNumber(ReadOnlySpan<byte> raw)
    {
        // Fast path: a plain integer of up to 15 digits is exact and printed as is.
        var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
        if (digits.Length is > 0 and <= 15 && !(digits.Length > 1 && digits[0] == (byte)'0') && digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
        {
            return !(raw[0] == (byte)'-' && digits.Length == 1 && digits[0] == (byte)'0');
        }

        if (!System.Buffers.Text.Utf8Parser.TryParse(raw, out double d, out var consumed) || consumed != raw.Length || !double.IsFinite(d))
        {
            return false;
        }

        // .NET's shortest round-trip form is ECMAScript's whenever it has no exponent.
        Span<byte> shortest = stackalloc byte[32];
        if (d.TryFormat(shortest, out var written, "R", CultureInfo.InvariantCulture) && shortest[..written].IndexOf((byte)'E') < 0)
        {
            return raw.SequenceEqual(shortest[..written]) && !(raw.Length == 2 && raw[0] == (byte)'-' && raw[1] == (byte)'0');
        }

        return Encoding.ASCII.GetString(raw) == CanonicalJson.FormatNumber(d);
    }

    /// <summary>Compares two member names by UTF-16 code units (RFC 8785 3.2.3).</summary>
    private static int Compare(ReadOnlySpan<byte> line, (int Start, int Length, bool Escaped) a, (int Start, int Length, bool Escaped) b)
    {
        var x = line.Slice(a.Start, a.Length);
        var y = line.Slice(b.Start, b.Length);

        // UTF-8 byte order is code point order, which is UTF-16 order unless a supplementary
        // character meets one from U+E000..U+FFFF (lead bytes 0xEE and above).
        if (!a.Escaped && !b.Escaped && x.IndexOfAnyInRange((byte)0xEE, (byte)0xFF) < 0 && y.IndexOfAnyInRange((byte)0xEE, (byte)0xFF) < 0)
        {
            return x.SequenceCompareTo(y);
        }

        return string.CompareOrdinal(Unescape(x, a.Escaped), Unescape(y, b.Escaped));
    }

    private static string Unescape(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!escaped)
        {
            return Encoding.UTF8.GetString(raw);
        }

        var quoted = new byte[raw.Length + 2];
        quoted[0] = (byte)'"';
        raw.CopyTo(quoted.AsSpan(1));
        quoted[^1] = (byte)'"';
        var r = new Utf8JsonReader(quoted);
        r.Read();
        return r.GetString()!;
    }
}

/// <summary>Where a string value sits in a line (inside its quotes); length -1 for JSON null.</summary>
internal readonly record struct ValueRange(int Start, int Length)
{
    public static ValueRange Null => new(0, -1);

    public bool IsNull => Length < 0;

    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> line) => IsNull ? default : line.Slice(Start, Length);
}

/// <summary>
/// Reading a JSONL ledger file: complete lines in order, and any torn tail. Readers see only the
/// committed part of a ledger (<see cref="LocalLedger"/> works out where it ends): a batch being
/// written, or cut by a crash, is invisible until it commits.
/// </summary>
internal static class LedgerFile
{
    /// <summary>
    /// Complete lines from <paramref name="start"/> up to <paramref name="end"/>; a final line
    /// without newline is not yielded. Lines are slices of 4 MiB read buffers (a fresh buffer per
    /// read, so a line stays valid after the next is read): no copy per line.
    /// </summary>
    public static IEnumerable<LedgerLine> Lines(string path, long start = 0, long? end = null)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var limit = Math.Min(end ?? fs.Length, fs.Length);
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
            filled += fs.ReadAtLeast(buffer.AsSpan(filled, size - filled), size - filled, throwOnEndOfStream: false);

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

    /// <summary>
    /// Complete lines from <paramref name="start"/> up to <paramref name="end"/>, a buffer's worth
    /// at a time, in one reused buffer: each block (and every line in it) is valid only until the
    /// next is read. For whole-ledger passes (index catch-up, verification), where a fresh 4 MiB
    /// buffer per read would cost more in page faults and zeroing than the reading itself.
    /// </summary>
    public static IEnumerable<List<LedgerLine>> Blocks(string path, long start = 0, long? end = null, int bufferSize = 1 << 22)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var limit = Math.Min(end ?? fs.Length, fs.Length);
        fs.Position = start;
        var buffer = new byte[(int)Math.Max(1, Math.Min(bufferSize, limit - start))];
        var lines = new List<LedgerLine>();
        var carry = 0;
        var position = start;
        while (position < limit)
        {
            if (carry == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2); // one line longer than the buffer
            }

            var size = (int)Math.Min(buffer.Length, carry + (limit - position));
            var filled = carry;
            var bufferStart = position - carry;
            filled += fs.ReadAtLeast(buffer.AsSpan(filled, size - filled), size - filled, throwOnEndOfStream: false);

            position = bufferStart + filled;
            lines.Clear();
            var pos = 0;
            while (true)
            {
                var nl = Array.IndexOf(buffer, (byte)'\n', pos, filled - pos);
                if (nl < 0)
                {
                    break;
                }

                lines.Add(new LedgerLine(bufferStart + pos, new ReadOnlyMemory<byte>(buffer, pos, nl - pos)));
                pos = nl + 1;
            }

            if (lines.Count > 0)
            {
                yield return lines;
            }

            carry = filled - pos;
            Array.Copy(buffer, pos, buffer, 0, carry);
            if (filled < size)
            {
                break; // end of file: what is left is a torn tail (or nothing)
            }
        }
    }

    /// <summary>The length of the first <paramref name="limit"/> bytes' last complete line, where it starts, and the torn bytes after it.</summary>
    public static (long Length, long LastLineStart, long CompleteLength) Tail(string path, long? limit = null)
    {
        if (!File.Exists(path))
        {
            return (0, -1, 0);
        }

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        var length = Math.Min(limit ?? fs.Length, fs.Length);
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
