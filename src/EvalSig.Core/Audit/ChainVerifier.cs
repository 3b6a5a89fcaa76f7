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
        return Verify(InBlocks(lines), keyring, wholeChain, checkpoint, tornTail, progress, source, cancel);
    }

    /// <summary>
    /// Verifies blocks of complete lines in storage order. A block (and its lines) need only stay
    /// valid until the next is asked for, so a reader can reuse one buffer
    /// (<see cref="LedgerFile.Blocks"/>).
    /// </summary>
    internal static ChainVerification Verify(IEnumerable<List<LedgerLine>> blocks, AuditKeyring keyring, bool wholeChain, AuditCheckpoint? checkpoint, bool tornTail, IProgress<long>? progress, string source, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        var state = new State(wholeChain, checkpoint?.Position);
        foreach (var block in blocks)
        {
            cancel.ThrowIfCancellationRequested();
            state.Consume(block, keyring, cancel);
            if (block.Count > 0)
            {
                var last = block[^1];
                progress?.Report(last.Offset + last.Utf8.Length + 1); // bytes verified so far
            }
        }

        return state.Result(keyring, checkpoint, tornTail, source);
    }

    private static IEnumerable<List<LedgerLine>> InBlocks(IEnumerable<LedgerLine> lines)
    {
        var block = new List<LedgerLine>(BlockSize);
        foreach (var line in lines)
        {
            block.Add(line);
            if (block.Count == BlockSize)
            {
                yield return block;
                block.Clear();
            }
        }

        yield return block;
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

        // The previous record's HMAC as written in its line (null: none, or an unreadable line): a
        // copy, since the line's buffer is reused.
        private byte[]? _prevHmac;
        private int _prevHmacLength;
        private readonly byte[] _prevHmacBuffer = new byte[128];
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

            // Strict parse and HMAC in parallel, without decoding string values: a line's key_id is
            // matched to its key by its bytes (one lookup per key change), its hmac compared as hex.
            var fields = new LineFields[block.Count];
            var problems = new string?[block.Count];
            var parsed = new bool[block.Count];
            var macOk = new bool[block.Count];
            var keys = new AuditKey?[block.Count];
            Parallel.ForEach(
                System.Collections.Concurrent.Partitioner.Create(0, block.Count, 1024),
                new ParallelOptions { CancellationToken = cancel },
                () => new KeyCache(keyring),
                (range, _, cache) =>
                {
                    Span<byte> mac = stackalloc byte[32];
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        var span = block[i].Utf8.Span;
                        parsed[i] = LineFields.TryReadRaw(span, out fields[i], out problems[i]);
                        if (parsed[i] && (keys[i] = cache.Find(span, fields[i])) is { } key)
                        {
                            var h = cache.Hasher(key, fields[i].Version);

                            // A canonical line minus its hmac member is exactly the MAC input (one
                            // contiguous copy: a call into the HMAC costs more than the copy).
                            var input = cache.Scratch(span.Length);
                            span[..fields[i].HmacMemberStart].CopyTo(input);
                            span[fields[i].HmacMemberEnd..].CopyTo(input.AsSpan(fields[i].HmacMemberStart));
                            h.AppendData(input, 0, span.Length - (fields[i].HmacMemberEnd - fields[i].HmacMemberStart));
                            h.GetHashAndReset(mac);
                            macOk[i] = fields[i].Hmac is { } decoded ? AuditKey.Matches(mac, decoded) : AuditKey.Matches(mac, fields[i].HmacRaw.Of(span));
                        }
                    }

                    return cache;
                },
                cache => cache.Dispose());

            for (var i = 0; i < block.Count; i++)
            {
                Count++;
                var expected = _prevPosition + 1;
                var line = block[i].Utf8.Span;
                if (!parsed[i])
                {
                    Fail(null, expected, (problems[i] ?? "the line is not a record") + " (the project writes every line in canonical form, so this is an edit)");
                    Tampered++;
                    _prevPosition = expected;
                    _prevHmac = null;
                    _started = true;
                    continue;
                }

                ref readonly var f = ref fields[i];
                var ok = true;
                if (f.Position == _anchorPosition && _anchorHmac is null)
                {
                    _anchorHmac = LineFields.Text(line, f.Hmac, f.HmacRaw);
                }

                if (!_started)
                {
                    _started = true;
                    _firstPosition = f.Position;
                    if (_wholeChain && f.Position != 0)
                    {
                        AddGap(0, f.Position - 1);
                        ok = false;
                        Fail(line, f, 0, string.Create(CultureInfo.InvariantCulture, $"the chain starts at position {f.Position}, not 0: records 0..{f.Position - 1} are missing"));
                    }
                    else if (f.Position == 0 && !f.PrevHmacRaw.IsNull)
                    {
                        ok = false;
                        Fail(line, f, 0, "position 0 must have no previous HMAC");
                    }
                }
                else if (f.Position == _prevPosition)
                {
                    _duplicates.Add(f.Position);
                    ok = false;
                    Fail(line, f, expected, string.Create(CultureInfo.InvariantCulture, $"position {f.Position} occurs twice (a duplicated record)"));
                }
                else if (f.Position < _prevPosition)
                {
                    ok = false;
                    Fail(line, f, expected, string.Create(CultureInfo.InvariantCulture, $"position {f.Position} after {_prevPosition}: records out of order"));
                }
                else if (f.Position > expected)
                {
                    AddGap(expected, f.Position - 1);
                    ok = false;
                    Fail(line, f, expected, string.Create(CultureInfo.InvariantCulture, $"positions {expected}..{f.Position - 1} are missing"));
                }
                else if (!PrevHmacMatches(line, f))
                {
                    ok = false;
                    Fail(line, f, f.Position, "prev_hmac does not match the previous record's HMAC (a record was removed, inserted or changed)");
                }

                var key = keys[i];
                if (!macOk[i])
                {
                    ok = false;
                    if (key is null)
                    {
                        var keyId = LineFields.Text(line, f.KeyId, f.KeyIdRaw)!;
                        _unknownKeys.Add(keyId);
                        Fail(line, f, f.Position, $"signed with key {keyId}, which is not in the keyring");
                    }
                    else
                    {
                        Fail(line, f, f.Position, "HMAC mismatch: the record was altered");
                    }
                }
                else if (key!.Status == AuditKeyStatus.VerifyOnly && Retired(key, LineFields.Text(line, f.Timestamp, f.TimestampRaw)) is { } retiredReason)
                {
                    ok = false;
                    Fail(line, f, f.Position, retiredReason);
                }

                if (ok && !Format(f, line))
                {
                    ok = false;
                }

                if (ok)
                {
                    Verified++;
                    _firstSignedBy.TryAdd(key!.KeyId, f.Position);
                }
                else
                {
                    Tampered++;
                }

                _prevPosition = Math.Max(_prevPosition, f.Position);
                KeepPrevHmac(line, f);
            }
        }

        /// <summary>
        /// prev_hmac against the previous record's hmac, both as written: a canonical line writes a
        /// string one way only, so equal bytes are equal strings.
        /// </summary>
        private bool PrevHmacMatches(ReadOnlySpan<byte> line, in LineFields f)
            => f.PrevHmacRaw.IsNull ? _prevHmac is null : _prevHmac is not null && f.PrevHmacRaw.Of(line).SequenceEqual(_prevHmac.AsSpan(0, _prevHmacLength));

        private void KeepPrevHmac(ReadOnlySpan<byte> line, in LineFields f)
        {
            var raw = f.HmacRaw.Of(line);
            _prevHmac = raw.Length <= _prevHmacBuffer.Length ? _prevHmacBuffer : new byte[raw.Length];
            raw.CopyTo(_prevHmac);
            _prevHmacLength = raw.Length;
        }

        /// <summary>The previous record's HMAC as text (for the result and the migration check).</summary>
        private string? PrevHmacText()
        {
            if (_prevHmac is null)
            {
                return null;
            }

            // Read back through the JSON reader, so an escaped form decodes as it would in a line.
            var quoted = new byte[_prevHmacLength + 2];
            quoted[0] = quoted[^1] = (byte)'"';
            _prevHmac.AsSpan(0, _prevHmacLength).CopyTo(quoted.AsSpan(1));
            var r = new Utf8JsonReader(quoted);
            r.Read();
            return r.GetString();
        }

        private void Fail(ReadOnlySpan<byte> line, in LineFields f, long position, string reason)
        {
            if (First is null)
            {
                Fail(LineFields.Text(line, f.RecordId, f.RecordIdRaw), position, reason);
            }
        }

        /// <summary>Why a verify-only key may not have signed this record, or null.</summary>
        private string? Retired(AuditKey key, string? timestamp)
        {
            if (key.ReplacedByKeyId is { } successor && _firstSignedBy.TryGetValue(successor, out var since))
            {
                return string.Create(CultureInfo.InvariantCulture, $"signed with key {key.KeyId}, which was rotated out: its successor {successor} already signed position {since}, so only a copy of the retired key can have signed this");
            }

            if (key.RetiredAt is { } retiredAt && IsoTime.TryParse(timestamp, out var t) && t > retiredAt)
            {
                return $"signed with key {key.KeyId} at {timestamp}, after it was retired ({IsoTime.Format(retiredAt)}): a verify-only key never signs";
            }

            return null;
        }

        /// <summary>Format rules: format-1 records only at the start, sealed by a migration record.</summary>
        private bool Format(in LineFields f, ReadOnlySpan<byte> line)
        {
            if (f.Version == 1)
            {
                if (!_onlyLegacySoFar)
                {
                    Fail(line, f, f.Position, "a format-1 record after format-2 records: records are never downgraded, so this one was forged with the undivided key");
                    return false;
                }

                _legacy++;
                return true;
            }

            if (_onlyLegacySoFar && _legacy > 0)
            {
                _onlyLegacySoFar = false;
                if (LineFields.Text(line, f.SchemaKey, f.SchemaKeyRaw) == MigrationSchemaKey && MigrationSeals(line.Slice(f.PayloadStart, f.PayloadLength), f.Position))
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
                    && p.TryGetProperty("legacy_head_hmac", out var h) && h.ValueKind == JsonValueKind.String && h.GetString() == PrevHmacText()
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
                HeadHmac = PrevHmacText(),
                TornTail = tornTail,
                LegacyCount = _legacy,
                Notes = notes,
            };
        }

        /// <summary>One worker's keys by the bytes of a line's key_id, and its reusable HMACs.</summary>
        private sealed class KeyCache : IDisposable
        {
            private readonly AuditKeyring _keyring;
            private readonly Dictionary<(string, int), IncrementalHash> _hashers = new();
            private byte[] _lastId = Array.Empty<byte>();
            private AuditKey? _lastKey;
            private bool _haveLast;

            private byte[] _scratch = new byte[4096];

            public KeyCache(AuditKeyring keyring) => _keyring = keyring;

            public byte[] Scratch(int length) => _scratch.Length >= length ? _scratch : _scratch = new byte[Math.Max(length, _scratch.Length * 2)];

            public AuditKey? Find(ReadOnlySpan<byte> line, in LineFields f)
            {
                var raw = f.KeyIdRaw.Of(line);
                if (_haveLast && f.KeyId is null && raw.SequenceEqual(_lastId))
                {
                    return _lastKey;
                }

                _lastKey = _keyring.Find(LineFields.Text(line, f.KeyId, f.KeyIdRaw)!);
                _lastId = raw.ToArray();
                _haveLast = f.KeyId is null; // an escaped key_id is looked up each time
                return _lastKey;
            }

            public IncrementalHash Hasher(AuditKey key, int version)
            {
                if (!_hashers.TryGetValue((key.KeyId, version), out var h))
                {
                    h = version == 1 ? key.CreateLegacyHmac() : key.CreateHmac(KeyPurpose.LedgerRecord);
                    _hashers.Add((key.KeyId, version), h);
                }

                return h;
            }

            public void Dispose()
            {
                foreach (var h in _hashers.Values)
                {
                    h.Dispose();
                }
            }
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
