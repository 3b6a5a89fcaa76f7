using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// The embedded ledger: <c>ledger.jsonl</c> is the truth - append-only, one canonical record per
/// line, fsync'd (file and directory) before an append returns; <c>index.sqlite</c> is derived and
/// authenticated. Appends from any number of processes serialize on an OS file lock; a batch is
/// one write and one fsync, announced by an intent file so that readers never see part of it.
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

    internal string LockPath => Path.Combine(Directory, "ledger.lock");

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

    /// <summary>
    /// Fails closed when there is no ledger to read here: the directory is missing or is a file, or
    /// it holds no ledger.jsonl (or a directory by that name). A mistyped path must never read as
    /// "no records".
    /// </summary>
    public void RequireLedger()
    {
        RequireUsableLocation();
        if (!System.IO.Directory.Exists(Directory))
        {
            throw NotFound($"There is no ledger at '{Directory}': the directory does not exist. Check -Ledger (--ledger) or EVALSIG_AUDIT_ROOT.");
        }

        if (!File.Exists(LedgerPath))
        {
            throw NotFound($"The directory '{Directory}' holds no {LedgerFileName}: nothing was ever recorded there. Check -Ledger (--ledger) or EVALSIG_AUDIT_ROOT.");
        }
    }

    public IReadOnlyList<AuditRecord> Append(IReadOnlyList<AuditAppend> batch, AuditKey key, CancellationToken cancel = default)
        => Append(batch, key, null, cancel);

    /// <summary>Appends a batch all-or-nothing; with <see cref="AuditAppendOptions.UpdateIndex"/> the index is brought level afterwards.</summary>
    public IReadOnlyList<AuditRecord> Append(IReadOnlyList<AuditAppend> batch, AuditKey key, AuditAppendOptions? options, CancellationToken cancel = default)
    {
        var records = AppendCore(batch, key, allowLegacyHead: false, cancel);
        if (options?.UpdateIndex == true && records.Count > 0)
        {
            // After the ledger lock is released: the index takes its own lock and a committed snapshot.
            LedgerReader.UpdateIndex(this, new AuditKeyring(new[] { key }), options.Observer, cancel);
        }

        return records;
    }

    /// <summary>The append itself; <paramref name="allowLegacyHead"/> only for the migration record.</summary>
    internal IReadOnlyList<AuditRecord> AppendCore(IReadOnlyList<AuditAppend> batch, AuditKey key, bool allowLegacyHead, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(key);
        if (key.Status == AuditKeyStatus.VerifyOnly)
        {
            _ = new AuditKeyring(new[] { key }).SigningKey; // throws AuditKeyRetired with the reason
        }

        if (batch.Count == 0)
        {
            return Array.Empty<AuditRecord>();
        }

        RequireUsableLocation();
        var newDirectories = new List<string>();
        for (var d = Directory; !System.IO.Directory.Exists(d); d = Path.GetDirectoryName(d)!)
        {
            newDirectories.Add(d);
        }

        LedgerLock guard;
        try
        {
            Storage(() => FileOps.CreateDirectory(Directory), Directory, "creating the ledger directory");
            guard = LedgerLock.Acquire(LockPath, LockTimeout, cancel);
        }
        catch
        {
            // A failed first append leaves no empty directories behind.
            foreach (var d in newDirectories)
            {
                try
                {
                    if (System.IO.Directory.Exists(d) && !System.IO.Directory.EnumerateFileSystemEntries(d).Any())
                    {
                        System.IO.Directory.Delete(d);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    break;
                }
            }

            throw;
        }

        using var held = guard;
        var (length, position, prevHmac) = HeadForAppend(allowLegacyHead);

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
        var created = !File.Exists(LedgerPath);
        var intent = false;
        try
        {
            if (batch.Count > 1)
            {
                // A batch is several lines: record the intent durably first, so readers skip the
                // batch until it commits and a crash half-way is quarantined whole by Repair.
                WriteNewDurably(IntentPath, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"start\":{length},\"count\":{batch.Count}}}")));
                intent = true;
            }

            using (var fs = FileOps.OpenAppend(LedgerPath))
            {
                fs.Write(bytes);
                FileOps.Fsync(fs);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Undo(length, created, intent);
            throw StorageFault.Classify(ex, LedgerPath, "appending to")
                ?? new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Appending to '{LedgerPath}' failed; nothing was recorded: {ex.Message}", LedgerPath, ex);
        }

        // The Merkle tree over the ledger (Transparency/), extended under the same lock.
        Transparency.LedgerTree.Extend(Directory, LedgerPath, position + 1, length, bytes);
        if (intent)
        {
            try
            {
                FileOps.Delete(IntentPath);
            }
            catch (IOException)
            {
                // The batch is durable; an intent whose lines are all present reads as committed.
            }
        }

        return records;
    }

    public IEnumerable<AuditRecord> Query(AuditQuery query, CancellationToken cancel = default) => Query(query, null, cancel);

    /// <summary>
    /// Records matching the query, in chain order, from the committed ledger (fails closed when
    /// there is no ledger). With a keyring the index is authenticated and kept level; without, it is
    /// read unauthenticated (the observer is told) and never written.
    /// </summary>
    public IEnumerable<AuditRecord> Query(AuditQuery query, AuditReadOptions? options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        RequireLedger();
        return LedgerReader.Query(this, query, options ?? new AuditReadOptions(), cancel);
    }

    public IEnumerable<LedgerLine> ReadLines(CancellationToken cancel = default) => ReadLines(TakeSnapshot(cancel), cancel);

    internal IEnumerable<LedgerLine> ReadLines(LedgerSnapshot snapshot, CancellationToken cancel)
    {
        foreach (var line in LedgerFile.Lines(LedgerPath, 0, snapshot.Complete))
        {
            cancel.ThrowIfCancellationRequested();
            yield return line;
        }
    }

    public AuditStatus GetStatus() => GetStatus(null);

    public AuditStatus GetStatus(AuditReadOptions? options, CancellationToken cancel = default)
    {
        var problems = new List<string>();
        if (File.Exists(Directory) || System.IO.Directory.Exists(LedgerPath) || !File.Exists(LedgerPath))
        {
            problems.Add(File.Exists(Directory) ? $"'{Directory}' is a file, not a ledger directory"
                : System.IO.Directory.Exists(LedgerPath) ? $"'{LedgerPath}' is a directory, not a ledger file"
                : System.IO.Directory.Exists(Directory) ? $"no {LedgerFileName} in '{Directory}': nothing recorded yet" : $"the directory '{Directory}' does not exist");
            return new AuditStatus
            {
                Status = "missing",
                Backend = Name,
                RecordCount = 0,
                ChainLength = 0,
                IndexHealthy = true,
                TornTail = false,
                SchemaCount = System.IO.Directory.Exists(Directory) ? AuditSchemaRegistry.Load(Directory).All.Count : AuditSchemaRegistry.BuiltIn.Count,
                LedgerPath = LedgerPath,
                Problems = problems,
            };
        }

        var snap = TakeSnapshot(cancel);
        if (snap.Torn > 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"torn final line: {snap.Torn} bytes after the last complete record; run Repair-AuditLedger"));
        }

        if (snap.Interrupted)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"a batch append was interrupted: its {snap.Length - snap.Committed} bytes are not committed and no reader sees them; run Repair-AuditLedger"));
        }

        var (count, indexHealthy, authenticated, indexProblem) = LedgerReader.Count(this, snap, options ?? new AuditReadOptions(), cancel);
        if (indexProblem is not null)
        {
            problems.Add(indexProblem);
        }

        LineFields head = default;
        var hasHead = snap.LastLineStart >= 0 && LineFields.TryRead(LedgerFile.ReadRange(LedgerPath, snap.LastLineStart, (int)(snap.Complete - 1 - snap.LastLineStart)), out head);
        if (snap.LastLineStart >= 0 && !hasHead)
        {
            problems.Add("the last complete line is not a canonical record; run Test-AuditChain");
        }

        if (hasHead && head.Version == 1)
        {
            problems.Add("the ledger is in record format 1 (MAC'd with the undivided key): migrate it with Update-AuditLedger (evalsig audit migrate) before appending");
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
            IndexAuthenticated = authenticated,
            RecordFormat = hasHead ? head.Version : LineFields.CurrentVersion,
            TornTail = snap.Torn > 0,
            TornBytes = snap.Torn,
            UncommittedBytes = snap.Length - snap.Committed,
            SchemaCount = AuditSchemaRegistry.Load(Directory).All.Count,
            LedgerPath = LedgerPath,
            Location = Directory,
            Problems = problems,
        };
    }

    /// <summary>What Repair would do: the byte range to quarantine, or null when nothing is torn.</summary>
    public (long From, long Length, string Reason)? PlanRepair()
    {
        RequireLedger();
        var snap = Compute();
        if (snap.Interrupted)
        {
            return (snap.Committed, snap.Length - snap.Committed, "interrupted batch append");
        }

        return snap.Length > snap.Complete ? (snap.Complete, snap.Length - snap.Complete, "torn final line") : null;
    }

    /// <summary>
    /// Moves torn bytes (or an interrupted batch) to quarantine/ and truncates the ledger to its
    /// last complete record. Valid records are never touched. Returns the quarantine file, or null.
    /// </summary>
    public string? Repair()
    {
        RequireLedger();
        using var guard = LedgerLock.Acquire(LockPath, LockTimeout);
        var plan = PlanRepair();
        if (plan is null)
        {
            Storage(() => FileOps.Delete(IntentPath), IntentPath, "removing"); // the batch was complete
            return null;
        }

        var (from, count, _) = plan.Value;
        var quarantine = Path.Combine(Directory, "quarantine");
        var target = Path.Combine(quarantine, $"ledger-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{from}.torn");
        Storage(
            () =>
            {
                FileOps.CreateDirectory(quarantine);
                WriteNewDurably(target, LedgerFile.ReadRange(LedgerPath, from, (int)count));
                TruncateTo(from);
                FileOps.Delete(IntentPath);
            },
            LedgerPath,
            "repairing");
        return target;
    }

    /// <summary>The exclusive lock appends and repairs hold.</summary>
    internal IDisposable AcquireLock(CancellationToken cancel = default) => LedgerLock.Acquire(LockPath, LockTimeout, cancel);

    /// <summary>
    /// The ledger's complete length while no append is in progress, taken under the lock; null when
    /// a crash left a torn line or an interrupted batch (those records may still be quarantined).
    /// </summary>
    internal long? CommittedLength(CancellationToken cancel = default)
    {
        if (!File.Exists(LedgerPath))
        {
            return 0;
        }

        using var guard = AcquireLock(cancel);
        return PlanRepair() is null ? LedgerFile.Tail(LedgerPath).CompleteLength : null;
    }

    /// <summary>Rebuilds index.sqlite from ledger.jsonl (MAC'd with the keyring's first key).</summary>
    public void RebuildIndex(AuditKeyring keyring, IAuditObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        RequireLedger();
        LedgerReader.Rebuild(this, keyring, observer, cancel);
    }

    /// <summary>
    /// What a reader may see. Taken under the ledger lock (an append holds it from its intent to
    /// its fsync), so a batch in flight is never half-visible; a crashed batch (intent left, lines
    /// incomplete) is excluded until repaired. When the lock cannot be taken because the directory
    /// is read-only (an auditor's mount), no appender can be writing here: read without it.
    /// </summary>
    internal LedgerSnapshot TakeSnapshot(CancellationToken cancel = default)
    {
        if (!File.Exists(LedgerPath))
        {
            return new LedgerSnapshot(0, 0, 0, -1, false);
        }

        using var guard = LedgerLock.TryAcquire(LockPath, LockTimeout, cancel, out var fault);
        if (guard is null && fault!.Error == EvalSigError.AuditLedgerBusy)
        {
            throw fault;
        }

        return Compute();
    }

    private LedgerSnapshot Compute()
    {
        var length = File.Exists(LedgerPath) ? new FileInfo(LedgerPath).Length : 0;
        var committed = length;
        var interrupted = false;
        if (File.Exists(IntentPath))
        {
            var (start, count) = ReadIntent(length);
            if (start < length && !IntentComplete(start, count, length))
            {
                committed = start;
                interrupted = true;
            }
        }

        var (_, lastStart, complete) = LedgerFile.Tail(LedgerPath, committed);
        return new LedgerSnapshot(length, committed, complete, lastStart, interrupted);
    }

    /// <summary>The head (position, hmac) to continue from; refuses a torn, interrupted or unmigrated ledger.</summary>
    private (long Length, long Position, string? Hmac) HeadForAppend(bool allowLegacyHead)
    {
        var snap = Compute();
        if (snap.Interrupted)
        {
            throw Torn("a batch append was interrupted");
        }

        if (File.Exists(IntentPath))
        {
            // Complete, or never started (nothing after its start): either way nothing to repair.
            Storage(() => FileOps.Delete(IntentPath), IntentPath, "removing");
        }

        if (snap.Length > snap.Complete)
        {
            throw Torn(string.Create(CultureInfo.InvariantCulture, $"the final {snap.Length - snap.Complete} bytes are a torn line"));
        }

        if (snap.LastLineStart < 0)
        {
            return (snap.Length, -1, null);
        }

        var last = LedgerFile.ReadRange(LedgerPath, snap.LastLineStart, (int)(snap.Complete - 1 - snap.LastLineStart));
        if (!LineFields.TryRead(last, out var f, out var problem))
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, $"The last line of '{LedgerPath}' is not a record ({problem}), so the chain cannot continue. Run " + Diagnostics.Surface.Say("Test-AuditChain", "`evalsig audit verify`") + " to find the damage.", LedgerPath);
        }

        if (f.Version == 1 && !allowLegacyHead)
        {
            throw new EvalSigException(
                EvalSigError.AuditLedgerMigrationRequired,
                EvalSigErrorKind.InvalidData,
                $"The ledger '{LedgerPath}' is in record format 1 (records MAC'd with the undivided audit key). New records use keys derived per purpose, and the change is made explicitly, once: run Update-AuditLedger (evalsig audit migrate), which verifies the ledger and seals its format-1 records. See docs/concepts/audit-chain.md#migration.",
                LedgerPath);
        }

        return (snap.Length, f.Position, f.Hmac);
    }

    private EvalSigException Torn(string what) => new(
        EvalSigError.AuditLedgerTorn,
        EvalSigErrorKind.InvalidData,
        $"The ledger '{LedgerPath}' ends badly ({what}), probably from a crash during an append. Nothing acknowledged is lost: run " + Diagnostics.Surface.Say("Repair-AuditLedger", "`evalsig audit repair`") + $" (it moves the torn bytes to quarantine/), then append again.",
        LedgerPath);

    private EvalSigException NotFound(string message) => new(EvalSigError.AuditLedgerNotFound, EvalSigErrorKind.ObjectNotFound, message, Directory);

    private void RequireUsableLocation()
    {
        if (File.Exists(Directory))
        {
            throw NotFound($"'{Directory}' is a file, not a ledger directory: give the directory that holds {LedgerFileName}{(Path.GetFileName(Directory) == LedgerFileName ? " (its parent)" : string.Empty)}.");
        }

        if (System.IO.Directory.Exists(LedgerPath))
        {
            throw NotFound($"'{LedgerPath}' is a directory, not a ledger file: this is not a ledger.");
        }
    }

    /// <summary>True when the batch's lines are all present after its start.</summary>
    private bool IntentComplete(long start, int count, long length)
    {
        var (_, _, complete) = LedgerFile.Tail(LedgerPath, length);
        if (length != complete || start > complete)
        {
            return false;
        }

        return LedgerFile.Lines(LedgerPath, start, complete).Count() == count;
    }

    private (long Start, int Count) ReadIntent(long length)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(IntentPath));
            return (doc.RootElement.GetProperty("start").GetInt64(), doc.RootElement.GetProperty("count").GetInt32());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or IOException)
        {
            // A torn intent file: its batch never started writing (the intent is fsync'd first).
            return (length, 0);
        }
    }

    /// <summary>Puts the ledger back as it was before a failed append: no stray intent, no empty new file.</summary>
    private void Undo(long length, bool created, bool intent)
    {
        try
        {
            if (created && length == 0)
            {
                FileOps.Delete(LedgerPath); // this append created it: nothing acknowledged is in it
            }
            else
            {
                TruncateTo(length);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return; // keep the intent: readers then treat the partial batch as uncommitted
        }

        if (intent)
        {
            try
            {
                FileOps.Delete(IntentPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A left-over intent with nothing after its start is recognised as never started.
            }
        }
    }

    private void TruncateTo(long length)
    {
        if (!File.Exists(LedgerPath) || new FileInfo(LedgerPath).Length == length)
        {
            return;
        }

        using var fs = FileOps.OpenExisting(LedgerPath);
        FileOps.SetLength(fs, length);
        FileOps.Fsync(fs);
    }

    /// <summary>A new file, its bytes and its directory entry all on disk before this returns.</summary>
    private static void WriteNewDurably(string path, byte[] bytes)
    {
        try
        {
            using (var fs = FileOps.CreateNew(path))
            {
                fs.Write(bytes);
                FileOps.Fsync(fs);
            }

            FileOps.SyncDirectoryOf(path);
        }
        catch
        {
            try
            {
                FileOps.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The original fault is the one to report.
            }

            throw;
        }
    }

    /// <summary>Runs a file-system step; a full disk, read-only mount or denied permission becomes its EvalSig error.</summary>
    private static void Storage(Action action, string path, string doing)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageFault.Classify(ex, path, doing)
                ?? new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Failed while {doing} '{path}': {ex.Message}", path, ex);
        }
    }
}

/// <summary>What a reader of the ledger may see: the committed bytes, the complete lines in them, and what lies beyond.</summary>
internal readonly record struct LedgerSnapshot(long Length, long Committed, long Complete, long LastLineStart, bool Interrupted)
{
    /// <summary>Torn bytes after the last complete line of the committed part.</summary>
    public long Torn => Committed - Complete;
}
