using System;
using System.Data.Common;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// The embedded ledger: <c>ledger.jsonl</c> is the truth - append-only, one canonical record per
/// line, fsync'd before an append returns; <c>index.sqlite</c> is derived. Appends from any number
/// of processes serialize on an OS file lock; a batch is one write and one fsync.
/// </summary>
public sealed class LocalLedger : IAuditBackend
{
    public const string LedgerFileName = "ledger.jsonl";
    public const string EnvironmentVariable = "EVALSIG_AUDIT_ROOT";
    private const string BatchIntentFileName = "ledger.batch";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    public LocalLedger(string? directory)
    {
        Directory = ResolveDirectory(directory);
        LedgerPath = Path.Combine(Directory, LedgerFileName);
    }

    public string Name => "local";

    public string Location => Directory;

    public string Directory { get; }

    public string LedgerPath { get; }

    private string LockPath => Path.Combine(Directory, "ledger.lock");

    private string IntentPath => Path.Combine(Directory, BatchIntentFileName);

    /// <summary>-Ledger, else $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit.</summary>
    public static string ResolveDirectory(string? directory)
    {
        var d = directory;
        if (string.IsNullOrWhiteSpace(d))
        {
            d = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrWhiteSpace(d))
        {
            d = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".evalsig", "audit");
        }

        return Path.GetFullPath(d);
    }

    public IReadOnlyList<AuditRecord> Append(IReadOnlyList<AuditAppend> batch, AuditKey key, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(key);
        if (batch.Count == 0)
        {
            return Array.Empty<AuditRecord>();
        }

        System.IO.Directory.CreateDirectory(Directory);
        using var guard = LedgerLock.Acquire(LockPath, LockTimeout, cancel);
        var (length, position, prevHmac) = HeadForAppend();

        // Build every record (and its line) before touching the file: all or nothing.
        var records = new AuditRecord[batch.Count];
        var text = new StringBuilder(batch.Count * 320);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < batch.Count; i++)
        {
            var a = batch[i];
            var r = RecordCodec.Create(key, position + 1 + i, i == 0 ? prevHmac : records[i - 1].Hmac, a.SchemaKey, a.ProjectId, a.PayloadCanonical, now, Name);
            records[i] = r;
            text.Append(r.Line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (batch.Count > 1)
        {
            // A batch is several lines: record the intent first, so a crash half-way is found and
            // the partial batch is quarantined by Repair-AuditLedger, never taken for records.
            WriteDurably(IntentPath, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"start\":{length},\"count\":{batch.Count}}}")));
        }

        try
        {
            using var fs = new FileStream(LedgerPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TruncateTo(length);
            throw new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Appending to '{LedgerPath}' failed; nothing was recorded: {ex.Message}", LedgerPath, ex);
        }

        if (batch.Count > 1)
        {
            File.Delete(IntentPath);
        }

        return records;
    }

    public IEnumerable<AuditRecord> Query(AuditQuery query, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        if (!File.Exists(LedgerPath))
        {
            return Array.Empty<AuditRecord>();
        }

        var tail = LedgerFile.Tail(LedgerPath);
        List<(long Offset, int Length)>? hits = null;
        try
        {
            using var index = LedgerIndex.OpenCurrent(Directory, LedgerPath, tail.CompleteLength);
            hits = index.Find(query);
        }
        catch (Exception ex) when (ex is DbException or IOException or UnauthorizedAccessException or InvalidOperationException or EvalSigException)
        {
            hits = null; // degraded: fall back to a linear scan of the truth
        }

        return hits is null ? Scan(query, cancel) : Fetch(hits, cancel);
    }

    public IEnumerable<LedgerLine> ReadLines(CancellationToken cancel = default)
    {
        var tail = LedgerFile.Tail(LedgerPath);
        foreach (var line in LedgerFile.Lines(LedgerPath, 0, tail.CompleteLength))
        {
            cancel.ThrowIfCancellationRequested();
            yield return line;
        }
    }

    public AuditStatus GetStatus()
    {
        var (length, lastStart, complete) = LedgerFile.Tail(LedgerPath);
        var problems = new List<string>();
        var torn = length - complete;
        if (torn > 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"torn final line: {torn} bytes after the last complete record; run ") + Diagnostics.Surface.Say("Repair-AuditLedger", "`evalsig audit repair`"));
        }

        if (File.Exists(IntentPath) && !IntentComplete())
        {
            problems.Add("a batch append was interrupted; run " + Diagnostics.Surface.Say("Repair-AuditLedger", "`evalsig audit repair`"));
        }

        long count = 0;
        var indexHealthy = true;
        try
        {
            if (!File.Exists(LedgerPath))
            {
                throw new FileNotFoundException("no ledger yet");
            }

            using var index = LedgerIndex.OpenCurrent(Directory, LedgerPath, complete);
            count = index.Count();
        }
        catch (FileNotFoundException)
        {
            count = 0; // an empty ledger: nothing to index
        }
        catch (Exception ex) when (ex is DbException or IOException or UnauthorizedAccessException or InvalidOperationException or EvalSigException)
        {
            indexHealthy = false;
            problems.Add("index.sqlite is unusable (" + ex.Message + "); queries scan ledger.jsonl");
            count = ReadLines().LongCount();
        }

        LineFields head = default;
        var hasHead = lastStart >= 0 && LineFields.TryRead(LedgerFile.ReadRange(LedgerPath, lastStart, (int)(complete - 1 - lastStart)), out head);
        if (lastStart >= 0 && !hasHead)
        {
            problems.Add("the last complete line is not a record");
        }

        return new AuditStatus
        {
            Status = problems.Count == 0 ? "ok" : "degraded",
            Backend = Name,
            RecordCount = count,
            ChainLength = hasHead ? head.Position + 1 : 0,
            LastAppendAt = hasHead && IsoTime.TryParse(head.Timestamp, out var t) ? t : null,
            HeadHmac = hasHead ? head.Hmac : null,
            IndexHealthy = indexHealthy,
            TornTail = torn > 0,
            TornBytes = torn,
            SchemaCount = AuditSchemaRegistry.Load(Directory).All.Count,
            LedgerPath = LedgerPath,
            Problems = problems,
        };
    }

    /// <summary>What Repair would do: the byte range to quarantine, or null when nothing is torn.</summary>
    public (long From, long Length, string Reason)? PlanRepair()
    {
        var (length, _, complete) = LedgerFile.Tail(LedgerPath);
        if (File.Exists(IntentPath) && !IntentComplete())
        {
            var start = ReadIntent().Start;
            return (start, length - start, "interrupted batch append");
        }

        return length > complete ? (complete, length - complete, "torn final line") : null;
    }

    /// <summary>
    /// Moves torn bytes (or an interrupted batch) to quarantine/ and truncates the ledger to its
    /// last complete record. Valid records are never touched. Returns the quarantine file, or null.
    /// </summary>
    public string? Repair()
    {
        using var guard = LedgerLock.Acquire(LockPath, LockTimeout);
        var plan = PlanRepair();
        if (plan is null)
        {
            if (File.Exists(IntentPath))
            {
                File.Delete(IntentPath); // the batch was complete
            }

            return null;
        }

        var (from, count, _) = plan.Value;
        var quarantine = Path.Combine(Directory, "quarantine");
        System.IO.Directory.CreateDirectory(quarantine);
        var target = Path.Combine(quarantine, $"ledger-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{from}.torn");
        WriteDurably(target, LedgerFile.ReadRange(LedgerPath, from, (int)count));
        TruncateTo(from);
        if (File.Exists(IntentPath))
        {
            File.Delete(IntentPath);
        }

        return target;
    }

    /// <summary>Rebuilds index.sqlite from ledger.jsonl.</summary>
    public void RebuildIndex() => LedgerIndex.Rebuild(Directory, LedgerPath, LedgerFile.Tail(LedgerPath).CompleteLength);

    /// <summary>The head (position, hmac) to continue from; refuses a torn or interrupted ledger.</summary>
    private (long Length, long Position, string? Hmac) HeadForAppend()
    {
        if (File.Exists(IntentPath))
        {
            // Complete, or never started (nothing after its start): either way nothing to repair.
            if (!IntentComplete() && ReadIntent().Start != LedgerFile.Tail(LedgerPath).Length)
            {
                throw Torn("a batch append was interrupted");
            }

            File.Delete(IntentPath);
        }

        var (length, lastStart, complete) = LedgerFile.Tail(LedgerPath);
        if (length > complete)
        {
            throw Torn(string.Create(CultureInfo.InvariantCulture, $"the final {length - complete} bytes are a torn line"));
        }

        if (lastStart < 0)
        {
            return (length, -1, null);
        }

        var last = LedgerFile.ReadRange(LedgerPath, lastStart, (int)(complete - 1 - lastStart));
        if (!LineFields.TryRead(last, out var f))
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, $"The last line of '{LedgerPath}' is not a record, so the chain cannot continue. Run " + Diagnostics.Surface.Say("Test-AuditChain", "`evalsig audit verify`") + " to find the damage.", LedgerPath);
        }

        return (length, f.Position, f.Hmac);
    }

    private EvalSigException Torn(string what) => new(
        EvalSigError.AuditLedgerTorn,
        EvalSigErrorKind.InvalidData,
        $"The ledger '{LedgerPath}' ends badly ({what}), probably from a crash during an append. Nothing acknowledged is lost: run " + Diagnostics.Surface.Say("Repair-AuditLedger", "`evalsig audit repair`") + $" (it moves the torn bytes to quarantine/), then append again.",
        LedgerPath);

    private bool IntentComplete()
    {
        var (start, count) = ReadIntent();
        var (length, _, complete) = LedgerFile.Tail(LedgerPath);
        if (length != complete || start > complete)
        {
            return false;
        }

        return LedgerFile.Lines(LedgerPath, start, complete).Count() == count;
    }

    private (long Start, int Count) ReadIntent()
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(IntentPath));
            return (doc.RootElement.GetProperty("start").GetInt64(), doc.RootElement.GetProperty("count").GetInt32());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            // A torn intent file: its batch never started writing (the intent is fsync'd first).
            return (LedgerFile.Tail(LedgerPath).Length, 0);
        }
    }

    private void TruncateTo(long length)
    {
        if (!File.Exists(LedgerPath))
        {
            return;
        }

        using var fs = new FileStream(LedgerPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
        fs.SetLength(length);
        fs.Flush(flushToDisk: true);
    }

    private static void WriteDurably(string path, byte[] bytes)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        fs.Write(bytes);
        fs.Flush(flushToDisk: true);
    }

    private IEnumerable<AuditRecord> Fetch(List<(long Offset, int Length)> hits, CancellationToken cancel)
    {
        if (hits.Count == 0)
        {
            yield break;
        }

        using var fs = new FileStream(LedgerPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        var buffer = new byte[4096];
        foreach (var (offset, length) in hits)
        {
            cancel.ThrowIfCancellationRequested();
            var bytes = length <= buffer.Length ? buffer : (buffer = new byte[length]);
            fs.Position = offset;
            fs.ReadExactly(bytes, 0, length);
            yield return ParseOrThrow(bytes.AsSpan(0, length), offset);
        }
    }

    private IEnumerable<AuditRecord> Scan(AuditQuery query, CancellationToken cancel)
    {
        var skipped = 0;
        var taken = 0;
        foreach (var line in ReadLines(cancel))
        {
            if (!LineFields.TryRead(line.Utf8.Span, out _))
            {
                continue;
            }

            var r = ParseOrThrow(line.Utf8.Span, line.Offset);
            if (!query.Matches(r))
            {
                continue;
            }

            if (skipped++ < query.Skip)
            {
                continue;
            }

            if (query.First is { } first && taken >= first)
            {
                yield break;
            }

            taken++;
            yield return r;
        }
    }

    private AuditRecord ParseOrThrow(ReadOnlySpan<byte> bytes, long offset)
    {
        try
        {
            return RecordCodec.ParseStored(bytes, Name);
        }
        catch (FormatException ex)
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture, $"The ledger line at byte {offset} of '{LedgerPath}' is not a record: {ex.Message}. Run ") + Diagnostics.Surface.Say("Test-AuditChain", "`evalsig audit verify`") + ".", LedgerPath, ex);
        }
    }
}
