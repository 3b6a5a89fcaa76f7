using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// A MAC'd statement "the chain had this head": position, head HMAC, record count and time. Kept
/// outside the ledger (a pipeline artifact, git, a write-once bucket), it lets verification detect
/// what a plain chain cannot: its newest records deleted or the whole ledger rolled back. Its MAC
/// is made with the key derived for checkpoints (format 2, "version":2), so no other kind of MAC -
/// a free-form signature above all - can pass for one.
/// </summary>
public sealed record AuditCheckpoint(long Position, string HeadHmac, long RecordCount, string CreatedAt, string KeyId, string Hmac, int Version = 2)
{
    public const string SchemaKey = "evalsig.checkpoint.v1";

    public static AuditCheckpoint Create(AuditKey key, long position, string headHmac, long recordCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        var created = IsoTime.Format(DateTimeOffset.UtcNow);
        var mac = key.Sign(KeyPurpose.Checkpoint, MacInput(position, headHmac, recordCount, created, key.KeyId, 2));
        return new AuditCheckpoint(position, headHmac, recordCount, created, key.KeyId, mac);
    }

    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append(Encoding.UTF8.GetString(MacInput(Position, HeadHmac, RecordCount, CreatedAt, KeyId, Version)));
        sb.Length--; // drop the closing brace and add the MAC, then put the members in JCS order
        sb.Append(",\"hmac\":");
        CanonicalJson.AppendString(sb, Hmac);
        sb.Append('}');
        return Encoding.UTF8.GetString(CanonicalJson.Canonicalize(sb.ToString()));
    }

    public static AuditCheckpoint Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditCheckpointInvalid, EvalSigErrorKind.InvalidArgument, $"The checkpoint path '{path}' is a directory; give the checkpoint file.", path);
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            var version = r.TryGetProperty("version", out var v) ? v.GetInt32() : 1;
            return new AuditCheckpoint(
                r.GetProperty("position").GetInt64(),
                r.GetProperty("head_hmac").GetString()!,
                r.GetProperty("record_count").GetInt64(),
                r.GetProperty("created_at").GetString()!,
                r.GetProperty("key_id").GetString()!,
                r.GetProperty("hmac").GetString()!,
                version);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EvalSigException(EvalSigError.AuditCheckpointInvalid, EvalSigErrorKind.InvalidData, $"'{path}' is not an EvalSig checkpoint: {ex.Message}", path, ex);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new EvalSigException(EvalSigError.AuditCheckpointInvalid, EvalSigErrorKind.ObjectNotFound, $"The checkpoint file '{path}' does not exist.", path, ex);
        }
    }

    /// <summary>
    /// Null when the checkpoint is authentic and what was verified holds its head; else why not.
    /// <paramref name="source"/> names what was verified ("the ledger", "the export", "the records given").
    /// </summary>
    internal string? Check(AuditKeyring keyring, string? hmacAtPosition, string source = "the ledger")
    {
        if (Version != 2)
        {
            return $"the checkpoint is in format {Version}, MAC'd with the undivided audit key, which a free-form signature (New-AuditSignature) could forge; it is no longer accepted. Verify the ledger and export a new checkpoint (see docs/concepts/audit-chain.md#migration)";
        }

        var key = keyring.Find(KeyId);
        if (key is null)
        {
            return $"the checkpoint is signed with key {KeyId}, which is not in the keyring";
        }

        if (!key.Verify(KeyPurpose.Checkpoint, MacInput(Position, HeadHmac, RecordCount, CreatedAt, KeyId, Version), Hmac))
        {
            return "the checkpoint's HMAC does not verify: the checkpoint file was altered (or it is not a checkpoint)";
        }

        if (hmacAtPosition is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{source} do{(source == "the records given" ? string.Empty : "es")} not contain position {Position}, the head recorded by the checkpoint of {CreatedAt} (record hmac {HeadHmac}): records were deleted, the ledger was rolled back, or the checkpoint belongs elsewhere");
        }

        return string.Equals(hmacAtPosition, HeadHmac, StringComparison.Ordinal)
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"position {Position} of {source} holds a different record than the checkpoint of {CreatedAt} recorded: the ledger was rewritten");
    }

    private static byte[] MacInput(long position, string headHmac, long recordCount, string createdAt, string keyId, int version)
    {
        var sb = new StringBuilder();
        sb.Append("{\"created_at\":");
        CanonicalJson.AppendString(sb, createdAt);
        sb.Append(",\"head_hmac\":");
        CanonicalJson.AppendString(sb, headHmac);
        sb.Append(",\"key_id\":");
        CanonicalJson.AppendString(sb, keyId);
        sb.Append(",\"position\":").Append(position.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"record_count\":").Append(recordCount.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"schema_key\":");
        CanonicalJson.AppendString(sb, SchemaKey);
        if (version >= 2)
        {
            sb.Append(",\"version\":").Append(version.ToString(CultureInfo.InvariantCulture));
        }

        sb.Append('}');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
