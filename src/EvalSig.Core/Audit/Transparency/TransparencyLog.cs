using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// The ledger as a transparency log, shared by the cmdlets and the CLI: signed tree heads
/// (Export-AuditCheckpoint -SigningKeyPath), proofs (Get-AuditProof), proof exports
/// (Export-AuditLog -WithProofs), the public-key audit (Test-AuditChain -PublicKey) and the tree's
/// check and rebuild (Repair-AuditLedger).
/// </summary>
public static class TransparencyLog
{
    /// <summary>
    /// Signs a head of the committed ledger. Only a chain that verifies under the HMAC keyring is
    /// signed, and the root is recomputed from ledger.jsonl in the same pass (never taken from the
    /// derived store, which is repaired here if it disagrees and made durable before signing).
    /// </summary>
    public static SignedTreeHead SignHead(LocalLedger ledger, AuditKeyring keyring, AuditSigningKey key, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(keyring);
        ArgumentNullException.ThrowIfNull(key);
        var committed = ledger.CommittedLength(cancel) ?? throw new EvalSigException(
            EvalSigError.AuditLedgerTorn,
            EvalSigErrorKind.InvalidData,
            $"The ledger '{ledger.LedgerPath}' ends in a torn line or an interrupted batch, which Repair-AuditLedger may still quarantine: signing a head over it could sign records that vanish. Run Repair-AuditLedger first.",
            ledger.LedgerPath);

        var frontier = new MerkleFrontier();
        var v = ChainVerifier.Verify(Leaves(ledger.LedgerPath, committed, frontier, cancel), keyring, wholeChain: true, progress: progress, cancel: cancel);
        if (!v.Valid || frontier.Size == 0)
        {
            throw new EvalSigException(
                EvalSigError.AuditCheckpointInvalid,
                EvalSigErrorKind.InvalidData,
                frontier.Size == 0 ? "The ledger is empty: there is no head to sign." : "The ledger does not verify, so no head of it is signed: " + v.Reason,
                ledger.LedgerPath);
        }

        var root = frontier.Root();
        EnsureStore(ledger, frontier.Size, root, cancel);
        return SignedTreeHead.Sign(frontier.Size, root, key);
    }

    /// <summary>
    /// The inclusion proof of the record at <paramref name="position"/> in the tree of
    /// <paramref name="head"/>'s size (else <paramref name="treeSize"/>, else the whole stored tree).
    /// Against a head, the proof is checked before it is returned.
    /// </summary>
    public static AuditInclusionProof ProveInclusion(LocalLedger ledger, long position, long? treeSize = null, SignedTreeHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        using var store = OpenStore(ledger);
        var size = head?.TreeSize ?? treeSize ?? store.Size;
        CheckSize(store, size, ledger);
        if (position < 0 || position >= size)
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"Position {position} is not in the tree of {size} records (positions 0..{size - 1})."), position);
        }

        var root = store.Root(size);
        var leaf = new byte[MerkleTree.HashSize];
        store.Node(0, position, leaf);
        var path = MerkleTree.InclusionProof(store, position, size);
        if (head is not null && !head.Root.SequenceEqual(root))
        {
            throw Disagrees(ledger, head);
        }

        if (!MerkleTree.VerifyInclusion(position, size, leaf, path, root))
        {
            throw Damaged(ledger);
        }

        return new AuditInclusionProof
        {
            Position = position,
            TreeSize = size,
            LeafHash = Convert.ToBase64String(leaf),
            RootHash = Convert.ToBase64String(root),
            Hashes = path.Select(Convert.ToBase64String).ToList(),
            Head = head,
        };
    }

    /// <summary>The consistency proof from the tree of <paramref name="fromSize"/> records to that of <paramref name="toSize"/>, checked against the heads when given.</summary>
    public static AuditConsistencyProof ProveConsistency(LocalLedger ledger, long fromSize, long toSize, SignedTreeHead? fromHead = null, SignedTreeHead? toHead = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        if (fromSize <= 0 || toSize < fromSize)
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"A consistency proof goes from a tree of at least 1 record to one at least as large; {fromSize} -> {toSize} is not one."), fromSize);
        }

        using var store = OpenStore(ledger);
        CheckSize(store, toSize, ledger);
        var fromRoot = store.Root(fromSize);
        var toRoot = store.Root(toSize);
        foreach (var (h, r) in new[] { (fromHead, fromRoot), (toHead, toRoot) })
        {
            if (h is not null && !h.Root.SequenceEqual(r))
            {
                throw Disagrees(ledger, h);
            }
        }

        var proof = MerkleTree.ConsistencyProof(store, fromSize, toSize);
        if (!MerkleTree.VerifyConsistency(fromSize, toSize, proof, fromRoot, toRoot))
        {
            throw Damaged(ledger);
        }

        return new AuditConsistencyProof
        {
            FromSize = fromSize,
            ToSize = toSize,
            FromRoot = Convert.ToBase64String(fromRoot),
            ToRoot = Convert.ToBase64String(toRoot),
            Hashes = proof.Select(Convert.ToBase64String).ToList(),
        };
    }

    /// <summary>
    /// Writes the records (in chain order) with their inclusion proofs against <paramref name="head"/>,
    /// so they verify on their own. Records after the head cannot be proven by it and are left out
    /// (counted in the result); every proof is checked before it is written.
    /// </summary>
    public static ProofExportResult ExportWithProofs(LocalLedger ledger, IEnumerable<AuditRecord> records, SignedTreeHead head, string path, bool compress, bool noClobber, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(head);
        using var store = OpenStore(ledger);
        CheckSize(store, head.TreeSize, ledger);
        var root = store.Root(head.TreeSize);
        if (!head.Root.SequenceEqual(root))
        {
            throw Disagrees(ledger, head);
        }

        long leftOut = 0;
        IEnumerable<(long, IReadOnlyList<byte[]>, string)> Proven()
        {
            var leaf = new byte[MerkleTree.HashSize];
            foreach (var r in records)
            {
                cancel.ThrowIfCancellationRequested();
                if (r.ChainPosition >= head.TreeSize)
                {
                    leftOut++;
                    continue;
                }

                var line = r.ToJson();
                MerkleTree.LeafHash(System.Text.Encoding.UTF8.GetBytes(line), leaf);
                var proof = MerkleTree.InclusionProof(store, r.ChainPosition, head.TreeSize);
                if (!MerkleTree.VerifyInclusion(r.ChainPosition, head.TreeSize, leaf, proof, root))
                {
                    throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidData, string.Create(CultureInfo.InvariantCulture, $"The record at position {r.ChainPosition} is not the one the signed head covers: the ledger changed after the head was signed, or its tree is damaged. Run Test-AuditChain and Repair-AuditLedger."), r.RecordId);
                }

                yield return (r.ChainPosition, proof, line);
            }
        }

        var written = ProofExport.Write(path, head, Proven(), compress, noClobber);
        return new ProofExportResult(written, leftOut, Path.GetFullPath(path), head);
    }

    /// <summary>
    /// Checks heads (and the ledger, records or a proof export) with the public key only: every head
    /// signed by it, each extending the one before (RFC 9162 consistency), the ledger still hashing to
    /// every head and holding at least its records, and the given records included.
    /// </summary>
    public static LogVerification Audit(TransparencyAudit request, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new Auditor(request, progress, cancel).Run();
    }

    /// <summary>
    /// Builds the tree from ledger.jsonl and compares it with merkle.tree; replaces the store when
    /// it is missing, short or different (unless <paramref name="dryRun"/>). Holds the ledger lock.
    /// </summary>
    public static MerkleTreeCheck CheckTree(LocalLedger ledger, bool dryRun, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        if (!File.Exists(ledger.LedgerPath))
        {
            return new MerkleTreeCheck(0, 0, true, false, "no ledger yet: nothing to check");
        }

        using var guard = ledger.AcquireLock(cancel);
        var target = MerkleTreeStore.PathIn(ledger.Directory);
        var existed = File.Exists(target);
        var before = existed ? MerkleTreeStore.SizeFromLength(new FileInfo(target).Length) : 0;
        var temp = target + ".check";
        try
        {
            // The truth, built beside the store from ledger.jsonl, then compared byte for byte.
            var size = LedgerTree.Build(temp, ledger.LedgerPath, LedgerFile.Tail(ledger.LedgerPath).CompleteLength, cancel);
            var matched = existed && FilesEqual(temp, target);
            if (!matched && !dryRun)
            {
                File.Move(temp, target, overwrite: true);
            }

            var reason = matched
                ? string.Create(CultureInfo.InvariantCulture, $"{MerkleTreeStore.FileName} matches the ledger ({size} records)")
                : !existed
                    ? string.Create(CultureInfo.InvariantCulture, $"{MerkleTreeStore.FileName} was missing; {(dryRun ? "would be built" : "built")} over {size} records")
                    : string.Create(CultureInfo.InvariantCulture, $"{MerkleTreeStore.FileName} ({before} records) did not match the ledger ({size} records); {(dryRun ? "would be rebuilt" : "rebuilt")}");
            return new MerkleTreeCheck(size, before, matched, !matched && !dryRun, reason);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Leaf hashes of the lines, added to the frontier as the verifier reads them.</summary>
    private static IEnumerable<LedgerLine> Leaves(string path, long length, MerkleFrontier frontier, CancellationToken cancel)
    {
        var leaf = new byte[MerkleTree.HashSize];
        foreach (var line in LedgerFile.Lines(path, 0, length))
        {
            cancel.ThrowIfCancellationRequested();
            MerkleTree.LeafHash(line.Utf8.Span, leaf);
            frontier.Append(leaf);
            yield return line;
        }
    }

    /// <summary>Makes the store agree with the recomputed root at <paramref name="size"/> and durable.</summary>
    private static void EnsureStore(LocalLedger ledger, long size, byte[] root, CancellationToken cancel)
    {
        var path = MerkleTreeStore.PathIn(ledger.Directory);
        if (StoreHas(path, size, root))
        {
            using var store = MerkleTreeStore.Open(path, write: true);
            store.Flush();
            return;
        }

        using (ledger.AcquireLock(cancel))
        {
            LedgerTree.Rebuild(ledger.Directory, ledger.LedgerPath, LedgerFile.Tail(ledger.LedgerPath).CompleteLength, cancel);
        }

        if (!StoreHas(path, size, root))
        {
            throw new EvalSigException(EvalSigError.AuditLedgerCorrupt, EvalSigErrorKind.InvalidData, $"The first {size} records of '{ledger.LedgerPath}' changed while the head was being signed. Run Test-AuditChain.", ledger.LedgerPath);
        }
    }

    private static bool StoreHas(string path, long size, byte[] root)
    {
        try
        {
            using var store = MerkleTreeStore.Open(path, write: false);
            return store.Size >= size && store.Root(size).AsSpan().SequenceEqual(root);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static MerkleTreeStore OpenStore(LocalLedger ledger)
    {
        var path = MerkleTreeStore.PathIn(ledger.Directory);
        try
        {
            return MerkleTreeStore.Open(path, write: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.ObjectNotFound, $"The ledger '{ledger.Directory}' has no Merkle tree ({MerkleTreeStore.FileName}): append a record or run Repair-AuditLedger to build it.", path, ex);
        }
    }

    private static void CheckSize(MerkleTreeStore store, long size, LocalLedger ledger)
    {
        if (size > store.Size)
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"The ledger's tree covers {store.Size} records, not {size}: the ledger is shorter than the head (truncated?) or its tree lags (run Repair-AuditLedger)."), ledger.LedgerPath);
        }
    }

    private static EvalSigException Disagrees(LocalLedger ledger, SignedTreeHead head) => new(
        EvalSigError.AuditProofUnavailable,
        EvalSigErrorKind.InvalidData,
        string.Create(CultureInfo.InvariantCulture, $"The ledger's first {head.TreeSize} records do not hash to the signed head's root: the ledger changed after the head was signed (verify with Test-AuditChain -PublicKey), or its tree is damaged (Repair-AuditLedger)."),
        ledger.LedgerPath);

    private static EvalSigException Damaged(LocalLedger ledger) => new(
        EvalSigError.AuditProofUnavailable,
        EvalSigErrorKind.InvalidData,
        $"The Merkle tree of '{ledger.Directory}' produced a proof that does not verify: it is damaged. Run Repair-AuditLedger.",
        ledger.LedgerPath);

    private static bool FilesEqual(string a, string b)
    {
        var fa = new FileInfo(a);
        var fb = new FileInfo(b);
        if (!fb.Exists || fa.Length != fb.Length)
        {
            return false;
        }

        using var sa = fa.OpenRead();
        using var sb = fb.OpenRead();
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        int n;
        while ((n = sa.Read(ba, 0, ba.Length)) > 0)
        {
            sb.ReadExactly(bb, 0, n);
            if (!ba.AsSpan(0, n).SequenceEqual(bb.AsSpan(0, n)))
            {
                return false;
            }
        }

        return true;
    }
}
