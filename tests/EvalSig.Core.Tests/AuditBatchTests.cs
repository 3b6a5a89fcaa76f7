using System;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Files;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Issue 17, "interrupted batches": an uncommitted batch is invisible to every reader, and a checkpoint anchors only committed records.</summary>
public class AuditBatchTests
{
    private static readonly AuditReadOptions Keyed = new() { Keyring = AuditLedgerTests.Ring };

    /// <summary>A ledger whose last batch of three was cut by a crash after two whole lines (intent file left).</summary>
    private static LocalLedger Interrupted(Scratch s, out long committedBytes)
    {
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 4);
        committedBytes = new FileInfo(ledger.LedgerPath).Length;
        File.WriteAllText(Path.Combine(s.Path, "ledger.batch"), $"{{\"start\":{committedBytes},\"count\":3}}");
        File.AppendAllText(ledger.LedgerPath, AuditLedgerTestsHelpers.ContinueLines(ledger, 2).Replace("{\"chain_posi", string.Empty, StringComparison.Ordinal));
        return ledger;
    }

    [Fact]
    public void RecordsOfAnInterruptedBatch_AreInvisibleToQueriesStatusExportsAndCheckpoints()
    {
        using var s = new Scratch();
        var ledger = Interrupted(s, out var committed);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, ledger.Query(new AuditQuery(), Keyed).Select(r => r.ChainPosition));
        Assert.Equal(new long[] { 0, 1, 2, 3 }, ledger.Query(new AuditQuery()).Select(r => r.ChainPosition));
        var status = ledger.GetStatus(Keyed);
        Assert.Equal(4, status.RecordCount);
        Assert.Equal(4, status.ChainLength);
        Assert.True(status.UncommittedBytes > 0);
        Assert.Equal("degraded", status.Status);

        var export = s.File("x.jsonl");
        Assert.Equal(4, AuditExport.Write(ledger.Query(new AuditQuery(), Keyed), export, AuditExportFormat.Jsonl, false, false));

        // Before: the partial batch was checkpointed, and the checkpoint failed for ever after the repair.
        var checkpoint = AuditLog.Checkpoint(ledger, AuditLedgerTests.Ring);
        Assert.Equal(3, checkpoint.Position);
        var v = AuditLog.Verify(ledger, AuditLedgerTests.Ring);
        Assert.True(v.Valid, v.Reason);
        Assert.Contains(v.Notes, n => n.Contains("interrupted batch", StringComparison.Ordinal));

        ledger.Repair();
        Assert.Equal(committed, new FileInfo(ledger.LedgerPath).Length);
        var anchored = AuditLog.Verify(ledger, AuditLedgerTests.Ring, checkpoint);
        Assert.True(anchored.Valid && anchored.Anchored, anchored.Reason);
    }

    [Fact]
    public void ABatchBeingWritten_IsInvisible_EvenToAReaderThatSeesTheBytesMidWrite()
    {
        // Freeze the ledger directory at the moment the batch's bytes are written but not yet
        // fsync'd and committed, and read that frozen state: the batch must not show.
        using var s = new Scratch();
        var ledger = new LocalLedger(s.File("live"));
        AuditLedgerTests.Fill(ledger, 3);
        var frozen = s.File("frozen");
        FileOps.Observer = new Snapshotter(ledger.Directory, frozen);
        try
        {
            AuditLedgerTests.Fill(ledger, 5);
        }
        finally
        {
            FileOps.Observer = null;
        }

        var copy = new LocalLedger(frozen);
        Assert.Equal(3, copy.Query(new AuditQuery(), Keyed).Count());
        Assert.Equal(3, copy.GetStatus(Keyed).RecordCount);
        Assert.Equal(2, AuditLog.Checkpoint(copy, AuditLedgerTests.Ring).Position);
        Assert.Equal(8, ledger.Query(new AuditQuery(), Keyed).Count());
    }

    /// <summary>Copies the ledger directory when the batch's ledger bytes are about to be fsync'd.</summary>
    private sealed class Snapshotter : IFileOpObserver
    {
        private readonly string _from;
        private readonly string _to;

        public Snapshotter(string from, string to) => (_from, _to) = (from, to);

        public void Before(FileOp op, string path)
        {
            if (op == FileOp.Fsync && path.EndsWith(LocalLedger.LedgerFileName, StringComparison.Ordinal) && !Directory.Exists(_to))
            {
                Directory.CreateDirectory(_to);
                foreach (var f in Directory.GetFiles(_from).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
                {
                    File.Copy(f, Path.Combine(_to, Path.GetFileName(f)));
                }

                Assert.True(File.Exists(Path.Combine(_to, "ledger.batch")), "the intent is durable before the batch's bytes");
                var copy = Path.Combine(_to, LocalLedger.LedgerFileName);
                var text = File.ReadAllText(copy, Encoding.UTF8);
                Assert.Equal(8, text.Count(c => c == '\n'));

                // What a reader could see while the write is under way: the batch half there
                // (its first two lines whole, the third cut).
                var lines = text.Split('\n');
                var cut = Encoding.UTF8.GetByteCount(string.Join('\n', lines.Take(5)) + "\n") + 40;
                using var fs = new FileStream(copy, FileMode.Open, FileAccess.Write);
                fs.SetLength(cut);
            }
        }
    }
}
