using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// <c>merkle.tree</c> beside the ledger: every complete node of the ledger's Merkle tree, 32 bytes
/// each, at its in-order position (leaf i at 2i, the node at level k and index i at
/// i*2^(k+1) + 2^k - 1), so the file of an n-leaf tree is exactly 32*(2n-1) bytes and its size
/// says how many leaves it covers. A node never moves and never changes once complete, so a proof
/// for any size up to n reads O(log n) nodes at computed offsets, and an append writes the new
/// leaves and the parents they complete: one contiguous write at the end, plus at most one earlier
/// node per level (a parent whose span began before the batch).
///
/// It is derived, like index.sqlite: appends write it without fsync (a crash leaves it behind or
/// short, and the next append or Repair-AuditLedger brings it level from ledger.jsonl), and signing
/// a tree head recomputes the root from the ledger itself and fsyncs the store first.
/// </summary>
internal sealed class MerkleTreeStore : IMerkleNodes, IDisposable
{
    public const string FileName = "merkle.tree";

    /// <summary>Leaves hashed and written per block when many are appended (a rebuild): 4 MiB of nodes.</summary>
    private const int BlockLeaves = 1 << 16;

    private readonly SafeFileHandle _handle;
    private MerkleFrontier? _frontier;

    private MerkleTreeStore(string path, SafeFileHandle handle, long size)
    {
        Path = path;
        _handle = handle;
        Size = size;
    }

    public string Path { get; }

    public long Size { get; private set; }

    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>Leaves covered by a store file of this length: leaf n-1 ends at byte 32*(2n-1).</summary>
    public static long SizeFromLength(long length) => ((length / MerkleTree.HashSize) + 1) / 2;

    /// <summary>Opens (or, for writing, creates) the store file.</summary>
    public static MerkleTreeStore Open(string path, bool write)
    {
        var handle = write
            ? File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete)
            : File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new MerkleTreeStore(path, handle, SizeFromLength(RandomAccess.GetLength(handle)));
    }

    public void Node(int level, long index, Span<byte> into)
    {
        if (((index + 1) << level) > Size || index < 0)
        {
            throw new InvalidDataException($"node {level}/{index} is outside the {Size}-leaf tree of '{Path}'");
        }

        if (RandomAccess.Read(_handle, into[..MerkleTree.HashSize], MerkleTree.Position(level, index) * MerkleTree.HashSize) != MerkleTree.HashSize)
        {
            throw new InvalidDataException($"'{Path}' ends before node {level}/{index}");
        }
    }

    public byte[] Root(long size) => MerkleTree.Root(this, size);

    /// <summary>Appends the leaves of complete lines (each ending in '\n'), in order.</summary>
    public void AppendLines(ReadOnlyMemory<byte> lines)
    {
        var leaves = new List<ReadOnlyMemory<byte>>();
        while (lines.Length > 0)
        {
            var nl = lines.Span.IndexOf((byte)'\n');
            if (nl < 0)
            {
                throw new InvalidDataException("a ledger line without its newline");
            }

            leaves.Add(lines[..nl]);
            lines = lines[(nl + 1)..];
            if (leaves.Count == BlockLeaves)
            {
                AppendLeaves(leaves);
                leaves.Clear();
            }
        }

        AppendLeaves(leaves);
    }

    /// <summary>Appends leaves given by their bytes (hashed in parallel when there are many).</summary>
    public void AppendLeaves(IReadOnlyList<ReadOnlyMemory<byte>> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var hashes = new byte[leaves.Count * MerkleTree.HashSize];
        MerkleTree.LeafHashes(leaves, hashes);
        AppendLeafHashes(hashes);
    }

    /// <summary>Appends leaves given by their leaf hashes.</summary>
    public void AppendLeafHashes(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var flat = new byte[leafHashes.Count * MerkleTree.HashSize];
        for (var i = 0; i < leafHashes.Count; i++)
        {
            leafHashes[i].CopyTo(flat, i * MerkleTree.HashSize);
        }

        AppendLeafHashes(flat);
    }

    /// <summary>Appends leaves given by their leaf hashes, 32 bytes each, back to back.</summary>
    public void AppendLeafHashes(ReadOnlySpan<byte> leafHashes)
    {
        var count = leafHashes.Length / MerkleTree.HashSize;
        if (count == 0)
        {
            return;
        }

        var n0 = Size;
        var n1 = n0 + count;
        _frontier ??= new MerkleFrontier(this, n0);

        // Positions from 2*n0 - 1 on are new (the first is a parent not complete at n0): one buffer.
        // Earlier positions completed now are at most one per level, written one by one first, so
        // a crash before the final write leaves the file's length, and so its size, unchanged.
        var blockStart = Math.Max(0, (2 * n0) - 1);
        var block = new byte[((2 * n1) - 1 - blockStart) * MerkleTree.HashSize];
        var sink = new Sink(block, blockStart);
        for (var i = 0; i < count; i++)
        {
            _frontier.Append(leafHashes.Slice(i * MerkleTree.HashSize, MerkleTree.HashSize), sink);
        }

        foreach (var (position, hash) in sink.Earlier)
        {
            RandomAccess.Write(_handle, hash, position * MerkleTree.HashSize);
        }

        RandomAccess.Write(_handle, block, blockStart * MerkleTree.HashSize);
        Size = n1;
    }

    /// <summary>Makes what was written durable (before a signed head relies on it).</summary>
    public void Flush() => RandomAccess.FlushToDisk(_handle);

    /// <summary>Drops every leaf from <paramref name="size"/> on.</summary>
    public void Truncate(long size)
    {
        RandomAccess.SetLength(_handle, size == 0 ? 0 : ((2 * size) - 1) * MerkleTree.HashSize);
        Size = size;
        _frontier = null;
    }

    public void Dispose() => _handle.Dispose();

    private sealed class Sink : IMerkleNodeSink
    {
        private readonly byte[] _block;
        private readonly long _blockStart;

        public Sink(byte[] block, long blockStart) => (_block, _blockStart) = (block, blockStart);

        public List<(long Position, byte[] Hash)> Earlier { get; } = new();

        public void Completed(int level, long index, ReadOnlySpan<byte> hash)
        {
            var position = MerkleTree.Position(level, index);
            if (position >= _blockStart)
            {
                hash.CopyTo(_block.AsSpan((int)((position - _blockStart) * MerkleTree.HashSize)));
            }
            else
            {
                Earlier.Add((position, hash.ToArray()));
            }
        }
    }
}
