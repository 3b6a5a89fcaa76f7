using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Json;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>One record of a proof export: its index (= chain position), inclusion proof and stored bytes.</summary>
internal sealed record ProvenRecord(long Index, IReadOnlyList<byte[]> Proof, byte[] Record, long LineNumber);

/// <summary>
/// An export that verifies on its own (Export-AuditLog -WithProofs): JSON lines, gzipped or not.
/// The first line is <c>{"format":"evalsig.audit-proofs.v1","head":"&lt;signed tree head&gt;"}</c>;
/// each further line is <c>{"index":N,"proof":["&lt;base64&gt;",...],"record":&lt;the stored record&gt;}</c>,
/// the record member being the ledger line byte for byte (its leaf), the proof RFC 9162's PATH(N)
/// in the head's tree. Re-formatting the file changes a record's bytes and fails it, as any edit.
/// </summary>
internal static class ProofExport
{
    public const string Format = "evalsig.audit-proofs.v1";

    /// <summary>Writes atomically; returns the number of records written.</summary>
    public static long Write(string path, SignedTreeHead head, IEnumerable<(long Index, IReadOnlyList<byte[]> Proof, string Line)> records, bool compress, bool noClobber)
    {
        long written = 0;
        AtomicFile.Write(path, stream =>
        {
            using var target = compress ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : null;
            var output = (Stream?)target ?? stream;
            var sb = new StringBuilder(1024);
            sb.Append("{\"format\":");
            CanonicalJson.AppendString(sb, Format);
            sb.Append(",\"head\":");
            CanonicalJson.AppendString(sb, head.Note);
            sb.Append("}\n");
            output.Write(Encoding.UTF8.GetBytes(sb.ToString()));
            foreach (var (index, proof, line) in records)
            {
                sb.Clear();
                sb.Append("{\"index\":").Append(index.ToString(CultureInfo.InvariantCulture)).Append(",\"proof\":[");
                for (var i = 0; i < proof.Count; i++)
                {
                    sb.Append(i == 0 ? "\"" : ",\"").Append(Convert.ToBase64String(proof[i])).Append('"');
                }

                sb.Append("],\"record\":").Append(line).Append("}\n");
                output.Write(Encoding.UTF8.GetBytes(sb.ToString()));
                written++;
            }

            target?.Flush();
        }, noClobber);
        return written;
    }

    /// <summary>
    /// The head, and the records read lazily (the file is opened again when they are enumerated, so
    /// nothing stays open if they never are); a file that is not a proof export is AuditProofInvalid.
    /// </summary>
    public static (SignedTreeHead Head, IEnumerable<ProvenRecord> Records) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw Invalid(path, "does not exist", EvalSigErrorKind.ObjectNotFound);
        }

        var first = ReadLines(path).FirstOrDefault() ?? throw Invalid(path, "is empty");
        SignedTreeHead head;
        try
        {
            using var doc = JsonDocument.Parse(first);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != Format)
            {
                throw Invalid(path, $"does not start with the {Format} header: it is not an export written with -WithProofs");
            }

            head = SignedTreeHead.Parse(doc.RootElement.GetProperty("head").GetString() ?? string.Empty, $"in '{path}'");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Invalid(path, "has a malformed header line: " + ex.Message);
        }

        return (head, ReadLines(path).Skip(1).Select((line, i) => ParseRecord(line, i + 2L)));
    }

    /// <summary>A malformed line becomes a record with index -1, which no proof verifies.</summary>
    private static ProvenRecord ParseRecord(byte[] line, long lineNumber)
    {
        long index = -1;
        var proof = new List<byte[]>();
        byte[]? record = null;
        try
        {
            var r = new Utf8JsonReader(line);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                return new ProvenRecord(-1, proof, line, lineNumber);
            }

            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("index"u8))
                {
                    r.Read();
                    index = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var i) ? i : -1;
                }
                else if (r.ValueTextEquals("proof"u8))
                {
                    r.Read();
                    if (r.TokenType != JsonTokenType.StartArray)
                    {
                        return new ProvenRecord(-1, proof, line, lineNumber);
                    }

                    while (r.Read() && r.TokenType == JsonTokenType.String)
                    {
                        proof.Add(AuditVerifierKey.TryBase64(r.GetString()!, out var h) ? h : Array.Empty<byte>());
                    }
                }
                else if (r.ValueTextEquals("record"u8))
                {
                    r.Read();
                    var start = (int)r.TokenStartIndex;
                    r.Skip();
                    record = line[start..(int)r.BytesConsumed];
                }
                else
                {
                    r.Read();
                    r.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return new ProvenRecord(-1, proof, line, lineNumber);
        }

        return record is null ? new ProvenRecord(-1, proof, line, lineNumber) : new ProvenRecord(index, proof, record, lineNumber);
    }

    private static IEnumerable<byte[]> ReadLines(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> magic = stackalloc byte[2];
        var gz = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        using var input = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var buffered = new BufferedStream(input, 1 << 16);
        var line = new MemoryStream();
        int b;
        while ((b = buffered.ReadByte()) >= 0)
        {
            if (b == '\n')
            {
                if (line.Length > 0)
                {
                    yield return line.ToArray();
                }

                line.SetLength(0);
            }
            else
            {
                line.WriteByte((byte)b);
            }
        }

        if (line.Length > 0)
        {
            yield return line.ToArray();
        }
    }

    private static EvalSigException Invalid(string path, string what, EvalSigErrorKind kind = EvalSigErrorKind.InvalidData)
        => new(EvalSigError.AuditProofInvalid, kind, $"The proof export '{path}' {what}.", path);
}
