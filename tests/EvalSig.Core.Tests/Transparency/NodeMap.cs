using System;
using System.Collections.Generic;
using EvalSig.Core.Audit.Transparency;

namespace EvalSig.Core.Tests.Transparency;

/// <summary>An in-memory tree for tests: every node the frontier completes, by (level, index).</summary>
internal sealed class NodeMap : IMerkleNodes, IMerkleNodeSink
{
    private readonly Dictionary<(int, long), byte[]> _nodes = new();
    private readonly MerkleFrontier _frontier = new();

    public long Size => _frontier.Size;

    public static NodeMap OfLeaves(IEnumerable<byte[]> leafInputs)
    {
        var map = new NodeMap();
        foreach (var leaf in leafInputs)
        {
            map.Add(leaf);
        }

        return map;
    }

    /// <summary>Synthetic leaves: the bytes of "leaf i".</summary>
    public static NodeMap OfSize(long n)
    {
        var map = new NodeMap();
        for (var i = 0L; i < n; i++)
        {
            map.Add(System.Text.Encoding.ASCII.GetBytes("leaf " + i));
        }

        return map;
    }

    public void Add(byte[] leafInput) => _frontier.Append(MerkleTree.LeafHash(leafInput), this);

    public byte[] Root() => _frontier.Root();

    public byte[] Leaf(long i) => _nodes[(0, i)];

    public void Completed(int level, long index, ReadOnlySpan<byte> hash) => _nodes[(level, index)] = hash.ToArray();

    public void Node(int level, long index, Span<byte> into) => _nodes[(level, index)].CopyTo(into);

    public bool Has(int level, long index) => _nodes.ContainsKey((level, index));

    public byte[] Get(int level, long index) => _nodes[(level, index)];
}
