using System;
using System.Buffers;
using System.Collections.Generic;
using System.Numerics;
using System.Security.Cryptography;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// Complete subtrees of a Merkle tree: the hash of the node at <c>level</c> and <c>index</c>, which
/// covers leaves [index * 2^level, (index + 1) * 2^level). Only nodes inside <see cref="Size"/> are asked for.
/// </summary>
internal interface IMerkleNodes
{
    long Size { get; }

    void Node(int level, long index, Span<byte> into);
}

/// <summary>
/// The Merkle tree of RFC 9162 §2.1 (the same as RFC 6962's): SHA-256, leaf hash
/// <c>SHA-256(0x00 || leaf)</c>, node hash <c>SHA-256(0x01 || left || right)</c>, the empty tree's
/// root <c>SHA-256()</c>, and the split of n leaves at k, the largest power of two smaller than n.
/// Proofs are generated from stored complete subtrees (any subtree of a proof is complete except on
/// the right edge, which is O(log n) complete subtrees), and verified with the iterative algorithms
/// of §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
/// </summary>
internal static class MerkleTree
{
    public const int HashSize = 32;

    /// <summary>MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).</summary>
    public static readonly byte[] EmptyRoot = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public static byte[] LeafHash(ReadOnlySpan<byte> leaf)
    {
        var h = new byte[HashSize];
        LeafHash(leaf, h);
        return h;
    }

    /// <summary>SHA-256(0x00 || leaf).</summary>
    public static void LeafHash(ReadOnlySpan<byte> leaf, Span<byte> into)
    {
        byte[]? rented = null;
        var buffer = leaf.Length < 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(leaf.Length + 1));
        try
        {
            buffer[0] = 0x00;
            leaf.CopyTo(buffer[1..]);
            SHA256.HashData(buffer[..(leaf.Length + 1)], into);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The leaf hashes of many leaves into <paramref name="into"/> (32 bytes each, in order): in
    /// parallel blocks when there are many (the leaves are independent; only the tree above is sequential).
    /// </summary>
    public static void LeafHashes(IReadOnlyList<ReadOnlyMemory<byte>> leaves, byte[] into)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ArgumentNullException.ThrowIfNull(into);
        if (leaves.Count < 2048)
        {
            for (var i = 0; i < leaves.Count; i++)
            {
                LeafHash(leaves[i].Span, into.AsSpan(i * HashSize, HashSize));
            }

            return;
        }

        System.Threading.Tasks.Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, leaves.Count, 1024), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                LeafHash(leaves[i].Span, into.AsSpan(i * HashSize, HashSize));
            }
        });
    }

    /// <summary>SHA-256(0x01 || left || right).</summary>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> into)
    {
        // Children are 32-byte hashes inside a tree; any length hashes as RFC 9162 writes it.
        var length = 1 + left.Length + right.Length;
        Span<byte> buffer = length <= 1 + HashSize + HashSize ? stackalloc byte[1 + HashSize + HashSize] : new byte[length];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + left.Length)..]);
        SHA256.HashData(buffer[..length], into);
    }

    /// <summary>The largest power of two strictly smaller than n (n &gt;= 2).</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>The in-order position of a node: leaves at even positions, parents between their children.</summary>
    public static long Position(int level, long index) => (index << (level + 1)) + (1L << level) - 1;

    /// <summary>MTH(D[0:size]) from stored nodes.</summary>
    public static byte[] Root(IMerkleNodes nodes, long size)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (size == 0)
        {
            return (byte[])EmptyRoot.Clone();
        }

        var root = new byte[HashSize];
        SubtreeHash(nodes, 0, size, root);
        return root;
    }

    /// <summary>
    /// MTH(D[start:start+count]). Inside RFC 9162's recursion start is a multiple of the smallest
    /// power of two &gt;= count, so a power-of-two subtree is one stored node; any other splits at k.
    /// </summary>
    public static void SubtreeHash(IMerkleNodes nodes, long start, long count, Span<byte> into)
    {
        if ((count & (count - 1)) == 0)
        {
            var level = BitOperations.TrailingZeroCount((ulong)count);
            nodes.Node(level, start >> level, into);
            return;
        }

        var k = SplitPoint(count);
        Span<byte> left = stackalloc byte[HashSize];
        Span<byte> right = stackalloc byte[HashSize];
        SubtreeHash(nodes, start, k, left);
        SubtreeHash(nodes, start + k, count - k, right);
        NodeHash(left, right, into);
    }

    /// <summary>PATH(m, D[n]) of RFC 9162 §2.1.3.1, from the leaf's sibling up to the root's child. Requires m &lt; n.</summary>
    public static IReadOnlyList<byte[]> InclusionProof(IMerkleNodes nodes, long m, long n)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (m < 0 || m >= n || n > nodes.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"leaf {m} of a tree of {n} (stored: {nodes.Size})");
        }

        // The recursion PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) (m < k), else
        // PATH(m - k, D[k:n]) : MTH(D[0:k]), unrolled from the top; the deepest sibling comes first.
        var path = new List<byte[]>(64);
        long start = 0, size = n;
        while (size > 1)
        {
            var k = SplitPoint(size);
            var h = new byte[HashSize];
            if (m < k)
            {
                SubtreeHash(nodes, start + k, size - k, h);
                size = k;
            }
            else
            {
                SubtreeHash(nodes, start, k, h);
                start += k;
                m -= k;
                size -= k;
            }

            path.Add(h);
        }

        path.Reverse();
        return path;
    }

    /// <summary>PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1. Requires 0 &lt; m &lt;= n.</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(IMerkleNodes nodes, long m, long n)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (m <= 0 || m > n || n > nodes.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"from {m} to {n} (stored: {nodes.Size})");
        }

        // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k, else
        // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]); SUBPROOF(m, D[m], false) = {MTH(D[m])}.
        var proof = new List<byte[]>(64);
        long start = 0, size = n;
        var whole = true;
        while (m != size)
        {
            var k = SplitPoint(size);
            var h = new byte[HashSize];
            if (m <= k)
            {
                SubtreeHash(nodes, start + k, size - k, h);
                size = k;
            }
            else
            {
                SubtreeHash(nodes, start, k, h);
                start += k;
                m -= k;
                size -= k;
                whole = false;
            }

            proof.Add(h);
        }

        if (!whole)
        {
            var h = new byte[HashSize];
            SubtreeHash(nodes, start, m, h);
            proof.Add(h);
        }

        proof.Reverse();
        return proof;
    }

    /// <summary>
    /// RFC 9162 §2.1.3.2. False for an index outside the tree, a leaf hash that is not 32 bytes, a
    /// proof of the wrong length or any proof element that is not 32 bytes.
    /// </summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size || leafHash.Length != HashSize || root.Length != HashSize)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        Span<byte> r = stackalloc byte[HashSize];
        leafHash.CopyTo(r);
        foreach (var p in proof)
        {
            if (sn == 0 || p is null || p.Length != HashSize)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                NodeHash(p, r, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                NodeHash(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.SequenceEqual(root);
    }

    /// <summary>
    /// RFC 9162 §2.1.4.2, with the edge cases of the transparency-dev reference verifier: equal
    /// sizes need an empty proof and equal roots; a proof from the empty tree is refused (it proves
    /// nothing); a shrinking tree is refused.
    /// </summary>
    public static bool VerifyConsistency(long size1, long size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size1 < 0 || size2 < size1 || size1 == 0)
        {
            return false;
        }

        if (size1 == size2)
        {
            return proof.Count == 0 && root1.SequenceEqual(root2);
        }

        if (proof.Count == 0 || root1.Length != HashSize || root2.Length != HashSize)
        {
            return false;
        }

        foreach (var p in proof)
        {
            if (p is null || p.Length != HashSize)
            {
                return false;
            }
        }

        // Step 2: when size1 is a power of two its root is the first node of the path.
        var path = new List<byte[]>(proof.Count + 1);
        if ((size1 & (size1 - 1)) == 0)
        {
            path.Add(root1.ToArray());
        }

        path.AddRange(proof);
        var fn = size1 - 1;
        var sn = size2 - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        Span<byte> fr = stackalloc byte[HashSize];
        Span<byte> sr = stackalloc byte[HashSize];
        path[0].CopyTo(fr);
        path[0].CopyTo(sr);
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                NodeHash(c, fr, fr);
                NodeHash(c, sr, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                NodeHash(sr, c, sr);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.SequenceEqual(root1) && sr.SequenceEqual(root2);
    }
}
