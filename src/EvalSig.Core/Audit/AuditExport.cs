using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Text;

namespace EvalSig.Core.Audit;

public enum AuditExportFormat
{
    Jsonl,
    Csv,
}

/// <summary>
/// Exports records as JSONL (the stored lines, verbatim) or CSV (record_id, chain_position,
/// timestamp, schema_key, project_id, key_id, prev_hmac, hmac, payload_json, version), gzipped or
/// not, and reads either back for verification. A JSONL line must be the canonical record, byte for
/// byte, as in the ledger; a CSV row has no canonical bytes, so the record is rebuilt from its
/// fields (payload_json re-canonicalized, under the same exactness rules as a new payload) and
/// the rebuilt record is what must verify.
/// </summary>
public static class AuditExport
{
    public static readonly string[] CsvColumns = { "record_id", "chain_position", "timestamp", "schema_key", "project_id", "key_id", "prev_hmac", "hmac", "payload_json", "version" };

    /// <summary>Writes atomically; returns the number of records written.</summary>
    public static long Write(IEnumerable<AuditRecord> records, string path, AuditExportFormat format, bool compress, bool noClobber, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        long count = 0;
        AtomicFile.Write(path, stream =>
        {
            using var target = compress ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : (Stream)new NonClosingStream(stream);
            using var w = new StreamWriter(target, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            if (format == AuditExportFormat.Csv)
            {
                w.WriteLine(string.Join(",", CsvColumns));
            }

            foreach (var r in records)
            {
                cancel.ThrowIfCancellationRequested();
                if (format == AuditExportFormat.Jsonl)
                {
                    w.WriteLine(r.ToJson());
                }
                else
                {
                    WriteCsv(w, r);
                }

                count++;
            }
        }, noClobber);
        return count;
    }

    /// <summary>The records of an export (JSONL or CSV, gzipped or not) as stored lines.</summary>
    public static IEnumerable<LedgerLine> ReadLines(string path)
    {
        if (Directory.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.ObjectNotFound, $"'{path}' is a directory, not an export file.", path);
        }

        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.ObjectNotFound, $"The export '{path}' does not exist.", path);
        }

        return Iterate(path);
    }

    private static IEnumerable<LedgerLine> Iterate(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> magic = stackalloc byte[2];
        var gz = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        using var input = gz ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var text = new StreamReader(input, new UTF8Encoding(false), true, 1 << 16);
        var first = text.Peek();
        long n = 0;
        if (first == '{')
        {
            string? line;
            while ((line = text.ReadLine()) is not null)
            {
                if (line.Length > 0)
                {
                    yield return new LedgerLine(n++, Encoding.UTF8.GetBytes(line));
                }
            }

            yield break;
        }

        var csv = new CsvRecordReader(text);
        var header = new List<string?>();
        if (!csv.Read(header))
        {
            yield break;
        }

        // Exports from before record format 2 have no version column: their records are format 1.
        var columns = header.Count;
        if (columns is < 9 or > 10 || !header.TrueForAll(h => Array.IndexOf(CsvColumns, h) == header.IndexOf(h)))
        {
            throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.InvalidData, $"'{path}' is neither a JSONL nor a CSV audit export (CSV columns must be: {string.Join(", ", CsvColumns)}).", path);
        }

        var row = new List<string?>();
        while (csv.Read(row))
        {
            if (row.Count == 1 && row[0] is null)
            {
                continue;
            }

            yield return new LedgerLine(n++, Encoding.UTF8.GetBytes(LineFromCsv(row, columns)));
        }
    }

    private static string LineFromCsv(List<string?> row, int columns)
    {
        var version = 1;
        if (row.Count != columns || !long.TryParse(row[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position) || row[8] is null
            || (columns == 10 && !int.TryParse(row[9], NumberStyles.None, CultureInfo.InvariantCulture, out version)))
        {
            return "{}"; // not a record: verification reports it at its position
        }

        string payload;
        try
        {
            payload = Encoding.UTF8.GetString(Json.CanonicalJson.Canonicalize(row[8]!));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException)
        {
            return "{}";
        }

        return RecordCodec.Line(position, row[7] ?? string.Empty, row[5] ?? string.Empty, payload, row[6], row[4], row[0] ?? string.Empty, row[3] ?? string.Empty, row[2] ?? string.Empty, version);
    }

    private static void WriteCsv(StreamWriter w, AuditRecord r)
    {
        CsvField.Write(w, r.RecordId);
        w.Write(',');
        w.Write(r.ChainPosition.ToString(CultureInfo.InvariantCulture));
        w.Write(',');
        CsvField.Write(w, r.TimestampText);
        w.Write(',');
        CsvField.Write(w, r.SchemaKey);
        w.Write(',');
        CsvField.Write(w, r.ProjectId);
        w.Write(',');
        CsvField.Write(w, r.KeyId);
        w.Write(',');
        CsvField.Write(w, r.PrevHmac);
        w.Write(',');
        CsvField.Write(w, r.Hmac);
        w.Write(',');
        CsvField.Write(w, r.PayloadJson);
        w.Write(',');
        w.Write(r.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteLine();
    }

    /// <summary>Lets a writer be disposed without closing the file AtomicFile still has to fsync.</summary>
    private sealed class NonClosingStream : Stream
    {
        private readonly Stream _inner;

        public NonClosingStream(Stream inner) => _inner = inner;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _inner.Length;

        public override long Position
        {
            get => _inner.Position;
            set => throw new NotSupportedException();
        }

        public override void Flush() => _inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);
    }
}
