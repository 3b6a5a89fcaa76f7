using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>A payload to record: schema key, project and the payload's JSON.</summary>
public sealed record AuditEntry(string SchemaKey, string? ProjectId, string PayloadJson);

/// <summary>A payload signed without being appended.</summary>
public sealed record SignedRecord(string Hmac, DateTimeOffset SignedAt, string KeyId, string CanonicalJson);

/// <summary>The audit trail's entry points, shared by the cmdlets and the CLI.</summary>
public static partial class AuditLog
{
    /// <summary>
    /// Validates every entry against the ledger's schemas, then appends them as one batch (one
    /// fsync); a bad entry means nothing of the batch is written.
    /// </summary>
    public static IReadOnlyList<AuditRecord> Append(IAuditBackend ledger, AuditKey key, IReadOnlyList<AuditEntry> entries, bool strictSchema, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(entries);
        var schemas = AuditSchemaRegistry.Load(ledger);
        var batch = new List<AuditAppend>(entries.Count);
        foreach (var e in entries)
        {
            batch.Add(new AuditAppend(e.SchemaKey, e.ProjectId, CanonicalPayload(schemas, e, strictSchema)));
        }

        return ledger.Append(batch, key, cancel);
    }

    /// <summary>Verifies a whole ledger, anchored by a checkpoint when one is given.</summary>
    public static ChainVerification Verify(IAuditBackend ledger, AuditKeyring keyring, AuditCheckpoint? checkpoint = null, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        switch (ledger)
        {
            case ObjectLedger o:
                return o.Verify(keyring, checkpoint, progress, cancel);
            case LocalLedger local:
                var status = LedgerFile.Tail(local.LedgerPath);
                return ChainVerifier.Verify(local.ReadLines(cancel), keyring, wholeChain: true, checkpoint, status.Length > status.CompleteLength, progress, cancel);
            default:
                return ChainVerifier.Verify(ledger.ReadLines(cancel), keyring, wholeChain: true, checkpoint, tornTail: false, progress, cancel);
        }
    }

    /// <summary>Verifies an export (JSONL or CSV, gzipped or not).</summary>
    public static ChainVerification VerifyExport(string path, AuditKeyring keyring, AuditCheckpoint? checkpoint = null, CancellationToken cancel = default)
    {
        var lines = AuditExport.ReadLines(path).ToList();
        var starts = lines.Count > 0 && LineFields.TryRead(lines[0].Utf8.Span, out var f) && f.Position == 0;
        return ChainVerifier.Verify(lines, keyring, wholeChain: starts || checkpoint is not null, checkpoint, cancel: cancel);
    }

    /// <summary>A checkpoint of the ledger's current head, signed with the key.</summary>
    public static AuditCheckpoint Checkpoint(IAuditBackend ledger, AuditKeyring keyring, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(keyring);

        // Only a head that verifies may be anchored: checkpointing a tampered chain would bless it.
        var v = Verify(ledger, keyring, cancel: cancel);
        if (!v.Valid || v.HeadPosition is null)
        {
            throw new Diagnostics.EvalSigException(
                Diagnostics.EvalSigError.AuditCheckpointInvalid,
                Diagnostics.EvalSigErrorKind.InvalidData,
                v.HeadPosition is null ? "The ledger is empty: there is no head to checkpoint." : "The ledger does not verify, so its head cannot be checkpointed: " + v.Reason,
                ledger.Location);
        }

        return AuditCheckpoint.Create(keyring.Keys[0], v.HeadPosition.Value, v.HeadHmac!, v.RecordCount);
    }

    /// <summary>Signs a payload's canonical JSON without appending it.</summary>
    public static SignedRecord Sign(string payloadJson, AuditKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var canonical = CanonicalJson.Canonicalize(payloadJson);
        return new SignedRecord(key.Sign(canonical), IsoTime.ToMicroseconds(DateTimeOffset.UtcNow), key.KeyId, Encoding.UTF8.GetString(canonical));
    }

    private static string CanonicalPayload(AuditSchemaRegistry schemas, AuditEntry e, bool strict)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(e.PayloadJson);
        }
        catch (JsonException ex)
        {
            throw new Diagnostics.EvalSigException(Diagnostics.EvalSigError.AuditPayloadInvalid, Diagnostics.EvalSigErrorKind.InvalidArgument, "The payload is not valid JSON: " + ex.Message, e.SchemaKey, ex);
        }

        using (doc)
        {
            schemas.Validate(e.SchemaKey, doc.RootElement, strict);
            return Encoding.UTF8.GetString(CanonicalJson.Canonicalize(doc.RootElement));
        }
    }
}
