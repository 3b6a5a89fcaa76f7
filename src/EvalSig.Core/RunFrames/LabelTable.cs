using System;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Distinct labels (cluster ids) numbered 0..G-1 in order of first appearance, looked up by their UTF-8
/// bytes: a label already seen costs a hash and a byte comparison, never a string. Each distinct label
/// stays UTF-8 in the frame and is decoded when read.
/// While the labels arrive in strictly ascending order (as harnesses and exporters usually write them:
/// grouped and sorted), a label is new exactly when it sorts after the last one, so no hash table is kept
/// at all; the first label out of order builds it (issue 16: a hash probe per new label was a cache miss).
/// </summary>
internal sealed class LabelTable
{
    private readonly Utf8ColumnBuilder _labels = new(16, emptyIsNull: false);
    // Open addressing over codes + 1 (0 = empty), at most half full; a probe compares label bytes (labels
    // are short, and runs of one cluster never get here: the builder checks the previous label first).
    // Empty while the labels are strictly ascending; _slotsWanted is the size reserved for it meanwhile.
    private int[] _slots = Array.Empty<int>();
    private int _slotsWanted = 64;

    public int Count => _labels.Count;

    /// <summary>Bytes of all labels so far.</summary>
    public long ByteLength => _labels.ByteLength;

    public int GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        if (_slots.Length == 0)
        {
            var count = _labels.Count;
            var order = count == 0 ? 1 : utf8.SequenceCompareTo(_labels.Span(count - 1));
            if (order > 0)
            {
                _labels.Append(utf8);
                return count;
            }

            if (order == 0)
            {
                return count - 1;
            }

            // Out of order: from here on, the hash table (it holds every label so far).
            Rehash(Math.Max(_slotsWanted, TableSize(count + 1)));
        }

        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        var slot = hash & mask;
        while (_slots[slot] != 0)
        {
            var j = _slots[slot] - 1;
            if (_labels.Span(j).SequenceEqual(utf8))
            {
                return j;
            }

            slot = (slot + 1) & mask;
        }

        var code = _labels.Count;
        _labels.Append(utf8);
        _slots[slot] = code + 1;
        if (_labels.Count * 2 > _slots.Length)
        {
            Rehash(_slots.Length * 2);
        }

        return code;
    }

    /// <summary>Room for about <paramref name="labels"/> labels of <paramref name="bytes"/> bytes in all, so the table does not grow step by step.</summary>
    public void Reserve(int labels, long bytes)
    {
        var size = TableSize(labels);
        if (_slots.Length == 0)
        {
            _slotsWanted = Math.Max(_slotsWanted, size);
        }
        else if (size > _slots.Length)
        {
            Rehash(size);
        }

        _labels.Reserve(labels, bytes);
    }

    /// <summary>Slots for <paramref name="labels"/> labels at most half full: a power of two, at least 64, at most 2^30.</summary>
    private static int TableSize(long labels) => (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(64, labels * 2)));

    /// <summary>The labels by code, as a column (decoded only when a label is read).</summary>
    public Utf8Column Build() => _labels.Build();

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var h = default(HashCode);
        h.AddBytes(utf8);
        return h.ToHashCode();
    }

    private void Rehash(int size)
    {
        var slots = new int[size];
        var mask = size - 1;
        for (var code = 0; code < _labels.Count; code++)
        {
            var slot = Hash(_labels.Span(code)) & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = code + 1;
        }

        _slots = slots;
    }
}
