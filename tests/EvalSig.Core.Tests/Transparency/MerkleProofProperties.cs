using System;
using System.Collections.Generic;
using System.Linq;
using EvalSig.Core.Audit.Transparency;
using FsCheck;
using FsCheck.Xunit;

namespace EvalSig.Core.Tests.Transparency;

/// <summary>
/// For random tree sizes, every inclusion and consistency proof verifies, and every tampered proof
/// (a flipped bit in any hash, a hash dropped, added, duplicated or swapped, another leaf, root,
/// index or old root) fails.
/// </summary>
public class MerkleProofProperties
{
    private const int MaxSize = 3000;

    /// <summary>One tree; the tree of its first n leaves is a prefix, with the same complete nodes.</summary>
    private static readonly NodeMap Tree = NodeMap.OfSize(MaxSize + 1);

    private static NodeMap TreeOf(long n) => n <= Tree.Size ? Tree : throw new ArgumentOutOfRangeException(nameof(n));

    [Property(MaxTest = 400)]
    public bool InclusionProof_ForRandomSizes_Verifies(PositiveInt size, NonNegativeInt seed)
    {
        var n = 1 + ((size.Get - 1) % MaxSize);
        var m = seed.Get % n;
        var tree = TreeOf(n);
        return MerkleTree.VerifyInclusion(m, n, tree.Leaf(m), MerkleTree.InclusionProof(tree, m, n), MerkleTree.Root(tree, n));
    }

    [Property(MaxTest = 400)]
    public bool ConsistencyProof_ForRandomSizes_Verifies(PositiveInt size, NonNegativeInt seed)
    {
        var n = 1 + ((size.Get - 1) % MaxSize);
        var m = 1 + (seed.Get % n);
        var tree = TreeOf(n);
        return MerkleTree.VerifyConsistency(m, n, MerkleTree.ConsistencyProof(tree, m, n), MerkleTree.Root(tree, m), MerkleTree.Root(tree, n));
    }

    [Property(MaxTest = 600)]
    public bool TamperedInclusionProof_Fails(PositiveInt size, NonNegativeInt seed, NonNegativeInt where, byte bit, int kindSeed)
    {
        var n = 2 + ((size.Get - 1) % MaxSize);
        var m = seed.Get % n;
        var tree = TreeOf(n);
        var proof = MerkleTree.InclusionProof(tree, m, n).Select(h => (byte[])h.Clone()).ToList();
        var leaf = (byte[])tree.Leaf(m).Clone();
        var root = MerkleTree.Root(tree, n);
        var index = (long)m;
        switch (Math.Abs(kindSeed % 7))
        {
            case 0:
                Flip(proof[where.Get % proof.Count], where.Get / proof.Count, bit);
                break;
            case 1:
                proof.RemoveAt(where.Get % proof.Count);
                break;
            case 2:
                proof.Insert(where.Get % (proof.Count + 1), MerkleTree.LeafHash(BitConverter.GetBytes(where.Get)));
                break;
            case 3:
                if (!Swap(proof, where.Get))
                {
                    Flip(leaf, where.Get, bit);
                }

                break;
            case 4:
                Flip(leaf, where.Get, bit);
                break;
            case 5:
                Flip(root, where.Get, bit);
                break;
            default:
                index = (m + 1 + (where.Get % (n - 1))) % n; // another leaf's position
                break;
        }

        return !MerkleTree.VerifyInclusion(index, n, leaf, proof, root);
    }

    [Property(MaxTest = 600)]
    public bool TamperedConsistencyProof_Fails(PositiveInt size, NonNegativeInt seed, NonNegativeInt where, byte bit, int kindSeed)
    {
        var n = 2 + ((size.Get - 1) % MaxSize);
        var m = 1 + (seed.Get % (n - 1)); // 1 <= m < n: a proof with at least one hash
        var tree = TreeOf(n);
        var proof = MerkleTree.ConsistencyProof(tree, m, n).Select(h => (byte[])h.Clone()).ToList();
        var root1 = MerkleTree.Root(tree, m);
        var root2 = MerkleTree.Root(tree, n);
        switch (Math.Abs(kindSeed % 6))
        {
            case 0:
                Flip(proof[where.Get % proof.Count], where.Get / proof.Count, bit);
                break;
            case 1:
                proof.RemoveAt(where.Get % proof.Count);
                break;
            case 2:
                proof.Insert(where.Get % (proof.Count + 1), MerkleTree.LeafHash(BitConverter.GetBytes(where.Get)));
                break;
            case 3:
                if (!Swap(proof, where.Get))
                {
                    Flip(root1, where.Get, bit);
                }

                break;
            case 4:
                Flip(root1, where.Get, bit);
                break;
            default:
                Flip(root2, where.Get, bit);
                break;
        }

        return !MerkleTree.VerifyConsistency(m, n, proof, root1, root2);
    }

    [Property(MaxTest = 200)]
    public bool StoreAndMemoryTrees_Agree_ForRandomBatches(NonEmptyArray<PositiveInt> batches)
    {
        using var s = new Scratch();
        using var store = MerkleTreeStore.Open(s.File("t.tree"), write: true);
        var map = new NodeMap();
        var i = 0L;
        foreach (var b in batches.Get.Take(12))
        {
            var leaves = Enumerable.Range(0, 1 + (b.Get % 300)).Select(_ => System.Text.Encoding.ASCII.GetBytes("leaf " + i++)).ToList();
            store.AppendLeafHashes(leaves.Select(l => MerkleTree.LeafHash(l)).ToList());
            leaves.ForEach(map.Add);
            if (!store.Root(store.Size).AsSpan().SequenceEqual(map.Root()))
            {
                return false;
            }
        }

        // Reopened from disk, every prefix root agrees too.
        using var again = MerkleTreeStore.Open(s.File("t.tree"), write: false);
        return again.Size == map.Size && Enumerable.Range(1, (int)map.Size).Where(k => k % 37 == 1 || k == map.Size).All(k => again.Root(k).AsSpan().SequenceEqual(MerkleTree.Root(map, k)));
    }

    private static void Flip(byte[] b, int where, byte bit) => b[where % b.Length] ^= (byte)(1 << (bit % 8));

    /// <summary>Swaps two different hashes; false when the proof has none to swap.</summary>
    private static bool Swap(List<byte[]> proof, int where)
    {
        if (proof.Count < 2)
        {
            return false;
        }

        var a = where % proof.Count;
        var b = (a + 1 + (where / proof.Count % (proof.Count - 1))) % proof.Count;
        if (proof[a].AsSpan().SequenceEqual(proof[b]))
        {
            return false;
        }

        (proof[a], proof[b]) = (proof[b], proof[a]);
        return true;
    }
}
