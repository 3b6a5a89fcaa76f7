using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Records every durable file-system call; optionally throws an injected fault at call number <see cref="FailAt"/>.</summary>
internal sealed class RecordingFileOps : IFileOpObserver
{
    public static readonly int EnospcHResult = OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28;
    public static readonly int ErofsHResult = OperatingSystem.IsWindows() ? unchecked((int)0x80070013) : 30;

    public List<(FileOp Op, string Path)> Calls { get; } = new();

    public int FailAt { get; init; } = -1;

    public int HResult { get; init; } = EnospcHResult;

    /// <summary>Only calls on paths under this directory count (and may fail).</summary>
    public string? Under { get; init; }

    public bool Injected { get; private set; }

    public void Before(FileOp op, string path)
    {
        if (Under is not null && !Path.GetFullPath(path).StartsWith(Under, StringComparison.Ordinal))
        {
            return;
        }

        Calls.Add((op, Path.GetFullPath(path)));
        if (Calls.Count - 1 == FailAt)
        {
            Injected = true;
            throw new IOException($"injected fault at call {FailAt} ({op} {path})", HResult);
        }
    }

    /// <summary>Runs <paramref name="action"/> with this observer installed (this async flow only).</summary>
    public T Run<T>(Func<T> action)
    {
        FileOps.Observer = this;
        try
        {
            return action();
        }
        finally
        {
            FileOps.Observer = null;
        }
    }
}

/// <summary>A small tmpfs (root on Linux only): a real full disk, or a real read-only file system after Remount.</summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs? TryMount(string path, string size)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return null;
        }

        Directory.CreateDirectory(path);
        return Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path) ? new Tmpfs(path) : null;
    }

    public bool RemountReadOnly() => Run("mount", "-o", "remount,ro", Path);

    public void Dispose()
    {
        Run("umount", "-l", Path);
    }

    private static bool Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

/// <summary>
/// Issue 17 "faults reported as something else" and issue 15's full-disk test: a read-only file
/// system and a full disk are reported at once and by name, nothing acknowledged is lost, nothing
/// half-written remains - on a real tmpfs where the machine allows, and by an injected fault at
/// every durable write call of the ledger and the store in any case.
/// </summary>
public class StorageFaultTests
{
    private static readonly AuditReadOptions Keyed = new() { Keyring = AuditLedgerTests.Ring };

    [Fact]
    public void AReadOnlyLedgerDirectory_RefusesAppendsAtOnce_ByName_AndStillReadsAndVerifies()
    {
        using var s = new Scratch();
        var dir = s.File("ro");
        using var mount = Tmpfs.TryMount(dir, "4m");
        var ledger = new LocalLedger(dir);
        AuditLedgerTests.Fill(ledger, 5);
        var expected = ledger.Query(new AuditQuery { Skip = 1, First = 3 }, Keyed).Select(r => r.RecordId).ToList();
        EvalSigException refused;
        if (mount is not null && mount.RemountReadOnly())
        {
            // A real read-only mount: before, this waited 60 s on the lock and said AuditLedgerBusy.
            refused = Assert.Throws<EvalSigException>(() => AuditLedgerTests.Fill(ledger, 1));
            var warnings = new Warnings();
            Assert.Equal(expected, ledger.Query(new AuditQuery { Skip = 1, First = 3 }, Keyed with { Observer = warnings }).Select(r => r.RecordId));
            Assert.Contains(warnings.Messages, m => m.Contains("read-only", StringComparison.Ordinal));
            Assert.Equal(5, ledger.GetStatus(Keyed).RecordCount);
            Assert.True(AuditLog.Verify(ledger, AuditLedgerTests.Ring).Valid);
        }
        else
        {
            // No mount here: the same error from an injected EROFS at the first file call.
            refused = Assert.Throws<EvalSigException>(() => new RecordingFileOps { FailAt = 0, HResult = RecordingFileOps.ErofsHResult }.Run(() => AuditLedgerTests.Fill(ledger, 1)));
        }

        Assert.Equal(EvalSigError.StorageReadOnly, refused.Error);
        Assert.Contains("read-only", refused.Message, StringComparison.Ordinal);
        Assert.Equal(5, ledger.Query(new AuditQuery()).Count());
    }

    [Fact]
    public void AFullDisk_DuringBatchAppends_IsStorageFull_LosesNothingAcknowledged_AndLeavesNoStrayFile()
    {
        using var s = new Scratch();
        var dir = s.File("full");
        using var mount = Tmpfs.TryMount(dir, "192k");
        var ledger = new LocalLedger(dir);
        var acknowledged = new List<AuditRecord>();
        EvalSigException? full = null;
        for (var round = 0; round < 400 && full is null; round++)
        {
            try
            {
                var entries = Enumerable.Range(0, 20).Select(i => new AuditEntry("halluccheck.score.v1", "p", $"{{\"score\":{i},\"pad\":\"{new string('x', 200)}\"}}")).ToList();
                acknowledged.AddRange(mount is not null
                    ? AuditLog.Append(ledger, AuditLedgerTests.Key, entries, true)
                    : new RecordingFileOps { FailAt = round == 6 ? 2 : -1 }.Run(() => AuditLog.Append(ledger, AuditLedgerTests.Key, entries, true)));
            }
            catch (EvalSigException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(EvalSigError.StorageFull, full!.Error); // before: a raw IOException (exit 70) and an empty ledger.batch
        Assert.False(File.Exists(Path.Combine(dir, "ledger.batch")));
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(acknowledged.Count, v.RecordCount);
        Assert.Equal(acknowledged.Select(r => r.Hmac), ledger.ReadLines().Select(l => RecordCodec.ParseStored(l.Utf8.Span, "local").Hmac));
    }

    public static IEnumerable<object[]> Scenarios() => new[] { "first-append", "single-append", "batch-append", "store-save", "store-force", "checkpoint-file" }.Select(x => new object[] { x });

    /// <summary>
    /// A fault (ENOSPC) at each durable call in turn: the error is StorageFull, no temporary, staging
    /// or intent file is left, and the state is exactly the state before (or, for a fault after the
    /// commit point, exactly the state after) - never anything in between.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public void AFaultAtEveryDurableWriteCall_LeavesTheStateBeforeOrAfter_NeverHalfWritten(string scenario)
    {
        using var s = new Scratch();
        var baseline = s.File("base");
        Prepare(scenario, baseline);
        var clean = Copy(baseline, s.File("clean"));
        var count = new RecordingFileOps { Under = clean };
        count.Run(() => Act(scenario, clean));
        var after = Snapshot(clean);
        var before = Snapshot(baseline);
        Assert.True(count.Calls.Count >= 3, $"{scenario}: only {count.Calls.Count} calls recorded");
        var reported = 0;
        var tolerated = 0;

        for (var i = 0; i < count.Calls.Count; i++)
        {
            var work = Copy(baseline, s.File($"t{i}"));
            var fault = new RecordingFileOps { Under = work, FailAt = i };
            var where = $"{scenario}, fault at call {i} ({count.Calls[i].Op} {Path.GetFileName(count.Calls[i].Path)})";
            EvalSigException? ex = null;
            try
            {
                fault.Run(() => Act(scenario, work));
            }
            catch (EvalSigException e)
            {
                ex = e;
            }

            Assert.True(fault.Injected, where);
            var state = Snapshot(work);
            if (ex is null)
            {
                // A fault the operation may ride out (a reader's lock, removing a spent intent file):
                // it completed, exactly as without the fault.
                // A spent intent whose batch is whole reads as committed, and the next append removes it.
                state.RemoveWhere(x => x.StartsWith("ledger/ledger.batch=", StringComparison.Ordinal));
                Assert.True(state.SetEquals(after), $"{where}: no error, but the state is not the completed one: {string.Join(", ", state.Except(after))}");
                tolerated++;
            }
            else
            {
                Assert.True(ex.Error == EvalSigError.StorageFull, $"{where}: {ex.Error} {ex.Message}");
                Assert.True(state.SetEquals(before) || state.SetEquals(after), $"{where}: left [{string.Join(", ", state.Except(before).Except(after))}], missing [{string.Join(", ", before.Except(state))}]");
                reported++;
            }

            Consistent(scenario, work);
            Act(scenario, work); // and the next attempt (no fault) succeeds
        }

        Assert.Equal(count.Calls.Count, reported + tolerated);
        Assert.True(reported > tolerated, $"{scenario}: {reported} faults reported, {tolerated} ridden out");
    }

    private static void Prepare(string scenario, string dir)
    {
        Directory.CreateDirectory(dir);
        switch (scenario)
        {
            case "single-append" or "batch-append" or "checkpoint-file":
                AuditLedgerTests.Fill(new LocalLedger(Path.Combine(dir, "ledger")), 3);
                break;
            case "store-force":
                new EvalRunStore(Path.Combine(dir, "store")).Save("p", Run(0.1), force: false);
                break;
        }
    }

    private static object Act(string scenario, string dir) => scenario switch
    {
        "first-append" or "single-append" => AuditLedgerTests.Fill(new LocalLedger(Path.Combine(dir, "ledger")), 1),
        "batch-append" => AuditLedgerTests.Fill(new LocalLedger(Path.Combine(dir, "ledger")), 5),
        "store-save" => new EvalRunStore(Path.Combine(dir, "store")).Save("p", Run(0.1), force: false),
        "store-force" => new EvalRunStore(Path.Combine(dir, "store")).Save("p", Run(0.2), force: true),
        "checkpoint-file" => WriteCheckpoint(dir),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };

    private static AuditCheckpoint WriteCheckpoint(string dir)
    {
        var cp = AuditLog.Checkpoint(new LocalLedger(Path.Combine(dir, "ledger")), AuditLedgerTests.Ring);
        var bytes = System.Text.Encoding.UTF8.GetBytes(cp.ToJson() + "\n");
        AtomicFile.Write(Path.Combine(dir, "checkpoint.json"), st => st.Write(bytes), noClobber: false);
        return cp;
    }

    /// <summary>What is left after a fault must still verify (ledger) or load with its hash (store).</summary>
    private static void Consistent(string scenario, string dir)
    {
        if (scenario.StartsWith("store", StringComparison.Ordinal))
        {
            var store = new EvalRunStore(Path.Combine(dir, "store"));
            if (store.Projects().Count > 0)
            {
                var runs = store.History("p", new HistoryQuery { IncludeSuperseded = true });
                foreach (var run in runs)
                {
                    Assert.True(File.Exists(run.Path), run.Path);
                }

                if (runs.Any(r => !r.Superseded))
                {
                    store.Load("p", "run-x"); // the content hash matches
                }
            }
        }
        else if (File.Exists(Path.Combine(dir, "ledger", LocalLedger.LedgerFileName)))
        {
            var v = AuditLog.Verify(new LocalLedger(Path.Combine(dir, "ledger")), AuditLedgerTests.Ring);
            Assert.True(v.Valid, v.Reason);
        }
    }

    private static RunFrame Run(double shift) => RunFrame.Create("run-x", "m", "t", "acc", new[] { "a", "b", "c" }, new[] { 0.1 + shift, 0.5, 0.9 }, timestamp: new DateTimeOffset(2026, 2, 3, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Every file (relative path + content hash; timestamps masked) except locks and the derived index.</summary>
    private static HashSet<string> Snapshot(string dir)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(dir))
        {
            return set;
        }

        foreach (var f in Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(dir, f);
            var name = Path.GetFileName(f);
            if (name.EndsWith(".lock", StringComparison.Ordinal) || name.StartsWith("index.sqlite", StringComparison.Ordinal))
            {
                continue;
            }

            if (Directory.Exists(f))
            {
                // A directory holding nothing but lock files is not state (an append creates its lock first).
                if (Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories).Any(x => !x.EndsWith(".lock", StringComparison.Ordinal)) || !Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories).Any())
                {
                    set.Add(rel + "/");
                }

                continue;
            }

            var content = name == LocalLedger.LedgerFileName ? LedgerShape(f)
                : name == EvalSig.Core.Audit.Transparency.MerkleTreeStore.FileName ? TreeShape(f)
                : name == "checkpoint.json" ? AuditCheckpoint.Load(f) is var cp ? $"{cp.Position}:{cp.HeadHmac}" : string.Empty
                : name == EvalRunStore.ManifestFileName ? ManifestShape(f)
                : name.Contains(".parquet", StringComparison.Ordinal) ? RunFrameFile.Read(f, new RunFrameReadOptions { Format = RunFrameFormat.Parquet }).Scores[0].ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)));
            set.Add(rel + "=" + content);
        }

        return set;
    }

    /// <summary>A ledger's records by position and payload (their time and MACs differ run to run).</summary>
    private static string LedgerShape(string path) => string.Join("|", File.ReadAllLines(path).Select(l => RecordCodec.Parse(l, "x")).Select(r => $"{r.ChainPosition}:{r.PayloadJson}"));

    /// <summary>
    /// The Merkle tree by its leaf count and whether it is exactly the tree of the ledger beside it
    /// (its hashes cover the records' times and MACs, which differ run to run).
    /// </summary>
    private static string TreeShape(string path)
    {
        var ledger = Path.Combine(Path.GetDirectoryName(path)!, LocalLedger.LedgerFileName);
        var fresh = Path.Combine(Path.GetTempPath(), "evalsig-tree-" + Guid.NewGuid().ToString("N"));
        try
        {
            EvalSig.Core.Audit.Transparency.LedgerTree.Build(fresh, ledger, File.Exists(ledger) ? new FileInfo(ledger).Length : 0);
            var same = File.ReadAllBytes(fresh).AsSpan().SequenceEqual(File.ReadAllBytes(path));
            return $"{EvalSig.Core.Audit.Transparency.MerkleTreeStore.SizeFromLength(new FileInfo(path).Length)} leaves, {(same ? "the ledger's tree" : "NOT the ledger's tree")}";
        }
        finally
        {
            File.Delete(fresh);
        }
    }

    private static string ManifestShape(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return string.Join("|", doc.RootElement.GetProperty("runs").EnumerateArray().Select(r => $"{r.GetProperty("run_id").GetString()}:{r.GetProperty("version").GetInt32()}:{r.GetProperty("superseded").GetBoolean()}:{r.GetProperty("path").GetString()}:{r.GetProperty("content_sha256").GetString()}"));
    }

    private static string Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        }

        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
        }

        return Path.GetFullPath(to);
    }
}

/// <summary>An observer that keeps warnings and progress, for assertions.</summary>
internal sealed class Warnings : IAuditObserver
{
    public List<string> Messages { get; } = new();

    public List<(string Activity, double Fraction)> Progress { get; } = new();

    public void Warning(string message) => Messages.Add(message);

    void IAuditObserver.Progress(string activity, string status, double fraction) => Progress.Add((activity, fraction));
}
