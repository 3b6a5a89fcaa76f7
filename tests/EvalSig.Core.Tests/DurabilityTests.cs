using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Files;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 17, "durability on power loss": every file created and every rename is followed by a flush
/// of its directory (on Linux and macOS), observed through the file-system seam. Removing any of
/// those flushes makes a test here fail.
/// </summary>
public class DurabilityTests
{
    private static bool Posix => !OperatingSystem.IsWindows();

    [Fact]
    public void TheFirstAppend_FlushesTheNewDirectoryAndTheNewLedgerFile_BeforeWritingARecord()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.File("a/b/ledger"));
        var rec = new RecordingFileOps();
        rec.Run(() => AuditLedgerTests.Fill(ledger, 1));
        var calls = rec.Calls;

        // Each new directory is followed by a flush of its parent.
        foreach (var (i, dir) in calls.Select((c, i) => (i, c)).Where(x => x.c.Op == FileOp.CreateDirectory).Select(x => (x.i, x.c.Path)))
        {
            Assert.Contains(calls.Skip(i + 1), c => c.Op == FileOp.SyncDirectory && c.Path == Path.GetDirectoryName(dir));
        }

        Assert.Equal(3, calls.Count(c => c.Op == FileOp.CreateDirectory)); // a, b, ledger
        var create = calls.FindIndex(c => c.Op == FileOp.Create && c.Path == ledger.LedgerPath);
        var firstWrite = calls.FindIndex(c => c.Op == FileOp.Write && c.Path == ledger.LedgerPath);
        Assert.True(create >= 0 && firstWrite > create);
        Assert.Contains(calls.Skip(create + 1).Take(firstWrite - create - 1), c => c.Op == FileOp.SyncDirectory && c.Path == ledger.Directory);
        Assert.Equal(FileOp.Fsync, calls.Skip(firstWrite + 1).First(c => c.Path == ledger.LedgerPath).Op);

        // A later append to the existing file needs no directory flush.
        var again = new RecordingFileOps();
        again.Run(() => AuditLedgerTests.Fill(ledger, 1));
        Assert.DoesNotContain(again.Calls, c => c.Op == FileOp.SyncDirectory);
    }

    [Fact]
    public void ABatch_MakesItsIntentDurable_FileAndDirectory_BeforeItsFirstLedgerByte()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 1);
        var rec = new RecordingFileOps();
        rec.Run(() => AuditLedgerTests.Fill(ledger, 4));
        var intent = Path.Combine(s.Path, "ledger.batch");
        var order = rec.Calls.Select(c => $"{c.Op}:{Path.GetFileName(c.Path)}").ToList();
        var firstLedgerWrite = order.IndexOf("Write:" + LocalLedger.LedgerFileName);
        Assert.Equal(new[] { "Create:ledger.batch", "Write:ledger.batch", "Fsync:ledger.batch", "SyncDirectory:" + Path.GetFileName(s.Path) }, order.Skip(order.IndexOf("Create:ledger.batch")).Take(4));
        Assert.True(order.IndexOf("SyncDirectory:" + Path.GetFileName(s.Path)) < firstLedgerWrite);
        Assert.False(File.Exists(intent));
    }

    [Fact]
    public void EveryAtomicRename_IsFollowedByAFlushOfItsDirectory_ForTheStoreManifestsCheckpointsKeysAndExports()
    {
        using var s = new Scratch();
        var rec = new RecordingFileOps();
        rec.Run(() =>
        {
            var store = new EvalRunStore(s.File("store"));
            store.Save("p", RunFrame.Create("r1", "m", "t", "acc", new[] { "a" }, new[] { 1.0 }), false);
            store.Save("p", RunFrame.Create("r1", "m", "t", "acc", new[] { "a" }, new[] { 0.5 }), true); // supersede: two more renames
            AuditKeyFile.Create(s.File("keys/audit.key"), false);
            AuditKeyFile.Rotate(s.File("keys/audit.key"));
            var ledger = new LocalLedger(s.File("ledger"));
            AuditLedgerTests.Fill(ledger, 2);
            var cp = AuditLog.Checkpoint(ledger, AuditLedgerTests.Ring);
            AtomicFile.Write(s.File("cp.json"), st => st.Write(Encoding.UTF8.GetBytes(cp.ToJson())), false);
            AuditExport.Write(ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring }), s.File("x.csv"), AuditExportFormat.Csv, false, false);
            return 0;
        });

        var renames = rec.Calls.Select((c, i) => (c, i)).Where(x => x.c.Op == FileOp.Rename).ToList();
        Assert.True(renames.Count >= 9, $"{renames.Count} renames");
        foreach (var (c, i) in renames)
        {
            Assert.True(rec.Calls[i + 1] == (FileOp.SyncDirectory, Path.GetDirectoryName(c.Path)!), $"no directory flush right after the rename to {c.Path}");
        }

        Assert.Contains(renames, r => r.c.Path.EndsWith(".v1.superseded", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.c.Path.EndsWith("run_id=r1.parquet", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.c.Path.EndsWith(EvalRunStore.ManifestFileName, StringComparison.Ordinal));
        Assert.Contains(renames, r => r.c.Path.EndsWith("audit.key", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.c.Path.EndsWith("cp.json", StringComparison.Ordinal));
        Assert.Contains(renames, r => r.c.Path.EndsWith("x.csv", StringComparison.Ordinal));
    }

    [Fact]
    public void CreatingTheIndex_AndRepairingTheLedger_FlushTheirDirectory()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 2);
        var rec = new RecordingFileOps();
        rec.Run(() => ledger.Query(new AuditQuery(), new AuditReadOptions { Keyring = AuditLedgerTests.Ring }).ToList());
        Assert.Contains((FileOp.SyncDirectory, Path.GetFullPath(s.Path)), rec.Calls);
        Assert.True(File.Exists(Path.Combine(s.Path, "index.sqlite")));

        File.AppendAllText(ledger.LedgerPath, "{\"torn");
        var repair = new RecordingFileOps();
        repair.Run(ledger.Repair);
        var quarantine = repair.Calls.FindIndex(c => c.Op == FileOp.Create && c.Path.EndsWith(".torn", StringComparison.Ordinal));
        Assert.Contains(repair.Calls.Skip(quarantine), c => c.Op == FileOp.SyncDirectory && c.Path == Path.Combine(Path.GetFullPath(s.Path), "quarantine"));
        Assert.True(repair.Calls.FindIndex(c => c.Op == FileOp.SetLength) > repair.Calls.FindLastIndex(c => c.Op == FileOp.SyncDirectory && c.Path.EndsWith("quarantine", StringComparison.Ordinal)), "the torn bytes are safe in quarantine before the ledger is truncated");
    }

    [Fact]
    public void TheDirectoryFlush_IsARealSystemCall()
    {
        using var s = new Scratch();
        DirectorySync.Flush(s.Path); // succeeds on a real directory
        if (Posix)
        {
            var ex = Assert.Throws<IOException>(() => DirectorySync.Flush(s.File("missing")));
            Assert.Equal(2, ex.HResult); // ENOENT from open(2): the flush reaches the kernel
        }
    }
}
