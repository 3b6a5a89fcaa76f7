using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// One ledger record. Its HMAC covers the RFC 8785 canonical JSON of every other field, position
/// and previous HMAC included, so renumbering, reordering, deleting or inserting records breaks
/// verification.
/// </summary>
public sealed class AuditRecord
{
    internal AuditRecord(string recordId, string schemaKey, string? projectId, string timestampText, long chainPosition, string? prevHmac, string keyId, string payloadJson, string hmac, string backend, string? line)
    {
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

    /// <summary>The stored line, when the record came from a ledger or export.</summary>
    internal string? Line { get; }

    /// <summary>The record as stored: its RFC 8785 canonical JSON, hmac included.</summary>
    public string ToJson() => Line ?? RecordCodec.Line(ChainPosition, Hmac, KeyId, PayloadJson, PrevHmac, ProjectId, RecordId, SchemaKey, TimestampText);

    public override string ToString() => $"#{ChainPosition} {SchemaKey} {RecordId}";
}

/// <summary>Canonical bytes, HMACs and the stored line form of records.</summary>
internal static class RecordCodec
{
    /// <summary>The bytes the HMAC covers: canonical JSON of every field except hmac.</summary>
    public static byte[] MacInput(long position, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp)
        => Encoding.UTF8.GetBytes(Build(position, null, keyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp));

    /// <summary>The stored line: canonical JSON of every field, hmac included (members in JCS order).</summary>
    public static string Line(long position, string hmac, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp)
        => Build(position, hmac, keyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp);

    public static AuditRecord Create(AuditKey key, long position, string? prevHmac, string schemaKey, string? projectId, string payloadCanonical, DateTimeOffset now, string backend)
    {
        var timestamp = IsoTime.Format(now);
        var recordId = Uuid7.New(now);
        var hmac = key.Sign(MacInput(position, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp));
        var line = Line(position, hmac, key.KeyId, payloadCanonical, prevHmac, projectId, recordId, schemaKey, timestamp);
        return new AuditRecord(recordId, schemaKey, projectId, timestamp, position, prevHmac, key.KeyId, payloadCanonical, hmac, backend, line);
    }

    public static byte[] MacInput(AuditRecord r) => MacInput(r.ChainPosition, r.KeyId, r.PayloadJson, r.PrevHmac, r.ProjectId, r.RecordId, r.SchemaKey, r.TimestampText);

    /// <summary>Parses a stored line (or an exported record). Throws FormatException when it is not a record.</summary>
    public static AuditRecord Parse(string line, string backend)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a record is a JSON object");
        }

        string Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"'{name}' must be a string");
        string? StrOrNull(string name) => root.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => throw new FormatException($"'{name}' must be a string or null"),
        } : throw new FormatException($"'{name}' is missing");
        if (!root.TryGetProperty("chain_position", out var pos) || pos.ValueKind != JsonValueKind.Number || !pos.TryGetInt64(out var position))
        {
            throw new FormatException("'chain_position' must be an integer");
        }

        if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("'payload' must be an object");
        }

        return new AuditRecord(
            Str("record_id"),
            Str("schema_key"),
            StrOrNull("project_id"),
            Str("timestamp"),
            position,
            StrOrNull("prev_hmac"),
            Str("key_id"),
            Encoding.UTF8.GetString(CanonicalJson.Canonicalize(payload)),
            Str("hmac"),
            backend,
            line);
    }

    /// <summary>
    /// Reads a stored line without a DOM: the payload is kept as stored (canonical when EvalSig wrote
    /// it). Throws FormatException when the line is not a record.
    /// </summary>
    public static AuditRecord ParseStored(ReadOnlySpan<byte> line, string backend)
    {
        string? recordId = null, schemaKey = null, projectId = null, timestamp = null, prevHmac = null, keyId = null, hmac = null, payload = null;
        long? position = null;
        try
        {
            var r = new Utf8JsonReader(line, isFinalBlock: true, default);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                throw new FormatException("a record is a JSON object");
            }

            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var name = r.GetString();
                r.Read();
                switch (name)
                {
                    case "chain_position":
                        position = r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var p) ? p : throw new FormatException("'chain_position' must be an integer");
                        break;
                    case "payload":
                        if (r.TokenType != JsonTokenType.StartObject)
                        {
                            throw new FormatException("'payload' must be an object");
                        }

                        var start = (int)r.TokenStartIndex;
                        r.Skip();
                        payload = Encoding.UTF8.GetString(line[start..(int)r.BytesConsumed]);
                        break;
                    default:
                        var value = r.TokenType switch
                        {
                            JsonTokenType.String => r.GetString(),
                            JsonTokenType.Null => null,
                            _ => throw new FormatException($"'{name}' must be a string or null"),
                        };
                        switch (name)
                        {
                            case "record_id": recordId = value; break;
                            case "schema_key": schemaKey = value; break;
                            case "project_id": projectId = value; break;
                            case "timestamp": timestamp = value; break;
                            case "prev_hmac": prevHmac = value; break;
                            case "key_id": keyId = value; break;
                            case "hmac": hmac = value; break;
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        if (position is null || recordId is null || schemaKey is null || timestamp is null || keyId is null || hmac is null || payload is null)
        {
            throw new FormatException("required record fields are missing");
        }

        return new AuditRecord(recordId, schemaKey, projectId, timestamp, position.Value, prevHmac, keyId, payload, hmac, backend, Encoding.UTF8.GetString(line));
    }

    private static string Build(long position, string? hmac, string keyId, string payloadCanonical, string? prevHmac, string? projectId, string recordId, string schemaKey, string timestamp)
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
