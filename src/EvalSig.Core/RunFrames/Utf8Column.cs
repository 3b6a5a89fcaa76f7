using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// A column of strings held as UTF-8 bytes end to end in one array, with one end offset per entry:
/// a million item ids cost their bytes plus four bytes each, not a million string objects (about
/// 50 bytes each). Strings are decoded only when asked for (<see cref="GetString"/>). Immutable.
/// </summary>
/// <remarks>
/// An empty entry is read back as null when the column was built with <c>emptyIsNull</c> (metadata:
/// an empty text is never a JSON object) and as "" otherwise (item ids).
/// </remarks>
internal sealed class Utf8Column
{
    private readonly byte[] _bytes;
    private readonly int[]? _ends;
    private readonly int _width;
    private readonly bool _emptyIsNull;

    /// <summary>Entries of varying length: entry i ends at <paramref name="ends"/>[i].</summary>
    public Utf8Column(byte[] bytes, int[] ends, int count, bool emptyIsNull)
    {
        _bytes = bytes;
        _ends = ends;
        Count = count;
        _emptyIsNull = emptyIsNull;
    }

    /// <summary>Entries all <paramref name="width"/> bytes long (ids such as q0000001): no offsets at all.</summary>
    public Utf8Column(byte[] bytes, int width, int count, bool emptyIsNull)
    {
        _bytes = bytes;
        _width = width;
        Count = count;
        _emptyIsNull = emptyIsNull;
    }

    public int Count { get; }

    /// <summary>Bytes of text held.</summary>
    public long ByteCount => Count == 0 ? 0 : End(Count - 1);

    private int End(int i) => _ends is null ? (i + 1) * _width : _ends[i];

    public ReadOnlySpan<byte> Span(int i) => Entry(_bytes, _ends, _width, i);

    /// <summary>Entry <paramref name="i"/> of bytes laid out as a column: fixed-width when there are no ends.</summary>
    internal static ReadOnlySpan<byte> Entry(byte[] bytes, int[]? ends, int width, int i)
    {
        if (ends is null)
        {
            return bytes.AsSpan(i * width, width);
        }

        var start = i == 0 ? 0 : ends[i - 1];
        return bytes.AsSpan(start, ends[i] - start);
    }

    public string? GetString(int i)
    {
        var s = Span(i);
        return s.IsEmpty ? (_emptyIsNull ? null : string.Empty) : Encoding.UTF8.GetString(s);
    }

    public bool IsNull(int i) => _emptyIsNull && Span(i).IsEmpty;

    public bool EntryEquals(int i, Utf8Column other, int j) => Span(i).SequenceEqual(other.Span(j));

    /// <summary>Same entries in the same order: one comparison of the offsets and one of the bytes.</summary>
    public bool ContentEquals(Utf8Column other)
        => Count == other.Count
        && (_ends is null
            ? other._ends is null ? _width == other._width || Count == 0 : other.SameEnds(this)
            : other._ends is null ? SameEnds(other) : _ends.AsSpan(0, Count).SequenceEqual(other._ends.AsSpan(0, Count)))
        && _bytes.AsSpan(0, (int)ByteCount).SequenceEqual(other._bytes.AsSpan(0, (int)other.ByteCount));

    private bool SameEnds(Utf8Column other)
    {
        for (var i = 0; i < Count; i++)
        {
            if (_ends![i] != other.End(i))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when every entry sorts strictly after the one before (ordinal over the UTF-8 bytes): then no two are equal.</summary>
    public bool StrictlyAscending()
    {
        for (var i = 1; i < Count; i++)
        {
            if (Span(i - 1).SequenceCompareTo(Span(i)) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The entries as strings, decoded one by one as they are read.</summary>
    public IReadOnlyList<string?> AsStrings() => new StringView(this);

    private sealed class StringView : IReadOnlyList<string?>
    {
        private readonly Utf8Column _c;

        public StringView(Utf8Column c) => _c = c;

        public int Count => _c.Count;

        public string? this[int index] => (uint)index < (uint)_c.Count ? _c.GetString(index) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<string?> GetEnumerator()
        {
            for (var i = 0; i < _c.Count; i++)
            {
                yield return _c.GetString(i);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// Appends UTF-8 strings to a growing byte array, handed on with its slack by <see cref="Build"/>. While every entry
/// has the same length no offsets are kept at all.
/// </summary>
internal sealed class Utf8ColumnBuilder
{
    private readonly bool _emptyIsNull;
    private byte[] _bytes;
    private int[]? _ends;
    private int _endsCapacity;
    private int _width = -1;
    private int _length;

    public Utf8ColumnBuilder(int capacity, bool emptyIsNull)
    {
        _emptyIsNull = emptyIsNull;
        _endsCapacity = Math.Max(capacity, 16);
        _bytes = new byte[Math.Max(capacity, 16) * 8];
    }

    public int Count { get; private set; }

    /// <summary>Bytes appended so far.</summary>
    public long ByteLength => _length;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Append(ReadOnlySpan<byte> utf8)
    {
        if ((uint)(_length + utf8.Length) > (uint)_bytes.Length)
        {
            EnsureBytes(utf8.Length);
        }

        utf8.CopyTo(_bytes.AsSpan(_length));
        _length += utf8.Length;
        End();
    }

    public void Append(string? s)
    {
        if (!string.IsNullOrEmpty(s))
        {
            EnsureBytes(Encoding.UTF8.GetMaxByteCount(s.Length));
            _length += Encoding.UTF8.GetBytes(s, _bytes.AsSpan(_length));
        }

        End();
    }

    /// <summary>Room for <paramref name="entries"/> entries of <paramref name="bytes"/> bytes in all.</summary>
    public void Reserve(int entries, long bytes)
    {
        _endsCapacity = Math.Max(_endsCapacity, entries);
        if (_ends is not null && entries > _ends.Length)
        {
            LargeArrays.Resize(ref _ends, entries);
        }

        if (bytes > _bytes.Length)
        {
            LargeArrays.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, bytes));
        }
    }

    /// <summary>Appends empty entries until the column has <paramref name="count"/> of them.</summary>
    public void PadTo(int count)
    {
        while (Count < count)
        {
            End();
        }
    }

    /// <summary>Entry <paramref name="i"/> (valid until the next append).</summary>
    public ReadOnlySpan<byte> Span(int i) => Utf8Column.Entry(_bytes, _ends, _width, i);

    /// <summary>The entries so far, sharing this builder's arrays (valid until the next append).</summary>
    public Utf8Column View() => _ends is null ? new(_bytes, Math.Max(_width, 0), Count, _emptyIsNull) : new(_bytes, _ends, Count, _emptyIsNull);

    public Utf8Column Build()
    {
        // No trimmed copy (issue 16): the copy and the original would both be alive at the moment of the
        // copy, which is when memory peaks; the slack (a few percent once the column was sized from the
        // file, at most a third after growth) costs less. Readers index below Count only.
        var column = _ends is null
            ? new Utf8Column(_bytes, Math.Max(_width, 0), Count, _emptyIsNull)
            : new Utf8Column(_bytes, _ends, Count, _emptyIsNull);
        _bytes = Array.Empty<byte>();
        _ends = null;
        return column;
    }

    /// <summary>Ends the entry being appended: for ids of one width (the usual case) one comparison.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void End()
    {
        if (_ends is null && _width >= 0 && _length - (Count * _width) == _width)
        {
            Count++;
            return;
        }

        EndEntry();
    }

    private void EndEntry()
    {
        var start = _ends is null ? Count * Math.Max(_width, 0) : (Count == 0 ? 0 : _ends[Count - 1]);
        var length = _length - start;
        if (_ends is null)
        {
            if (_width < 0)
            {
                _width = length;
            }

            if (length == _width)
            {
                Count++;
                return;
            }

            // The first entry of another length: from here on, offsets.
            _ends = LargeArrays.New<int>(Math.Max(_endsCapacity, Count + 1));
            for (var i = 0; i < Count; i++)
            {
                _ends[i] = (i + 1) * _width;
            }
        }

        if (Count == _ends.Length)
        {
            LargeArrays.Resize(ref _ends, Grow(_ends.Length));
        }

        _ends[Count++] = _length;
    }

    private void EnsureBytes(int extra)
    {
        if ((long)_length + extra > Array.MaxLength)
        {
            throw new InvalidDataException("the text columns of this run exceed 2 GB; split the run into smaller files");
        }

        if (_length + extra > _bytes.Length)
        {
            LargeArrays.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, Math.Max((long)_length + extra, Grow(_bytes.Length))));
        }
    }

    private static int Grow(int n) => (int)Math.Min(Array.MaxLength, Math.Max(16, (long)n * 3 / 2));
}

/// <summary>
/// Text that only some items have (metadata): the rows that have it, ascending, and their texts. An item
/// without costs nothing; when every item has text the row list is dropped.
/// </summary>
internal sealed class SparseTextColumn
{
    private readonly int[]? _rows;
    private readonly Utf8Column _values;

    public SparseTextColumn(int[]? rows, Utf8Column values)
    {
        _rows = rows;
        _values = values;
    }

    public string? GetString(int row)
    {
        var k = _rows is null ? row : Array.BinarySearch(_rows, 0, _values.Count, row);
        return k >= 0 && k < _values.Count ? _values.GetString(k) : null;
    }

    public sealed class Builder
    {
        private readonly Utf8ColumnBuilder _values = new(16, emptyIsNull: false);
        private int[] _rows = new int[16];

        public void Add(int row, string text)
        {
            Room();
            _rows[_values.Count] = row;
            _values.Append(text);
        }

        public void Add(int row, ReadOnlySpan<byte> utf8)
        {
            Room();
            _rows[_values.Count] = row;
            _values.Append(utf8);
        }

        public int Count => _values.Count;

        public long ByteLength => _values.ByteLength;

        public void Reserve(int items, long bytes)
        {
            if (items > _rows.Length)
            {
                LargeArrays.Resize(ref _rows, items);
            }

            _values.Reserve(items, bytes);
        }

        private void Room()
        {
            if (_values.Count == _rows.Length)
            {
                LargeArrays.Resize(ref _rows, (int)Math.Min(Array.MaxLength, (long)_rows.Length * 2));
            }
        }

        public SparseTextColumn Build(int rowCount)
        {
            var n = _values.Count;
            var rows = n == rowCount ? null : _rows; // searched below the value count only: no trimmed copy
            _rows = Array.Empty<int>();
            return new SparseTextColumn(rows, _values.Build());
        }
    }
}
