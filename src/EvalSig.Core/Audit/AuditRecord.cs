using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// One ledger record. Its HMAC covers the RFC 8785 canonical JSON of every other field, position,
/// previous HMAC and format version included, so renumbering, reordering, deleting or inserting
/// records breaks verification.
/// </summary>
public sealed class AuditRecord
{
    internal AuditRecord(string recordId, string schemaKey, string? projectId, string timestampText, long chainPosition, string? prevHmac, string keyId, string payloadJson, string hmac, string backend, string? line, int version)
    {
        Version = version;
        RecordId = recordId;
        SchemaKey = schemaKey;
        ProjectId = projectId;
        TimestampText = timestampText;
        ChainPosition = chainPosition;
        PrevHmac = prevHmac;
        KeyId = keyId;
        PayloadJson = payloadJson;
        Hmac = hmac;
        Backend = backend;
        Line = line;
    }

    public string RecordId { get; }

    public long ChainPosition { get; }

    public DateTimeOffset Timestamp => IsoTime.TryParse(TimestampText, out var t) ? t : default;

    /// <summary>The timestamp exactly as recorded (ISO-8601, microseconds, Z).</summary>
    public string TimestampText { get; }

    public string SchemaKey { get; }

    public string? ProjectId { get; }

    public string KeyId { get; }

    public string Hmac { get; }

    public string? PrevHmac { get; }

    /// <summary>The backend holding the record: "local" for the embedded ledger.</summary>
    public string Backend { get; }

    /// <summary>The payload as canonical JSON.</summary>
    public string PayloadJson { get; }

    public IReadOnlyDictionary<string, object?> Payload => JsonValues.ParseObject(PayloadJson);

    /// <summary>The record format: 2 (keys derived per purpose), or 1 for records written before that.</summary>
    public int Version { get; }

    /// <summary>The stored line, when the record came from a ledger or export.</summary>
    internal string? Line { get; }

    /// <summary>The record as stored: its RFC 8785 canonical JSON, hmac included.</summary>
    public string ToJson() => Line ?? RecordCodec.Line(ChainPosition, Hmac, KeyId, PayloadJson, PrevHmac, ProjectId, RecordId, SchemaKey, TimestampText, Version);

    public override string ToString() => $"#{ChainPosition} {SchemaKey} {RecordId}";
}

/// <summary>Canonical bytes, HMACs and the stored line form of records.</summary>
internal static class RecordCodec
{
    /// <summary>The bytes the HMAC covers: canonical JSON of every field except hmac.</summary>
    public static byte[] MacInput(long position, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp, int version)
        => Encoding.UTF8.GetBytes(Build(position, null, keyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, version));

    /// <summary>The stored line: canonical JSON of every field, hmac included (members in JCS order).</summary>
    public static string Line(long position, string hmac, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp, int version)
        => Build(position, hmac, keyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, version);

    /// <summary>A new record in the current format (2): MAC'd under the key derived for ledger records.</summary>
    public static AuditRecord Create(AuditKey key, long position, string? prevHmac, string schemaKey, string? projectId, string payloadCanonical, DateTimeOffset now, string backend)
    {
        const int version = LineFields.CurrentVersion;
        var timestamp = IsoTime.Format(now);
        var recordId = Uuid7.New(now);
        var hmac = key.Sign(KeyPurpose.LedgerRecord, MacInput(position, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, version));
        var line = Line(position, hmac, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, version);
        return new AuditRecord(recordId, schemaKey, projectId, timestamp, position, prevHmac, key.KeyId, payloadCanonical, hmac, backend, line, version);
    }

    /// <summary>A format-1 record (the undivided key, no version member): for migration tests only.</summary>
    internal static AuditRecord CreateLegacy(AuditKey key, long position, string? prevHmac, string schemaKey, string? projectId, string payloadCanonical, DateTimeOffset now, string backend)
    {
        var timestamp = IsoTime.Format(now);
        var recordId = Uuid7.New(now);
        var input = MacInput(position, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, 1);
        using var h = key.CreateLegacyHmac();
        h.AppendData(input);
        var hmac = AuditKey.HmacPrefix + Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant();
        var line = Line(position, hmac, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp, 1);
        return new AuditRecord(recordId, schemaKey, projectId, timestamp, position, prevHmac, key.KeyId, payloadCanonical, hmac, backend, line, 1);
    }

    /// <summary>Parses a stored line (or an exported record). Throws FormatException, with the reason, when it is not a canonical record.</summary>
    public static AuditRecord Parse(string line, string backend) => ParseStored(Encoding.UTF8.GetBytes(line), backend);

    /// <summary>
    /// Reads a stored line without a DOM; the payload is kept as stored (canonical: the line is).
    /// Throws FormatException, with the reason, when the line is not a canonical record.
    /// </summary>
    public static AuditRecord ParseStored(ReadOnlySpan<byte> line, string backend)
    {
        if (!LineFields.TryRead(line, out var f, out var problem))
        {
            throw new FormatException(problem);
        }

        return FromFields(line, f, backend);
    }

    internal static AuditRecord FromFields(ReadOnlySpan<byte> line, in LineFields f, string backend)
        => new(f.RecordId!, f.SchemaKey!, f.ProjectId, f.Timestamp!, f.Position, f.PrevHmac, f.KeyId!, Encoding.UTF8.GetString(line.Slice(f.PayloadStart, f.PayloadLength)), f.Hmac!, backend, Encoding.UTF8.GetString(line), f.Version);

    private static string Build(long position, string? hmac, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp, int version)
    {
        // Members in RFC 8785 order (sorted by UTF-16 code units); payload is already canonical.
        var sb = new StringBuilder(256 + payloadCanonical.Length);
        sb.Append("{\"chain_position\":").Append(position.ToString(CultureInfo.InvariantCulture));
        if (hmac is not null)
        {
            sb.Append(",\"hmac\":");
            Str(sb, hmac);
        }

        sb.Append(",\"key_id\":");
        Str(sb, keyId);
        sb.Append(",\"payload\":").Append(payloadCanonical);
        sb.Append(",\"prev_hmac\":");
        Str(sb, prevHmac);
        sb.Append(",\"project_id\":");
        Str(sb, projectId);
        sb.Append(",\"record_id\":");
        Str(sb, recordId);
        sb.Append(",\"schema_key\":");
        Str(sb, schemaKey);
        sb.Append(",\"timestamp\":");
        Str(sb, timestamp);
        if (version >= 2)
        {
            sb.Append(",\"version\":").Append(version.ToString(CultureInfo.InvariantCulture));
        }

        sb.Append('}');
        return sb.ToString();
    }

    private static void Str(StringBuilder sb, string? s)
    {
        if (s is null)
        {
            sb.Append("null");
        }
        else
        {
            CanonicalJson.AppendString(sb, s);
        }
    }
}
