using System;
using System.Security.Cryptography;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EvalSig.Core.Audit;

/// <summary>
/// Verifies a chain: every record's HMAC (constant-time, any key of the keyring by key_id), its
/// position (contiguous from 0, or from the first record of a range) and its link to the previous
/// record's HMAC. HMACs are checked in parallel blocks; links in order.
/// </summary>
public static class ChainVerifier
{
    private const int BlockSize = 16_384;

    /// <summary>
    /// Verifies complete lines in storage order; progress reports the bytes verified so far. <paramref name="wholeChain"/>: the lines claim to be
    /// the chain from position 0 (a ledger or full export); otherwise a contiguous range.
    /// </summary>
    public static ChainVerification Verify(IEnumerable<LedgerLine> lines, AuditKeyring keyring, bool wholeChain, AuditCheckpoint? checkpoint = null, bool tornTail = false, IProgress<long>? progress = null, CancellationToken cancel = default)
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
        return state.Result(keyring, checkpoint, tornTail);
    }

    /// <summary>Verifies records (from Get-AuditRecord or an import) by their stored lines or fields.</summary>
    public static ChainVerification Verify(IEnumerable<AuditRecord> records, AuditKeyring keyring, bool wholeChain, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var offset = 0L;
        return Verify(records.Select(r => new LedgerLine(offset++, Encoding.UTF8.GetBytes(r.ToJson()))), keyring, wholeChain, cancel: cancel);
    }

    private sealed class State
    {
        private readonly bool _wholeChain;
        private readonly List<long> _gaps = new();
        private readonly List<long> _duplicates = new();
        private readonly HashSet<string> _unknownKeys = new(StringComparer.Ordinal);
        private long _prevPosition = -1;
        private string? _prevHmac;
        private bool _started;
        private long _firstPosition;

        private readonly long? _anchorPosition;
        private string? _anchorHmac;

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
            var parsed = new bool[block.Count];
            var macOk = new bool[block.Count];
            Parallel.ForEach(
                System.Collections.Concurrent.Partitioner.Create(0, block.Count, 1024),
                new ParallelOptions { CancellationToken = cancel },
                () => new Dictionary<string, IncrementalHash>(StringComparer.Ordinal),
                (range, _, hashers) =>
                {
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        var span = block[i].Utf8.Span;
                        parsed[i] = LineFields.TryRead(span, out fields[i]);
                        if (parsed[i] && keyring.Find(fields[i].KeyId!) is { } key)
                        {
                            if (!hashers.TryGetValue(key.KeyId, out var h))
                            {
                                h = key.CreateHmac();
                                hashers.Add(key.KeyId, h);
                            }

                            macOk[i] = MacMatches(span, fields[i], key, h);
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
                    Fail(null, expected, "the line is not a record (not JSON, or fields missing)");
                    Tampered++;
                    _prevPosition = expected;
                    _prevHmac = null;
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

                if (!macOk[i])
                {
                    ok = false;
                    if (keyring.Find(f.KeyId!) is null)
                    {
                        _unknownKeys.Add(f.KeyId!);
                        Fail(f.RecordId, f.Position, $"signed with key {f.KeyId}, which is not in the keyring");
                    }
                    else
                    {
                        Fail(f.RecordId, f.Position, "HMAC mismatch: the record was altered");
                    }
                }

                if (ok)
                {
                    Verified++;
                }
                else
                {
                    Tampered++;
                }

                _prevPosition = Math.Max(_prevPosition, f.Position);
                _prevHmac = f.Hmac;
            }
        }

        public ChainVerification Result(AuditKeyring keyring, AuditCheckpoint? checkpoint, bool tornTail)
        {
            var notes = new List<string>();
            var anchored = false;
            string? anchorFailure = null;
            if (checkpoint is not null)
            {
                anchorFailure = checkpoint.Check(keyring, _anchorHmac);
                anchored = anchorFailure is null;
            }

            if (!_wholeChain && _started && _firstPosition > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"a range from position {_firstPosition}: its link to record {_firstPosition - 1} was not checked"));
            }

            if (tornTail)
            {
                notes.Add("the ledger ends in a torn line (an append interrupted by a crash), not verified; run Repair-AuditLedger (evalsig audit repair)");
            }

            if (!anchored && anchorFailure is null)
            {
                notes.Add("not anchored: without a checkpoint kept elsewhere, deletion of the newest records cannot be detected (Export-AuditCheckpoint, evalsig audit checkpoint)");
            }

            var valid = Tampered == 0 && _gaps.Count == 0 && _duplicates.Count == 0 && anchorFailure is null;
            string reason;
            if (anchorFailure is not null)
            {
                reason = anchorFailure;
            }
            else if (valid)
            {
                reason = Count == 0 ? "no records: an empty chain is valid" : string.Create(CultureInfo.InvariantCulture, $"{Verified} records verified{(anchored ? ", anchored by the checkpoint" : string.Empty)}");
            }
            else if (_unknownKeys.Count > 0 && Verified == 0)
            {
                reason = $"no record verified: they are signed with key(s) {string.Join(", ", _unknownKeys)}, not in the keyring (wrong key?)";
            }
            else
            {
                reason = First is { } f ? string.Create(CultureInfo.InvariantCulture, $"first failure at position {f.Position}: {f.Reason}") : "invalid";
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

    /// <summary>
    /// The line minus its hmac member is exactly the canonical MAC input when the line is stored
    /// canonically (as EvalSig writes it: the member follows {"chain_position":N), so the MAC is
    /// taken over the two spans around it with no copy. Otherwise re-canonicalize and compare.
    /// </summary>
    private static bool MacMatches(ReadOnlySpan<byte> line, LineFields f, AuditKey key, IncrementalHash hmac)
    {
        ReadOnlySpan<byte> prefix = ",\"hmac\":\""u8;
        var comma = line.IndexOf((byte)',');
        var end = comma + prefix.Length + f.Hmac!.Length;
        if (comma > 0 && line.StartsWith("{\"chain_position\":"u8) && line[comma..].StartsWith(prefix)
            && end < line.Length && line[end] == (byte)'"' && Ascii.Equals(line.Slice(comma + prefix.Length, f.Hmac.Length), f.Hmac))
        {
            hmac.AppendData(line[..comma]);
            hmac.AppendData(line[(end + 1)..]);
            Span<byte> mac = stackalloc byte[32];
            hmac.GetHashAndReset(mac);
            if (AuditKey.Matches(mac, f.Hmac))
            {
                return true;
            }
        }

        try
        {
            var r = RecordCodec.Parse(Encoding.UTF8.GetString(line), "verify");
            return key.Verify(RecordCodec.MacInput(r), r.Hmac);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException)
        {
            return false;
        }
    }
}
