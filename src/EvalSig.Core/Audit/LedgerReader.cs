using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>
/// Reads the committed ledger through its index, and never answers silently from a bad row: with
/// a key, a mismatch is reported (a warning with the reason), the index is rebuilt from the ledger
/// (with progress) and the answer comes from the rebuilt index, or - when that fails too - from a
/// scan of ledger.jsonl. Without a key the index is read unauthenticated (the caller is told),
/// never written, and any mismatch means a scan.
/// </summary>
internal static class LedgerReader
{
    private static readonly TimeSpan IndexLockTimeout = TimeSpan.FromMinutes(2);

    public static IEnumerable<AuditRecord> Query(LocalLedger ledger, AuditQuery q, AuditReadOptions o, CancellationToken cancel)
    {
        var yielded = 0L;
        var forceRebuild = false;
        var forceScan = false;
        while (true)
        {
            var snap = ledger.TakeSnapshot(cancel);
            var plan = forceScan ? new QueryPlan(null, null, null, false, null) : Plan(ledger, snap, q, o, forceRebuild, cancel);
            using var e = Answer(ledger, snap, q, plan, cancel).GetEnumerator();

            // Records already yielded before a restart come again, identical, from the rebuilt index: skip them.
            var skip = yielded;
            var restart = false;
            while (true)
            {
                bool moved;
                try
                {
                    moved = e.MoveNext();
                }
                catch (IndexMismatchException ex) when (plan.Hits is not null && !forceRebuild && plan.Authenticated)
                {
                    o.Observer?.Warning($"index.sqlite does not match ledger.jsonl ({ex.Message}); rebuilding it from the ledger and answering from the rebuilt index.");
                    restart = true;
                    forceRebuild = true;
                    break;
                }
                catch (IndexMismatchException ex) when (plan.Hits is not null && !forceScan)
                {
                    o.Observer?.Warning($"index.sqlite does not match ledger.jsonl ({ex.Message}); answering from a scan of the ledger instead.");
                    restart = true;
                    forceScan = true;
                    break;
                }
                catch (IndexMismatchException ex)
                {
                    throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, $"ledger.jsonl changed while it was read ({ex.Message}). Run Test-AuditChain.", ledger.LedgerPath, ex);
                }

                if (!moved)
                {
                    yield break;
                }

                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                yielded++;
                yield return e.Current;
            }

            if (!restart)
            {
                yield break;
            }
        }
    }

    /// <summary>Brings the index level with the committed ledger (after an append with -UpdateIndex).</summary>
    public static void UpdateIndex(LocalLedger ledger, AuditKeyring ring, IAuditObserver? observer, CancellationToken cancel)
    {
        var snap = ledger.TakeSnapshot(cancel);
        using var guard = LedgerLock.TryAcquire(Path.Combine(ledger.Directory, "index.lock"), IndexLockTimeout, cancel, out var fault) ?? throw fault!;
        try
        {
            using var index = OpenOrBuild(ledger, snap, ring, observer, cancel);
        }
        catch (DbException ex)
        {
            observer?.Warning($"index.sqlite could not be updated ({ex.Message}); queries will catch it up or scan ledger.jsonl.");
        }
    }

    public static void Rebuild(LocalLedger ledger, AuditKeyring ring, IAuditObserver? observer, CancellationToken cancel)
    {
        var snap = ledger.TakeSnapshot(cancel);
        using var guard = LedgerLock.TryAcquire(Path.Combine(ledger.Directory, "index.lock"), IndexLockTimeout, cancel, out var fault) ?? throw fault!;
        using var index = Build(ledger, snap, ring.Keys[0], observer, cancel);
    }

    /// <summary>Records in the committed ledger, through the checked index when possible: (count, index healthy, authenticated, problem).</summary>
    public static (long Count, bool Healthy, bool Authenticated, string? Problem) Count(LocalLedger ledger, LedgerSnapshot snap, AuditReadOptions o, CancellationToken cancel)
    {
        var plan = Plan(ledger, snap, new AuditQuery { First = 0 }, o, forceRebuild: false, cancel, verifyAll: true);
        if (plan.Rows is { } rows)
        {
            var tail = plan.TailFrom is { } from ? Records(ledger, from, snap.Complete, cancel).LongCount() : 0;
            return (rows + tail, true, plan.Authenticated, plan.Problem);
        }

        // No index to use: a keyless reader without one simply counts (healthy); a failed index is a problem.
        return (Records(ledger, 0, snap.Complete, cancel).LongCount(), plan.Problem is null, false, plan.Problem);
    }

    private sealed record QueryPlan(List<IndexHit>? Hits, long? Rows, long? TailFrom, bool Authenticated, string? Problem);

    /// <summary>Opens (checks, catches up, rebuilds) the index and finds the hits; null hits mean "scan".</summary>
    private static QueryPlan Plan(LocalLedger ledger, LedgerSnapshot snap, AuditQuery q, AuditReadOptions o, bool forceRebuild, CancellationToken cancel, bool verifyAll = false)
    {
        var ring = o.Keyring;
        var warn = o.Observer;
        if (ring is null)
        {
            warn?.Warning("No audit key was given, so index.sqlite is read unauthenticated: it is checked for consistency but its MACs are not, and it is not updated. Give -KeyPath (or EVALSIG_AUDIT_KEY) for an authenticated answer.");
        }

        using var guard = LedgerLock.TryAcquire(Path.Combine(ledger.Directory, "index.lock"), IndexLockTimeout, cancel, out var fault);
        var readOnly = guard is null && fault!.Error is EvalSigError.StorageReadOnly or EvalSigError.StorageAccessDenied;
        if (guard is null && !readOnly)
        {
            throw fault!;
        }

        if (readOnly && ring is not null)
        {
            warn?.Warning("The ledger directory is read-only here, so index.sqlite can be neither rebuilt nor brought level; it is read unauthenticated where it is level, and ledger.jsonl is scanned otherwise.");
            ring = null;
        }

        try
        {
            if (ring is null)
            {
                return Unauthenticated(ledger, snap, q, warn, readOnly, verifyAll, cancel);
            }

            string? problem = null;
            LedgerIndex? index;
            try
            {
                index = forceRebuild ? Build(ledger, snap, ring.Keys[0], warn, cancel) : OpenOrBuild(ledger, snap, ring, warn, cancel);
            }
            catch (IndexMismatchException ex)
            {
                problem = $"index.sqlite did not match the ledger ({ex.Message}) and was rebuilt";
                warn?.Warning(problem + " from ledger.jsonl.");
                index = Build(ledger, snap, ring.Keys[0], warn, cancel);
            }

            using (index)
            {
                SkippedWarning(index.Skipped, warn);
                try
                {
                    if (verifyAll)
                    {
                        index.VerifyAll(cancel);
                    }

                    return new QueryPlan(index.Find(q, cancel), index.Rows, null, true, problem);
                }
                catch (IndexMismatchException ex) when (!forceRebuild)
                {
                    problem = $"index.sqlite did not match the ledger ({ex.Message}) and was rebuilt";
                    warn?.Warning(problem + " from ledger.jsonl.");
                }
            }

            using var rebuilt = Build(ledger, snap, ring.Keys[0], warn, cancel);
            try
            {
                return new QueryPlan(rebuilt.Find(q, cancel), rebuilt.Rows, null, true, problem);
            }
            catch (IndexMismatchException ex)
            {
                warn?.Warning($"the rebuilt index.sqlite still does not answer consistently ({ex.Message}); scanning ledger.jsonl instead.");
                return new QueryPlan(null, null, null, false, "index.sqlite is unusable; queries scan ledger.jsonl");
            }
        }
        catch (Exception ex) when (ex is DbException or IOException or UnauthorizedAccessException)
        {
            var problem = $"index.sqlite is unusable ({ex.Message}); queries scan ledger.jsonl";
            warn?.Warning(problem + ".");
            return new QueryPlan(null, null, null, false, problem);
        }
    }

    /// <summary>Keyless (or read-only): the index read as it is, checked structurally; the uncovered tail scanned.</summary>
    private static QueryPlan Unauthenticated(LocalLedger ledger, LedgerSnapshot snap, AuditQuery q, IAuditObserver? warn, bool readOnlyDirectory, bool verifyAll, CancellationToken cancel)
    {
        try
        {
            using var index = LedgerIndex.Open(ledger.Directory, ledger.LedgerPath, snap, null, readOnlyDirectory);
            if (index is null)
            {
                return new QueryPlan(null, null, null, false, null);
            }

            if (verifyAll)
            {
                index.VerifyAll(cancel);
            }

            SkippedWarning(index.Skipped, warn);
            if (index.Covered == snap.Complete)
            {
                return new QueryPlan(index.Find(q, cancel), index.Rows, null, false, null);
            }

            // Behind: the covered rows answer first (paging applied after the tail is added).
            var wide = q with { Skip = 0, First = q.First is { } f ? (int)Math.Min(int.MaxValue, (long)f + q.Skip) : null };
            return new QueryPlan(index.Find(wide, cancel), index.Rows, index.Covered, false, null);
        }
        catch (IndexMismatchException ex)
        {
            warn?.Warning($"index.sqlite does not match ledger.jsonl ({ex.Message}); without the key it cannot be rebuilt, so ledger.jsonl is scanned.");
            return new QueryPlan(null, null, null, false, $"index.sqlite does not match the ledger ({ex.Message})");
        }
    }

    private static LedgerIndex OpenOrBuild(LocalLedger ledger, LedgerSnapshot snap, AuditKeyring ring, IAuditObserver? observer, CancellationToken cancel)
    {
        var index = LedgerIndex.Open(ledger.Directory, ledger.LedgerPath, snap, ring, readOnly: false);
        if (index is null)
        {
            return Build(ledger, snap, ring.Keys[0], observer, cancel);
        }

        try
        {
            CatchUp(index, ledger, snap, observer, cancel);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private static LedgerIndex Build(LocalLedger ledger, LedgerSnapshot snap, AuditKey key, IAuditObserver? observer, CancellationToken cancel)
        => LedgerIndex.Build(ledger.Directory, ledger.LedgerPath, snap, key, observer is null ? null : new Progress(observer, "Indexing ledger.jsonl", snap.Complete), cancel);

    private static void CatchUp(LedgerIndex index, LocalLedger ledger, LedgerSnapshot snap, IAuditObserver? observer, CancellationToken cancel)
    {
        if (index.Covered >= snap.Complete)
        {
            return;
        }

        var total = snap.Complete - index.Covered;
        const string activity = "Indexing ledger.jsonl";
        var progress = observer is null ? null : new Progress(observer, activity, total);
        index.CatchUp(ledger.LedgerPath, snap, progress, cancel);
    }

    private static IEnumerable<AuditRecord> Answer(LocalLedger ledger, LedgerSnapshot snap, AuditQuery q, QueryPlan plan, CancellationToken cancel)
    {
        if (plan.Hits is null)
        {
            return Page(Scan(ledger, 0, snap.Complete, q, cancel), q);
        }

        var fetched = Fetch(ledger, plan.Hits, cancel);
        return plan.TailFrom is { } from ? Page(fetched.Concat(Scan(ledger, from, snap.Complete, q, cancel)), q) : fetched;
    }

    private static IEnumerable<AuditRecord> Page(IEnumerable<AuditRecord> records, AuditQuery q) => records.Skip(q.Skip).Take(q.First ?? int.MaxValue);

    /// <summary>
    /// Reads each hit's line and checks it is the record the index names (position, record HMAC).
    /// Hits come in ledger order, so neighbouring lines are read together: one read per run of
    /// hits no more than <see cref="FetchGap"/> apart, up to <see cref="FetchSpan"/> bytes.
    /// </summary>
    private static IEnumerable<AuditRecord> Fetch(LocalLedger ledger, List<IndexHit> hits, CancellationToken cancel)
    {
        if (hits.Count == 0)
        {
            yield break;
        }

        using var file = File.OpenHandle(ledger.LedgerPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[64 * 1024];
        var i = 0;
        while (i < hits.Count)
        {
            cancel.ThrowIfCancellationRequested();

            // The run of hits from i to j - 1, read as one span of the ledger.
            var start = hits[i].Offset;
            var end = hits[i].Offset + hits[i].Length + 1;
            var j = i + 1;
            while (j < hits.Count && hits[j].Offset >= end && hits[j].Offset - end <= FetchGap && hits[j].Offset + hits[j].Length + 1 - start <= FetchSpan)
            {
                end = hits[j].Offset + hits[j].Length + 1;
                j++;
            }

            var size = (int)(end - start);
            if (buffer.Length < size)
            {
                buffer = new byte[size];
            }

            var read = 0;
            while (read < size)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(read, size - read), start + read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            for (; i < j; i++)
            {
                var hit = hits[i];
                var at = (int)(hit.Offset - start);
                if (at < 0 || at + hit.Length + 1 > read || buffer[at + hit.Length] != (byte)'\n'
                    || !LineFields.TryRead(buffer.AsSpan(at, hit.Length), out var f)
                    || f.Position != hit.Position || !LedgerIndex.HmacBytes(f.Hmac).AsSpan().SequenceEqual(hit.RecordHmac))
                {
                    throw new IndexMismatchException(string.Create(CultureInfo.InvariantCulture, $"the ledger line at byte {hit.Offset} is not the record the index names (position {hit.Position})"));
                }

                yield return RecordCodec.FromFields(buffer.AsSpan(at, hit.Length), f, ledger.Name);
            }
        }
    }

    /// <summary>Hits at most this many bytes apart are read in one go (a few lines: cheaper than another read).</summary>
    private const long FetchGap = 4096;

    /// <summary>The most one read of neighbouring hits takes in.</summary>
    private const long FetchSpan = 1 << 20;

    /// <summary>Matching records of the committed lines in [from, to), in order (no paging).</summary>
    private static IEnumerable<AuditRecord> Scan(LocalLedger ledger, long from, long to, AuditQuery q, CancellationToken cancel)
        => Records(ledger, from, to, cancel).Where(q.Matches);

    private static IEnumerable<AuditRecord> Records(LocalLedger ledger, long from, long to, CancellationToken cancel)
    {
        foreach (var line in LedgerFile.Lines(ledger.LedgerPath, from, to))
        {
            cancel.ThrowIfCancellationRequested();
            var span = line.Utf8.Span;
            if (LineFields.TryRead(span, out var f))
            {
                yield return RecordCodec.FromFields(span, f, ledger.Name);
            }
        }
    }

    private static void SkippedWarning(long skipped, IAuditObserver? warn)
    {
        if (skipped > 0)
        {
            warn?.Warning(string.Create(CultureInfo.InvariantCulture, $"{skipped} line(s) of ledger.jsonl are not canonical records (edited, or not records at all) and no query returns them: run Test-AuditChain."));
        }
    }

    /// <summary>Fractions of the catch-up as observer progress, at most one report per percent.</summary>
    private sealed class Progress : IProgress<double>
    {
        private readonly IAuditObserver _observer;
        private readonly string _activity;
        private readonly long _total;
        private int _last = -1;

        public Progress(IAuditObserver observer, string activity, long total) => (_observer, _activity, _total) = (observer, activity, total);

        public void Report(double value)
        {
            var percent = (int)(value * 100);
            if (percent == _last)
            {
                return;
            }

            _last = percent;
            _observer.Progress(_activity, string.Create(CultureInfo.InvariantCulture, $"{percent}% of {_total / 1e6:0.#} MB"), value);
        }
    }
}
