using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>A payload to record: schema key, project and the payload's JSON.</summary>
public sealed record AuditEntry(string SchemaKey, string? ProjectId, string PayloadJson);

/// <summary>
/// A payload signed without being appended: a free-form signature, MAC'd with the key derived for
/// signatures (format 2), so it can never pass for a ledger record, a checkpoint or an envelope.
/// </summary>
public sealed record SignedRecord(string Hmac, DateTimeOffset SignedAt, string KeyId, string CanonicalJson)
{
    /// <summary>2: the key derived for free-form signatures.</summary>
    public int Version { get; init; } = 2;
}

/// <summary>What Update-AuditLedger did.</summary>
public sealed record MigrationResult(bool Migrated, long LegacyRecords, long? MigrationPosition, string Reason, string LedgerPath);

/// <summary>The audit trail's entry points, shared by the cmdlets and the CLI.</summary>
public static partial class AuditLog
{
    /// <summary>Schema keys only EvalSig itself writes (a migration seal, a key rotation).</summary>
    private static readonly string[] Reserved = { ChainVerifier.MigrationSchemaKey, "evalsig.key_rotation.v1" };

    /// <summary>
    /// Validates every entry against the ledger's schemas, then appends them as one batch (one
    /// fsync); a bad entry means nothing of the batch is written.
    /// </summary>
    public static IReadOnlyList<AuditRecord> Append(IAuditBackend ledger, AuditKey key, IReadOnlyList<AuditEntry> entries, bool strictSchema, CancellationToken cancel = default)
        => Append(ledger, key, entries, strictSchema, null, cancel);

    /// <summary>As <see cref="Append(IAuditBackend, AuditKey, IReadOnlyList{AuditEntry}, bool, CancellationToken)"/>; the options (UpdateIndex) apply to a local ledger.</summary>
    public static IReadOnlyList<AuditRecord> Append(IAuditBackend ledger, AuditKey key, IReadOnlyList<AuditEntry> entries, bool strictSchema, AuditAppendOptions? options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var e in entries)
        {
            if (Array.IndexOf(Reserved, e.SchemaKey) >= 0)
            {
                throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{e.SchemaKey}' records are written only by EvalSig itself ({(e.SchemaKey == ChainVerifier.MigrationSchemaKey ? "Update-AuditLedger" : "New-AuditKey -Rotate -RecordRotationIn")}).", e.SchemaKey);
            }
        }

        var batch = Prepare(ledger, entries, strictSchema);
        return ledger is LocalLedger local ? local.Append(batch, key, options, cancel) : ledger.Append(batch, key, cancel);
    }

    /// <summary>
    /// Verifies a whole ledger (committed records only), anchored by a checkpoint when one is given.
    /// No local ledger there is AuditLedgerNotFound.
    /// </summary>
    public static ChainVerification Verify(IAuditBackend ledger, AuditKeyring keyring, AuditCheckpoint? checkpoint = null, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        switch (ledger)
        {
            case ObjectLedger o:
                return o.Verify(keyring, checkpoint, progress, cancel) with { Source = o.Location };
            case LocalLedger local:
                local.RequireLedger();
                var snap = local.TakeSnapshot(cancel);
                var v = ChainVerifier.Verify(LedgerFile.Blocks(local.LedgerPath, 0, snap.Complete), keyring, wholeChain: true, checkpoint, snap.Torn > 0 || snap.Interrupted, progress, "the ledger", cancel) with { Source = local.Directory };
                return snap.Interrupted
                    ? v with { Notes = v.Notes.Append(string.Create(CultureInfo.InvariantCulture, $"an interrupted batch ({snap.Length - snap.Committed} bytes) is not committed, so it was not verified and no reader sees it; run Repair-AuditLedger")).ToList() }
                    : v;
            default:
                return ChainVerifier.Verify(ledger.ReadLines(cancel), keyring, wholeChain: true, checkpoint, tornTail: false, progress, cancel: cancel) with { Source = ledger.Location };
        }
    }

    /// <summary>
    /// Verifies an export (JSONL or CSV, gzipped or not). It must be the whole chain from position 0
    /// unless <paramref name="range"/> says it is a contiguous range on purpose; a missing file, or a
    /// directory, is AuditExportInvalid. A checkpoint, when given, is always checked.
    /// </summary>
    public static ChainVerification VerifyExport(string path, AuditKeyring keyring, AuditCheckpoint? checkpoint = null, bool range = false, CancellationToken cancel = default)
        => ChainVerifier.Verify(AuditExport.ReadLines(path), keyring, wholeChain: !range, checkpoint, cancel: cancel, source: "the export") with { Source = Path.GetFullPath(path) };

    /// <summary>A checkpoint of the ledger's current committed head, signed with the keyring's signing key.</summary>
    public static AuditCheckpoint Checkpoint(IAuditBackend ledger, AuditKeyring keyring, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(keyring);
        var key = keyring.SigningKey;

        // Only a head that verifies may be anchored: checkpointing a tampered chain would bless it.
        // Verification reads committed records only, so an unfinished batch can never be anchored.
        var v = Verify(ledger, keyring, cancel: cancel);
        if (!v.Valid || v.HeadPosition is null)
        {
            throw new EvalSigException(
                EvalSigError.AuditCheckpointInvalid,
                EvalSigErrorKind.InvalidData,
                v.HeadPosition is null ? "The ledger is empty: there is no head to checkpoint." : "The ledger does not verify, so its head cannot be checkpointed: " + v.Reason,
                ledger.Location);
        }

        return AuditCheckpoint.Create(key, v.HeadPosition.Value, v.HeadHmac!, v.RecordCount);
    }

    /// <summary>Signs a payload's canonical JSON without appending it, under the key derived for free-form signatures.</summary>
    public static SignedRecord Sign(string payloadJson, AuditKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var canonical = CanonicalOrThrow(payloadJson, "the object to sign");
        return new SignedRecord(key.Sign(KeyPurpose.Signature, canonical), IsoTime.ToMicroseconds(DateTimeOffset.UtcNow), key.KeyId, Encoding.UTF8.GetString(canonical));
    }

    /// <summary>True when a free-form signature verifies under the key named by its key id.</summary>
    public static bool VerifySignature(SignedRecord signature, AuditKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(keyring);
        return signature.Version == 2 && keyring.Find(signature.KeyId) is { } key && key.Verify(KeyPurpose.Signature, Encoding.UTF8.GetBytes(signature.CanonicalJson), signature.Hmac);
    }

    /// <summary>
    /// The explicit migration of a format-1 ledger: verifies it (every record, link and MAC, under
    /// the keyring), then appends one format-2 record, <c>evalsig.migration.v1</c>, that seals the
    /// format-1 records (their count and head HMAC). Verification accepts format-1 records only
    /// before such a seal; appends need it. Idempotent: a migrated (or new) ledger is left alone.
    /// </summary>
    public static MigrationResult Migrate(LocalLedger ledger, AuditKeyring keyring, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(keyring);
        var key = keyring.SigningKey;
        var v = Verify(ledger, keyring, cancel: cancel);
        if (v.LegacyCount == 0)
        {
            return new MigrationResult(false, 0, null, "nothing to migrate: every record is in format 2", ledger.LedgerPath);
        }

        if (v.Valid)
        {
            return new MigrationResult(false, v.LegacyCount, v.LegacyCount, string.Create(CultureInfo.InvariantCulture, $"already migrated: the record at position {v.LegacyCount} seals the {v.LegacyCount} format-1 records"), ledger.LedgerPath);
        }

        if (v.TamperedCount > 0 || v.Gaps.Count > 0 || v.Duplicates.Count > 0 || v.TornTail || v.HeadPosition != v.LegacyCount - 1)
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, "The ledger does not verify, so it cannot be migrated (sealing it would bless the damage): " + v.Reason, ledger.LedgerPath);
        }

        var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"from_version\":1,\"legacy_head_hmac\":\"{v.HeadHmac}\",\"legacy_records\":{v.LegacyCount},\"to_version\":2}}");
        var sealRecord = ledger.AppendCore(new[] { new AuditAppend(ChainVerifier.MigrationSchemaKey, null, Encoding.UTF8.GetString(CanonicalJson.Canonicalize(payload))) }, key, allowLegacyHead: true, cancel)[0];
        return new MigrationResult(true, v.LegacyCount, sealRecord.ChainPosition, string.Create(CultureInfo.InvariantCulture, $"{v.LegacyCount} format-1 records verified and sealed by the migration record at position {sealRecord.ChainPosition}"), ledger.LedgerPath);
    }

    /// <summary>Records a key rotation in the ledger, signed by the new key: from here on the chain shows the successor, so the retired key signing later is caught.</summary>
    public static AuditRecord RecordRotation(LocalLedger ledger, AuditKey newKey, string retiredKeyId, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(newKey);
        var payload = Encoding.UTF8.GetString(CanonicalJson.Canonicalize(JsonValues.Serialize(new Dictionary<string, object?> { ["key_id"] = newKey.KeyId, ["retired_key_id"] = retiredKeyId })));
        return ledger.Append(new[] { new AuditAppend("evalsig.key_rotation.v1", null, payload) }, newKey, null, cancel)[0];
    }

    private static List<AuditAppend> Prepare(IAuditBackend ledger, IReadOnlyList<AuditEntry> entries, bool strictSchema)
    {
        var schemas = AuditSchemaRegistry.Load(ledger);
        var batch = new List<AuditAppend>(entries.Count);
        foreach (var e in entries)
        {
            if (e.ProjectId is not null && !IsUnicode(e.ProjectId))
            {
                throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, "The project id holds a lone UTF-16 surrogate: it is not Unicode text.", e.SchemaKey);
            }

            var canonical = CanonicalOrThrow(e.PayloadJson, $"the {e.SchemaKey} payload");
            using var doc = JsonDocument.Parse(canonical);
            schemas.Validate(e.SchemaKey, doc.RootElement, strictSchema);
            batch.Add(new AuditAppend(e.SchemaKey, e.ProjectId, Encoding.UTF8.GetString(canonical)));
        }

        return batch;
    }

    /// <summary>RFC 8785 bytes of a payload; what JCS cannot represent exactly is AuditPayloadInvalid, by name.</summary>
    private static byte[] CanonicalOrThrow(string json, string what)
    {
        try
        {
            return CanonicalJson.Canonicalize(json ?? string.Empty);
        }
        catch (JsonException ex)
        {
            throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, $"{Capital(what)} is not valid JSON: {ex.Message}", what, ex);
        }
        catch (FormatException ex)
        {
            throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, $"{Capital(what)} cannot be recorded exactly: {ex.Message}.", what, ex);
        }
    }

    private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static bool IsUnicode(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }
}
