using System;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// A hash table over (item id, epoch) keys of a <see cref="Utf8Column"/>: open addressing with linear
/// probing over two int arrays (entry index and hash), so a million keys cost 16 MB at most and no
/// objects. Every hash match is confirmed by comparing the id bytes, so a collision never pairs two
/// different items. The hash is <see cref="HashCode"/>, seeded per process, so a crafted file cannot
/// force collisions in advance.
/// </summary>
internal sealed class ItemKeyTable
{
    private readonly Utf8Column _ids;
    private readonly int[]? _epochs;
    private readonly int[] _slots;
    private readonly int[] _hashes;
    private readonly int _mask;

    public ItemKeyTable(Utf8Column ids, int[]? epochs, int capacity)
    {
        _ids = ids;
        _epochs = epochs;
        var size = 16;
        while (size < capacity * 2L && size < (1 << 30))
        {
            size <<= 1;
        }

        _slots = new int[size];
        _hashes = new int[size];
        _mask = size - 1;
    }

    public static int Hash(ReadOnlySpan<byte> id, int epoch)
    {
        var h = default(HashCode);
        h.AddBytes(id);
        h.Add(epoch);
        return h.ToHashCode();
    }

    /// <summary>Adds entry <paramref name="i"/> of the column; returns the index of an earlier entry with the same key, or -1.</summary>
    public int TryAdd(int i)
    {
        var id = _ids.Span(i);
        var epoch = _epochs?[i] ?? 0;
        var hash = Hash(id, epoch);
        var slot = hash & _mask;
        while (true)
        {
            var held = _slots[slot];
            if (held == 0)
            {
                _slots[slot] = i + 1;
                _hashes[slot] = hash;
                return -1;
            }

            var j = held - 1;
            if (_hashes[slot] == hash && (_epochs?[j] ?? 0) == epoch && _ids.Span(j).SequenceEqual(id))
            {
                return j;
            }

            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The entry whose key is (<paramref name="id"/>, <paramref name="epoch"/>), or -1.</summary>
    public int Find(ReadOnlySpan<byte> id, int epoch)
    {
        var hash = Hash(id, epoch);
        var slot = hash & _mask;
        while (true)
        {
            var held = _slots[slot];
            if (held == 0)
            {
                return -1;
            }

            var j = held - 1;
            if (_hashes[slot] == hash && (_epochs?[j] ?? 0) == epoch && _ids.Span(j).SequenceEqual(id))
            {
                return j;
            }

            slot = (slot + 1) & _mask;
        }
    }
}
