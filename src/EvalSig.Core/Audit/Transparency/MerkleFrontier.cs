using System;
using System.Numerics;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>Receives every node a <see cref="MerkleFrontier"/> completes.</summary>
internal interface IMerkleNodeSink
{
    void Completed(int level, long index, ReadOnlySpan<byte> hash);
}

/// <summary>
/// The right edge of a growing tree (a compact range from 0): one complete subtree per set bit of
/// the size, the node at level k being the one for bit k. Appending a leaf merges the trailing
/// run of full levels (a binary carry), so a leaf costs O(1) hashes amortized and O(log n) at
/// most, and the frontier holds O(log n) hashes. Levels of a stored tree are read lazily, only when
/// a carry or the root reaches them, so appending to a large stored tree reads ~1 node per leaf.
/// </summary>
internal sealed class MerkleFrontier
{
    private readonly byte[][] _levels = new byte[64][];
    private readonly IMerkleNodes? _stored;
    private ulong _loaded;

    /// <summary>An empty tree.</summary>
    public MerkleFrontier()
    {
    }

    /// <summary>The frontier of a stored tree of <paramref name="size"/> leaves, its levels read on demand.</summary>
    public MerkleFrontier(IMerkleNodes stored, long size)
    {
        _stored = stored;
        Size = size;
    }

    public long Size { get; private set; }

    /// <summary>Adds the next leaf (its leaf hash); the sink gets the leaf node and every parent it completes.</summary>
    public void Append(ReadOnlySpan<byte> leafHash, IMerkleNodeSink? sink = null)
    {
        var index = Size;
        Span<byte> h = stackalloc byte[MerkleTree.HashSize];
        leafHash.CopyTo(h);
        sink?.Completed(0, index, h);
        var level = 0;
        while (((index >> level) & 1) == 1)
        {
            MerkleTree.NodeHash(Level(level), h, h);
            level++;
            sink?.Completed(level, index >> level, h);
        }

        var slot = _levels[level] ??= new byte[MerkleTree.HashSize];
        h.CopyTo(slot);
        _loaded |= 1UL << level;
        Size = index + 1;
    }

    /// <summary>MTH(D[0:Size]): the frontier's subtrees merged from the lowest (rightmost) up.</summary>
    public byte[] Root()
    {
        if (Size == 0)
        {
            return (byte[])MerkleTree.EmptyRoot.Clone();
        }

        var bits = (ulong)Size;
        var low = BitOperations.TrailingZeroCount(bits);
        var root = (byte[])Level(low).Clone();
        for (var k = low + 1; k < 64; k++)
        {
            if (((bits >> k) & 1) == 1)
            {
                MerkleTree.NodeHash(Level(k), root, root);
            }
        }

        return root;
    }

    /// <summary>The complete subtree at level k, which exists because bit k of Size is set.</summary>
    private byte[] Level(int k)
    {
        if ((_loaded & (1UL << k)) == 0)
        {
            if (_stored is null)
            {
                throw new InvalidOperationException("frontier level " + k + " is missing");
            }

            var slot = _levels[k] ??= new byte[MerkleTree.HashSize];
            _stored.Node(k, (Size >> k) - 1, slot);
            _loaded |= 1UL << k;
        }

        return _levels[k];
    }
}
