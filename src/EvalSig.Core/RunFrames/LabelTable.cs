using System;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Distinct labels (cluster ids) numbered 0..G-1 in order of first appearance, looked up by their UTF-8
/// bytes: a label already seen costs a hash and a byte comparison, never a string. Each distinct label
/// stays UTF-8 in the frame and is decoded when read.
/// </summary>
internal sealed class LabelTable
{
    private readonly Utf8ColumnBuilder _labels = new(16, emptyIsNull: false);
    private int[] _slots = new int[64];
    private int[] _hashes = new int[64];

    public int Count => _labels.Count;

    public int GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var view = _labels.View();
        var mask = _slots.Length - 1;
        var slot = hash & mask;
        while (_slots[slot] != 0)
        {
            var j = _slots[slot] - 1;
            if (_hashes[slot] == hash && view.Span(j).SequenceEqual(utf8))
            {
                return j;
            }

            slot = (slot + 1) & mask;
        }

        var code = _labels.Count;
        _labels.Append(utf8);
        _slots[slot] = code + 1;
        _hashes[slot] = hash;
        if (_labels.Count * 2 > _slots.Length)
        {
            Rehash();
        }

        return code;
    }

    /// <summary>The labels by code, as a column (decoded only when a label is read).</summary>
    public Utf8Column Build() => _labels.Build();

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var h = default(HashCode);
        h.AddBytes(utf8);
        return h.ToHashCode();
    }

    private void Rehash()
    {
        var size = _slots.Length * 2;
        var slots = new int[size];
        var hashes = new int[size];
        var mask = size - 1;
        for (var k = 0; k < _slots.Length; k++)
        {
            if (_slots[k] == 0)
            {
                continue;
            }

            var slot = _hashes[k] & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = _slots[k];
            hashes[slot] = _hashes[k];
        }

        (_slots, _hashes) = (slots, hashes);
    }
}
