using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// Keeps merkle.tree level with ledger.jsonl: leaf i is the stored bytes of line i (the record's
/// RFC 8785 canonical JSON, hmac included, without the newline). Called with the ledger lock held.
/// </summary>
internal static class LedgerTree
{
    /// <summary>Lines read back from the ledger's end to catch up a store that lags a little.</summary>
    private const int CatchUpLimit = 1 << 16;

    /// <summary>
    /// After <paramref name="appended"/> (count complete lines) was made durable at the end of a
    /// ledger that held <paramref name="leavesBefore"/> records in <paramref name="lengthBefore"/>
    /// bytes: extends the tree, first catching it up if an earlier append crashed before it. The
    /// tree is derived, so a failure here never fails the append: the next append or
    /// Repair-AuditLedger brings it level.
    /// </summary>
    public static void Extend(string directory, string ledgerPath, long leavesBefore, long lengthBefore, ReadOnlyMemory<byte> appended)
    {
        try
        {
            using (var store = MerkleTreeStore.Open(MerkleTreeStore.PathIn(directory), write: true))
            {
                if (store.Size == leavesBefore || CatchUp(store, ledgerPath, leavesBefore, lengthBefore))
                {
                    store.AppendLines(appended);
                    return;
                }
            }

            // No tree yet (a ledger from before trees), far behind, or ahead of a repaired ledger:
            // build it once from the ledger, then go on incrementally.
            Rebuild(directory, ledgerPath, lengthBefore);
            using var rebuilt = MerkleTreeStore.Open(MerkleTreeStore.PathIn(directory), write: true);
            rebuilt.AppendLines(appended);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Derived data: the ledger append is already durable and acknowledged.
        }
    }

    /// <summary>Builds the tree of the ledger's first <paramref name="completeLength"/> bytes into a new file and puts it in place.</summary>
    public static long Rebuild(string directory, string ledgerPath, long completeLength, CancellationToken cancel = default)
    {
        var target = MerkleTreeStore.PathIn(directory);
        var temp = target + ".rebuild";
        try
        {
            var size = Build(temp, ledgerPath, completeLength, cancel);
            File.Move(temp, target, overwrite: true);
            return size;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes the tree of the ledger's first <paramref name="completeLength"/> bytes to a new file (flushed); returns its size.</summary>
    public static long Build(string storePath, string ledgerPath, long completeLength, CancellationToken cancel = default)
    {
        File.Delete(storePath);
        using var store = MerkleTreeStore.Open(storePath, write: true);
        var leaves = new List<ReadOnlyMemory<byte>>(1 << 16);
        foreach (var line in LedgerFile.Lines(ledgerPath, 0, completeLength))
        {
            leaves.Add(line.Utf8);
            if (leaves.Count == leaves.Capacity)
            {
                cancel.ThrowIfCancellationRequested();
                store.AppendLeaves(leaves);
                leaves.Clear();
            }
        }

        store.AppendLeaves(leaves);
        store.Flush();
        return store.Size;
    }

    /// <summary>
    /// Adds the ledger's last (leavesBefore - store.Size) lines before lengthBefore, when the store
    /// lags by at most <see cref="CatchUpLimit"/>; false when it cannot (ahead, or too far behind).
    /// </summary>
    private static bool CatchUp(MerkleTreeStore store, string ledgerPath, long leavesBefore, long lengthBefore)
    {
        var missing = leavesBefore - store.Size;
        if (missing <= 0 || missing > CatchUpLimit)
        {
            return false;
        }

        var start = StartOfLastLines(ledgerPath, lengthBefore, missing);
        if (start < 0)
        {
            return false;
        }

        store.AppendLines(LedgerFile.ReadRange(ledgerPath, start, (int)(lengthBefore - start)));
        return store.Size == leavesBefore;
    }

    /// <summary>Offset where the last <paramref name="count"/> complete lines before <paramref name="end"/> begin, or -1.</summary>
    private static long StartOfLastLines(string path, long end, long count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        var buffer = new byte[64 * 1024];
        var pos = end - 1; // the newline that ends the last line
        var seen = 0L;
        while (pos > 0)
        {
            var n = (int)Math.Min(buffer.Length, pos);
            fs.Position = pos - n;
            fs.ReadExactly(buffer, 0, n);
            for (var i = n - 1; i >= 0; i--)
            {
                if (buffer[i] == (byte)'\n' && ++seen == count)
                {
                    return pos - n + i + 1;
                }
            }

            pos -= n;
        }

        return seen == count - 1 ? 0 : -1;
    }
}
