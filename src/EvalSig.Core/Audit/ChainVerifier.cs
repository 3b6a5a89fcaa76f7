using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// Verifies a chain: every line is the canonical encoding of a record (nothing added, nothing
/// re-encoded), every record's HMAC verifies (constant-time, under the key of its key_id derived for
/// ledger records; format-1 records under the undivided key, and only when a migration record
/// seals them), positions run contiguously from 0 (or from the first record of an explicit range),
/// each record links to the previous record's HMAC, and no rotated-out key signed after its
/// retirement. HMACs are checked in parallel blocks; everything else in order.
/// </summary>
public static class ChainVerifier
{
    /// <summary>The schema key of the record that seals a ledger's format-1 records when it is migrated.</summary>
    public const string MigrationSchemaKey = "evalsig.migration.v1";

    private const int BlockSize = 16_384;

    /// <summary>
    /// Verifies complete lines in storage order; progress reports the bytes verified so far.
    /// <paramref name="wholeChain"/>: the lines claim to be the chain from position 0 (a ledger or full
    /// export); otherwise the caller explicitly accepts a contiguous range. <paramref name="source"/>
    /// names what was verified in messages ("the ledger", "the export", "the records").
    /// </summary>
    public static ChainVerification Verify(IEnumerable<LedgerLine> lines, AuditKeyring keyring, bool wholeChain, AuditCheckpoint? checkpoint = null, bool tornTail = false, IProgress<long>? progress = null, string source = "the ledger", CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(keyring);
        var state = new State(wholeChain, checkpoint?.Position);
        var block = new List<LedgerLine>(BlockSize);
        foreach (var line in lines)
        {
            block.Add(line);
            if (block.Count == BlockSize)
            {
                state.Consume(block, keyring, cancel);
                progress?.Report(line.Offset + line.Utf8.Length + 1); // bytes verified so far
                block.Clear();
            }
        }

        state.Consume(block, keyring, cancel);
        return state.Result(keyring, checkpoint, tornTail, source);
    }

    /// <summary>Verifies records (from Get-AuditRecord or an import) by their stored lines; a checkpoint, when given, is always checked.</summary>
    public static ChainVerification Verify(IEnumerable<AuditRecord> records, AuditKeyring keyring, bool wholeChain, AuditCheckpoint? checkpoint = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var offset = 0L;
        return Verify(records.Select(r => new LedgerLine(offset++, Encoding.UTF8.GetBytes(r.ToJson()))), keyring, wholeChain, checkpoint, cancel: cancel, source: "the records given");
    }

    private sealed class State
    {
        private readonly bool _wholeChain;
        private readonly List<long> _gaps = new();
        private readonly List<long> _duplicates = new();
        private readonly HashSet<string> _unknownKeys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _firstSignedBy = new(StringComparer.Ordinal);
        private readonly long? _anchorPosition;
        private long _prevPosition = -1;
        private string? _prevHmac;
        private bool _started;
        private long _firstPosition;
        private string? _anchorHmac;

        // Format-1 records: how many, whether only format 1 has been seen so far, and whether a
        // migration record sealed them.
        private long _legacy;
        private bool _onlyLegacySoFar = true;
        private bool _legacySealed;
        private string? _legacyProblem;

        public State(bool wholeChain, long? anchorPosition) => (_wholeChain, _anchorPosition) = (wholeChain, anchorPosition);

        public long Count { get; private set; }

        public long Verified { get; private set; }

        public long Tampered { get; private set; }

        public TamperedRecord? First { get; private set; }

        public void Consume(List<LedgerLine> block, AuditKeyring keyring, CancellationToken cancel)
        {
            if (block.Count == 0)
            {
                return;
            }

            var fields = new LineFields[block.Count];
            var problems = new string?[block.Count];
            var parsed = new bool[block.Count];
            var macOk = new bool[block.Count];
            Parallel.ForEach(
                System.Collections.Concurrent.Partitioner.Create(0, block.Count, 1024),
                new ParallelOptions { CancellationToken = cancel },
                () => new Dictionary<(string, int), IncrementalHash>(),
                (range, _, hashers) =>
                {
                    Span<byte> mac = stackalloc byte[32];
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        var span = block[i].Utf8.Span;
                        parsed[i] = LineFields.TryRead(span, out fields[i], out problems[i]);
                        if (parsed[i] && keyring.Find(fields[i].KeyId!) is { } key)
                        {
                            var version = fields[i].Version;
                            if (!hashers.TryGetValue((key.KeyId, version), out var h))
                            {
                                h = version == 1 ? key.CreateLegacyHmac() : key.CreateHmac(KeyPurpose.LedgerRecord);
                                hashers.Add((key.KeyId, version), h);
                            }

                            // A canonical line minus its hmac member is exactly the MAC input.
                            h.AppendData(span[..fields[i].HmacMemberStart]);
                            h.AppendData(span[fields[i].HmacMemberEnd..]);
                            h.GetHashAndReset(mac);
                            macOk[i] = AuditKey.Matches(mac, fields[i].Hmac);
                        }
                    }

                    return hashers;
                },
                hashers =>
                {
                    foreach (var h in hashers.Values)
                    {
                        h.Dispose();
                    }
                });

            for (var i = 0; i < block.Count; i++)
            {
                Count++;
                var expected = _prevPosition + 1;
                if (!parsed[i])
                {
                    Fail(null, expected, (problems[i] ?? "the line is not a record") + " (the project writes every line in canonical form, so this is an edit)");
                    Tampered++;
                    _prevPosition = expected;
                    _prevHmac = null;
                    _started = true;
                    continue;
                }

                var f = fields[i];
                var ok = true;
                if (f.Position == _anchorPosition && _anchorHmac is null)
                {
                    _anchorHmac = f.Hmac;
                }

                if (!_started)
                {
                    _started = true;
                    _firstPosition = f.Position;
                    if (_wholeChain && f.Position != 0)
                    {
                        AddGap(0, f.Position - 1);
                        ok = false;
                        Fail(f.RecordId, 0, string.Create(CultureInfo.InvariantCulture, $"the chain starts at position {f.Position}, not 0: records 0..{f.Position - 1} are missing"));
                    }
                    else if (f.Position == 0 && f.PrevHmac is not null)
                    {
                        ok = false;
                        Fail(f.RecordId, 0, "position 0 must have no previous HMAC");
                    }
                }
                else if (f.Position == _prevPosition)
                {
                    _duplicates.Add(f.Position);
                    ok = false;
                    Fail(f.RecordId, expected, string.Create(CultureInfo.InvariantCulture, $"position {f.Position} occurs twice (a duplicated record)"));
                }
                else if (f.Position < _prevPosition)
                {
                    ok = false;
                    Fail(f.RecordId, expected, string.Create(CultureInfo.InvariantCulture, $"position {f.Position} after {_prevPosition}: records out of order"));
                }
                else if (f.Position > expected)
                {
                    AddGap(expected, f.Position - 1);
                    ok = false;
                    Fail(f.RecordId, expected, string.Create(CultureInfo.InvariantCulture, $"positions {expected}..{f.Position - 1} are missing"));
                }
                else if (!string.Equals(f.PrevHmac, _prevHmac, StringComparison.Ordinal))
                {
                    ok = false;
                    Fail(f.RecordId, f.Position, "prev_hmac does not match the previous record's HMAC (a record was removed, inserted or changed)");
                }

                var key = keyring.Find(f.KeyId!);
                if (!macOk[i])
                {
                    ok = false;
                    if (key is null)
                    {
                        _unknownKeys.Add(f.KeyId!);
                        Fail(f.RecordId, f.Position, $"signed with key {f.KeyId}, which is not in the keyring");
                    }
                    else
                    {
                        Fail(f.RecordId, f.Position, "HMAC mismatch: the record was altered");
                    }
                }
                else if (key!.Status == AuditKeyStatus.VerifyOnly && Retired(key, f) is { } retiredReason)
                {
                    ok = false;
                    Fail(f.RecordId, f.Position, retiredReason);
                }

                if (ok && !Format(f, block[i].Utf8.Span))
                {
                    ok = false;
                }

                if (ok)
                {
                    Verified++;
                    _firstSignedBy.TryAdd(f.KeyId!, f.Position);
                }
                else
                {
                    Tampered++;
                }

                _prevPosition = Math.Max(_prevPosition, f.Position);
                _prevHmac = f.Hmac;
            }
        }

        /// <summary>Why a verify-only key may not have signed this record, or null.</summary>
        private string? Retired(AuditKey key, LineFields f)
        {
            if (key.ReplacedByKeyId is { } successor && _firstSignedBy.TryGetValue(successor, out var since))
            {
                return string.Create(CultureInfo.InvariantCulture, $"signed with key {key.KeyId}, which was rotated out: its successor {successor} already signed position {since}, so only a copy of the retired key can have signed this");
            }

            if (key.RetiredAt is { } retiredAt && IsoTime.TryParse(f.Timestamp, out var t) && t > retiredAt)
            {
                return $"signed with key {key.KeyId} at {f.Timestamp}, after it was retired ({IsoTime.Format(retiredAt)}): a verify-only key never signs";
            }

            return null;
        }

        /// <summary>Format rules: format-1 records only at the start, sealed by a migration record.</summary>
        private bool Format(LineFields f, ReadOnlySpan<byte> line)
        {
            if (f.Version == 1)
            {
                if (!_onlyLegacySoFar)
                {
                    Fail(f.RecordId, f.Position, "a format-1 record after format-2 records: records are never downgraded, so this one was forged with the undivided key");
                    return false;
                }

                _legacy++;
                return true;
            }

            if (_onlyLegacySoFar && _legacy > 0)
            {
                _onlyLegacySoFar = false;
                if (f.SchemaKey == MigrationSchemaKey && MigrationSeals(line.Slice(f.PayloadStart, f.PayloadLength), f.Position))
                {
                    _legacySealed = true;
                }
                else
                {
                    _legacyProblem = string.Create(CultureInfo.InvariantCulture, $"format-1 records end at position {f.Position - 1} without a migration record sealing them");
                }
            }

            _onlyLegacySoFar = false;
            return true;
        }

        private bool MigrationSeals(ReadOnlySpan<byte> payload, long position)
        {
            try
            {
                var r = new Utf8JsonReader(payload);
                using var doc = JsonDocument.ParseValue(ref r);
                var p = doc.RootElement;
                return p.TryGetProperty("legacy_records", out var n) && n.TryGetInt64(out var count) && count == _legacy
                    && p.TryGetProperty("legacy_head_hmac", out var h) && h.ValueKind == JsonValueKind.String && h.GetString() == _prevHmac
                    && p.TryGetProperty("from_version", out var from) && from.TryGetInt32(out var fv) && fv == 1
                    && position == _prevPosition + 1;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        public ChainVerification Result(AuditKeyring keyring, AuditCheckpoint? checkpoint, bool tornTail, string source)
        {
            var notes = new List<string>();
            var anchored = false;
            string? anchorFailure = null;
            if (checkpoint is not null)
            {
                anchorFailure = checkpoint.Check(keyring, _anchorHmac, source);
                anchored = anchorFailure is null;
            }

            if (!_wholeChain && _started && _firstPosition > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"a range from position {_firstPosition}, verified as such on request: its link to record {_firstPosition - 1} was not checked"));
            }

            if (tornTail)
            {
                notes.Add("the ledger ends in a torn line (an append interrupted by a crash), not verified; run Repair-AuditLedger (evalsig audit repair)");
            }

            if (!anchored && anchorFailure is null)
            {
                notes.Add("not anchored: without a checkpoint kept elsewhere, deletion of the newest records cannot be detected (Export-AuditCheckpoint, evalsig audit checkpoint)");
            }

            string? legacyFailure = null;
            if (_legacy > 0 && !_legacySealed)
            {
                legacyFailure = string.Create(CultureInfo.InvariantCulture, $"{_legacy} record(s) are in format 1 (MAC'd with the undivided audit key, before keys were derived per purpose) and {_legacyProblem ?? "no migration record seals them"}; migrate the ledger explicitly with Update-AuditLedger (evalsig audit migrate) - see docs/concepts/audit-chain.md#migration");
            }
            else if (_legacy > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{_legacy} format-1 record(s) sealed by the migration record at position {_legacy}"));
            }

            var valid = Tampered == 0 && _gaps.Count == 0 && _duplicates.Count == 0 && anchorFailure is null && legacyFailure is null;
            string reason;
            if (anchorFailure is not null)
            {
                reason = anchorFailure;
            }
            else if (valid)
            {
                reason = Count == 0 ? "no records: an empty chain is valid" : string.Create(CultureInfo.InvariantCulture, $"{Verified} records verified{(!_wholeChain && _firstPosition > 0 ? $" (the range {_firstPosition}..{_prevPosition})" : string.Empty)}{(anchored ? ", anchored by the checkpoint" : string.Empty)}");
            }
            else if (_unknownKeys.Count > 0 && Verified == 0)
            {
                reason = $"no record verified: they are signed with key(s) {string.Join(", ", _unknownKeys)}, not in the keyring (wrong key?)";
            }
            else if (First is { } f)
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"first failure at position {f.Position}: {f.Reason}");
            }
            else
            {
                reason = legacyFailure ?? "invalid";
            }

            return new ChainVerification
            {
                Valid = valid,
                VerifiedCount = Verified,
                TamperedCount = Tampered,
                FirstTampered = First,
                Gaps = _gaps,
                Duplicates = _duplicates,
                Anchored = anchored,
                Reason = reason,
                RecordCount = Count,
                HeadPosition = Count == 0 ? null : _prevPosition,
                HeadHmac = _prevHmac,
                TornTail = tornTail,
                LegacyCount = _legacy,
                Notes = notes,
            };
        }

        private void AddGap(long from, long to)
        {
            for (var p = from; p <= to && _gaps.Count < 10_000; p++)
            {
                _gaps.Add(p);
            }
        }

        private void Fail(string? recordId, long position, string reason) => First ??= new TamperedRecord(recordId, position, reason);
    }
}
