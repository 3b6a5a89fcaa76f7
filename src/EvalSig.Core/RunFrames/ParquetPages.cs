using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using EvalSig.Bridge;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// EvalSig's own decoder for the pages of a flat Parquet column chunk (issue 16), used for the columns a gate
/// reads on every row: item ids, cluster labels and metadata (UTF-8 strings), scores (doubles) and epochs
/// (int32). Parquet.Net turns every string into UTF-16 and allocates fresh buffers for every page; this
/// decoder reads a chunk's bytes once into a reused buffer and hands back UTF-8 slices.
/// </summary>
/// <remarks>
/// It reads what common writers produce (Parquet.Net, Arrow/pyarrow, DuckDB, Spark): data pages v1 and v2,
/// a PLAIN dictionary page, values PLAIN or dictionary-encoded (PLAIN_DICTIONARY, RLE_DICTIONARY), definition
/// levels in the RLE/bit-packed hybrid (at most one level: a flat, optional column), no compression or
/// Snappy. The format is that of the Apache Parquet specification (parquet-format: Encodings.md,
/// the PageHeader in parquet.thrift) and Snappy's format_description.txt.
/// Anything else, and anything inconsistent (a page running past its chunk, a count that does not add up,
/// an index outside the dictionary), raises <see cref="ParquetPagesUnsupportedException"/>: the caller then
/// reads that column with Parquet.Net, so a damaged or unusual file meets exactly the reader it always met.
/// The one exception: a dictionary-encoded page in a chunk without a dictionary page is refused as damaged
/// (<see cref="InvalidDataException"/>), since Parquet.Net decodes it against a stale pooled buffer.
/// </remarks>
internal sealed class ParquetPages
{
    private const int PlainEncoding = 0;
    private const int PlainDictionary = 2;
    private const int Rle = 3;
    private const int BitPacked = 4;
    private const int RleDictionary = 8;
    private const int TypeInt32 = 1;
    private const int TypeDouble = 5;
    private const int TypeByteArray = 6;

    private byte[] _chunk = [];
    private byte[] _page = [];
    private int[] _levels = [];
    private int[] _indices = [];

    // The dictionary of the chunk being decoded: for text, ranges of the output's data; for numbers, values.
    private int[] _dictStart = [];
    private int[] _dictLength = [];
    private double[] _dictDoubles = [];
    private int[] _dictInts = [];
    private int _dictCount;
    private bool _hasDictionary;
    private string _column = "";

    /// <summary>
    /// The AppContext switch <c>EvalSig.RunFrames.DisableParquetPageDecoder</c>: every column through Parquet.Net
    /// (the escape hatch, and how tests compare the two).
    /// </summary>
    internal static bool Disabled => OffOnThisThread || (AppContext.TryGetSwitch("EvalSig.RunFrames.DisableParquetPageDecoder", out var off) && off);

    /// <summary>Tests: every column of reads on this thread through Parquet.Net.</summary>
    [ThreadStatic]
    internal static bool OffOnThisThread;

    /// <summary>Tests: the chunks this decoder has read to the end on this thread.</summary>
    [ThreadStatic]
    internal static int ChunksDecoded;

    /// <summary>True when the footer describes a chunk this decoder may read as values of <paramref name="physicalType"/>.</summary>
    internal static bool Decodable(ParquetChunkLayout? layout, int physicalType)
    {
        // Fixed-width values are copied as they lie in the file (little-endian): a big-endian host reads through Parquet.Net.
        if (Disabled || !BitConverter.IsLittleEndian || layout is null || layout.PhysicalType != physicalType || layout.Codec is not (0 or 1)
            || layout.MaxRepetitionLevel != 0 || layout.MaxDefinitionLevel is not (0 or 1))
        {
            return false;
        }

        foreach (var e in layout.Encodings)
        {
            if (e is not (PlainEncoding or PlainDictionary or Rle or BitPacked or RleDictionary))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool DecodableText(ParquetChunkLayout? layout) => Decodable(layout, TypeByteArray);

    internal static bool DecodableDoubles(ParquetChunkLayout? layout) => Decodable(layout, TypeDouble);

    internal static bool DecodableInts(ParquetChunkLayout? layout) => Decodable(layout, TypeInt32);

    /// <summary>A string column's <paramref name="rows"/> values as UTF-8 (invalid sequences replaced as Parquet.Net's UTF-8 decoding replaces them).</summary>
    public void ReadText(Stream stream, string column, ParquetChunkLayout layout, int rows, ParquetTextChunk into)
    {
        into.Reset(rows);
        Decode(stream, column, layout, rows, TypeByteArray, into, null, null, null);
    }

    /// <summary>A double column's <paramref name="rows"/> values; a null reads as NaN, and <paramref name="isNull"/>, when given, marks it.</summary>
    public void ReadDoubles(Stream stream, string column, ParquetChunkLayout layout, int rows, double[] into, bool[]? isNull)
        => Decode(stream, column, layout, rows, TypeDouble, null, into, null, isNull);

    /// <summary>An int32 column's <paramref name="rows"/> values; a null reads as 0.</summary>
    public void ReadInts(Stream stream, string column, ParquetChunkLayout layout, int rows, int[] into)
        => Decode(stream, column, layout, rows, TypeInt32, null, null, into, null);

    private void Decode(Stream stream, string column, ParquetChunkLayout layout, int rows, int type, ParquetTextChunk? text, double[]? doubles, int[]? ints, bool[]? isNull)
    {
        if (!Decodable(layout, type) || layout.ValueCount != rows)
        {
            throw new ParquetPagesUnsupportedException("chunk");
        }

        var chunk = LoadChunk(stream, layout);
        _column = column;
        _hasDictionary = false;
        _dictCount = 0;
        var optional = layout.MaxDefinitionLevel == 1;
        var pos = 0;
        var row = 0;
        while (row < rows)
        {
            var h = PageHeader.Parse(chunk, ref pos);
            if (h.CompressedSize > chunk.Length - pos)
            {
                throw Unsupported("a page runs past its chunk");
            }

            var payload = chunk.Slice(pos, h.CompressedSize);
            pos += h.CompressedSize;
            switch (h.Type)
            {
                case 2: // DICTIONARY_PAGE
                    if (_hasDictionary || row > 0 || h.DictionaryValues < 0 || h.Encoding is not (PlainEncoding or PlainDictionary))
                    {
                        throw Unsupported("dictionary page");
                    }

                    ReadDictionary(Decompress(layout.Codec, payload, h.UncompressedSize), h.DictionaryValues, type, text);
                    break;
                case 0: // DATA_PAGE
                    {
                        var n = h.DataValues;
                        if (n < 0 || n > rows - row)
                        {
                            throw Unsupported("data page value count");
                        }

                        var body = Decompress(layout.Codec, payload, h.UncompressedSize);
                        var levels = ReadOnlySpan<byte>.Empty;
                        if (optional)
                        {
                            if (h.DefinitionLevelEncoding != Rle || body.Length < 4)
                            {
                                throw Unsupported("definition levels");
                            }

                            var length = BinaryPrimitives.ReadInt32LittleEndian(body);
                            if (length < 0 || length > body.Length - 4)
                            {
                                throw Unsupported("definition levels");
                            }

                            levels = body.Slice(4, length);
                            body = body[(4 + length)..];
                        }

                        DataPage(body, levels, optional, n, h.Encoding, row, type, text, doubles, ints, isNull);
                        row += n;
                        break;
                    }

                case 3: // DATA_PAGE_V2
                    {
                        var n = h.DataValues;
                        if (n < 0 || n > rows - row || h.RepetitionLevelsLength != 0 || h.DefinitionLevelsLength < 0 || h.DefinitionLevelsLength > payload.Length
                            || (h.Rows >= 0 && h.Rows != n) || (!optional && h.DefinitionLevelsLength != 0))
                        {
                            throw Unsupported("data page v2");
                        }

                        // The levels are never compressed; the values are when the page says so and the chunk has a codec.
                        var levels = payload[..h.DefinitionLevelsLength];
                        var rest = payload[h.DefinitionLevelsLength..];
                        var compressed = h.IsCompressed && layout.Codec != 0;
                        if (!compressed && h.UncompressedSize != payload.Length)
                        {
                            throw Unsupported("data page v2 size");
                        }

                        var body = compressed ? Decompress(layout.Codec, rest, h.UncompressedSize - h.DefinitionLevelsLength) : rest;

                        DataPage(body, levels, optional, n, h.Encoding, row, type, text, doubles, ints, isNull);
                        row += n;
                        break;
                    }

                case 1: // INDEX_PAGE
                    break;
                default:
                    throw Unsupported("page type");
            }
        }

        ChunksDecoded++;
    }

    private ReadOnlySpan<byte> LoadChunk(Stream stream, ParquetChunkLayout layout)
    {
        var start = layout.DictionaryPageOffset > 0 && layout.DictionaryPageOffset < layout.DataPageOffset ? layout.DictionaryPageOffset : layout.DataPageOffset;
        var size = layout.TotalCompressedSize;
        if (start < 4 || size <= 0 || size > int.MaxValue / 2 || start > stream.Length - 8 - size)
        {
            throw Unsupported("chunk bounds");
        }

        Room(ref _chunk, (int)size);
        stream.Position = start;
        stream.ReadExactly(_chunk, 0, (int)size);
        return _chunk.AsSpan(0, (int)size);
    }

    private ReadOnlySpan<byte> Decompress(int codec, ReadOnlySpan<byte> payload, int uncompressedSize)
    {
        if (codec == 0)
        {
            return uncompressedSize == payload.Length ? payload : throw Unsupported("page size");
        }

        if (uncompressedSize < 0)
        {
            throw Unsupported("page size");
        }

        var output = Room(ref _page, uncompressedSize).AsSpan(0, uncompressedSize);
        Snappy.Decompress(payload, output);
        return output;
    }

    private void ReadDictionary(ReadOnlySpan<byte> body, int count, int type, ParquetTextChunk? text)
    {
        _dictCount = count;
        _hasDictionary = true;
        switch (type)
        {
            case TypeByteArray:
                Room(ref _dictStart, count);
                Room(ref _dictLength, count);
                var pos = 0;
                for (var i = 0; i < count; i++)
                {
                    var value = PlainBytes(body, ref pos);
                    (_dictStart[i], _dictLength[i]) = text!.Append(value);
                }

                break;
            case TypeDouble:
                Plain(body, count, Room(ref _dictDoubles, count));
                break;
            default:
                Plain(body, count, Room(ref _dictInts, count));
                break;
        }
    }

    private void DataPage(ReadOnlySpan<byte> body, ReadOnlySpan<byte> levelBytes, bool optional, int n, int encoding, int row, int type, ParquetTextChunk? text, double[]? doubles, int[]? ints, bool[]? isNull)
    {
        // Which of the page's n rows hold a value: all, for a required column.
        var present = n;
        Span<int> levels = default;
        if (optional)
        {
            levels = Room(ref _levels, n).AsSpan(0, n);
            Hybrid(levelBytes, 1, levels);
            present = 0;
            foreach (var l in levels)
            {
                present += l;
            }
        }

        Span<int> indices = default;
        if (encoding is PlainDictionary or RleDictionary)
        {
            if (!_hasDictionary)
            {
                // Parquet.Net decodes such a page against whatever its pooled buffers last held: not a reading to fall back on.
                throw new InvalidDataException($"column '{_column}': a dictionary-encoded page in a chunk without a dictionary page");
            }

            if (body.IsEmpty || body[0] > 32)
            {
                throw Unsupported("dictionary indices");
            }

            indices = Room(ref _indices, present).AsSpan(0, present);
            Hybrid(body[1..], body[0], indices);
            foreach (var x in indices)
            {
                if ((uint)x >= (uint)_dictCount)
                {
                    throw Unsupported("an index outside the dictionary");
                }
            }
        }
        else if (encoding != PlainEncoding)
        {
            throw Unsupported("value encoding");
        }

        var dictionary = encoding != PlainEncoding;
        var marks = isNull is null ? default : isNull.AsSpan(row, n);
        var k = 0; // the next value of the page
        var pos = 0; // the next byte of PLAIN values
        switch (type)
        {
            case TypeByteArray:
                for (var i = 0; i < n; i++)
                {
                    if (optional && levels[i] == 0)
                    {
                        text!.SetNull(row + i);
                    }
                    else if (dictionary)
                    {
                        var x = indices[k++];
                        text!.Set(row + i, _dictStart[x], _dictLength[x]);
                    }
                    else
                    {
                        var (s, l) = text!.Append(PlainBytes(body, ref pos));
                        text.Set(row + i, s, l);
                    }
                }

                break;
            case TypeDouble:
                Numbers(body, levels, indices, _dictDoubles, optional, dictionary, n, present, doubles.AsSpan(row, n), double.NaN, marks);
                break;
            default:
                Numbers(body, levels, indices, _dictInts, optional, dictionary, n, present, ints.AsSpan(row, n), 0, marks);
                break;
        }
    }

    /// <summary>
    /// A page's <paramref name="n"/> fixed-width values into <paramref name="into"/>: PLAIN (little-endian, copied as they
    /// lie) or through the dictionary; a null row gets <paramref name="none"/> and is marked in <paramref name="isNull"/>
    /// when that is given.
    /// </summary>
    private static void Numbers<T>(ReadOnlySpan<byte> body, ReadOnlySpan<int> levels, ReadOnlySpan<int> indices, ReadOnlySpan<T> dictionaryValues, bool optional, bool dictionary, int n, int present, Span<T> into, T none, Span<bool> isNull)
        where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(body);
        if (!dictionary && values.Length < present)
        {
            throw Unsupported("a page shorter than its values");
        }

        if (!optional && !dictionary)
        {
            values[..n].CopyTo(into);
            return;
        }

        var k = 0;
        for (var i = 0; i < n; i++)
        {
            var isNone = optional && levels[i] == 0;
            if (!isNull.IsEmpty)
            {
                isNull[i] = isNone;
            }

            into[i] = isNone ? none : dictionary ? dictionaryValues[indices[k++]] : values[k++];
        }
    }

    /// <summary>A PLAIN BYTE_ARRAY value: a four-byte little-endian length, then the bytes.</summary>
    private static ReadOnlySpan<byte> PlainBytes(ReadOnlySpan<byte> body, ref int pos)
    {
        if (body.Length - pos < 4)
        {
            throw Unsupported("a value runs past its page");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(body[pos..]);
        pos += 4;
        if (length < 0 || length > body.Length - pos)
        {
            throw Unsupported("a value runs past its page");
        }

        var value = body.Slice(pos, length);
        pos += length;
        return value;
    }

    /// <summary>The first <paramref name="count"/> PLAIN fixed-width values of <paramref name="body"/> (little-endian, copied as they lie).</summary>
    private static void Plain<T>(ReadOnlySpan<byte> body, int count, Span<T> into)
        where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(body);
        if (values.Length < count)
        {
            throw Unsupported("a page shorter than its values");
        }

        values[..count].CopyTo(into);
    }

    /// <summary>
    /// The RLE / bit-packed hybrid (Encodings.md) without its length prefix: exactly <c>into.Length</c> values of
    /// <paramref name="bitWidth"/> bits. A run may go on past the values wanted (the last bit-packed group is padded to eight).
    /// </summary>
    internal static void Hybrid(ReadOnlySpan<byte> src, int bitWidth, Span<int> into)
    {
        var pos = 0;
        var k = 0;
        var byteWidth = (bitWidth + 7) / 8;
        var mask = bitWidth == 32 ? uint.MaxValue : (1u << bitWidth) - 1;
        while (k < into.Length)
        {
            var header = Uleb(src, ref pos);
            if ((header & 1) == 0)
            {
                var count = header >> 1;
                if (count == 0 || byteWidth > src.Length - pos)
                {
                    throw Unsupported("an empty or cut run");
                }

                var value = 0u;
                for (var i = 0; i < byteWidth; i++)
                {
                    value |= (uint)src[pos + i] << (8 * i);
                }

                pos += byteWidth;
                if (value > mask)
                {
                    throw Unsupported("a run value wider than its bit width");
                }

                var take = (int)Math.Min(count, (ulong)(into.Length - k));
                into.Slice(k, take).Fill((int)value);
                k += take;
            }
            else
            {
                var groups = header >> 1;
                if (groups == 0 || groups * (ulong)bitWidth > (ulong)(src.Length - pos))
                {
                    throw Unsupported("an empty or cut bit-packed run");
                }

                var bytes = src.Slice(pos, (int)groups * bitWidth);
                pos += bytes.Length;
                var take = (int)Math.Min(groups * 8, (ulong)(into.Length - k));
                if (bitWidth == 0)
                {
                    into.Slice(k, take).Clear();
                }
                else
                {
                    for (var i = 0; i < take; i++)
                    {
                        var bit = (long)i * bitWidth;
                        var at = (int)(bit >> 3);
                        ulong word = 0;
                        var have = Math.Min(8, bytes.Length - at);
                        for (var j = 0; j < have; j++)
                        {
                            word |= (ulong)bytes[at + j] << (8 * j);
                        }

                        into[k + i] = (int)((uint)(word >> (int)(bit & 7)) & mask);
                    }
                }

                k += take;
            }
        }
    }

    /// <summary>An unsigned LEB128 varint of at most five bytes (35 bits: no count built from it can overflow).</summary>
    internal static ulong Uleb(ReadOnlySpan<byte> src, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (pos >= src.Length)
            {
                throw Unsupported("a varint past the end");
            }

            var b = src[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw Unsupported("a varint longer than five bytes");
    }

    private static T[] Room<T>(ref T[] buffer, int n) => buffer.Length >= n ? buffer : buffer = new T[Math.Max(n, (int)Math.Min(Array.MaxLength, buffer.Length * 5L / 4))];

    private static ParquetPagesUnsupportedException Unsupported(string what) => new(what);

    /// <summary>The fields of a Thrift <c>PageHeader</c> the decoder uses (missing ones are -1; is_compressed defaults to true).</summary>
    private struct PageHeader
    {
        public int Type;
        public int UncompressedSize;
        public int CompressedSize;
        public int DataValues;
        public int Encoding;
        public int DefinitionLevelEncoding;
        public int DictionaryValues;
        public int Rows;
        public int DefinitionLevelsLength;
        public int RepetitionLevelsLength;
        public bool IsCompressed;

        public static PageHeader Parse(ReadOnlySpan<byte> chunk, ref int pos)
        {
            var h = new PageHeader
            {
                Type = -1, UncompressedSize = -1, CompressedSize = -1, DataValues = -1, Encoding = -1, DefinitionLevelEncoding = -1,
                DictionaryValues = -1, Rows = -1, DefinitionLevelsLength = -1, RepetitionLevelsLength = -1, IsCompressed = true,
            };
            var w = new ParquetFooter.Walker(chunk[pos..]);
            Struct(ref w, ref h, 0);
            pos += w.Position;
            if (h.Type < 0 || h.CompressedSize < 0 || h.UncompressedSize < 0)
            {
                throw Unsupported("a page header without its sizes");
            }

            if (h.Type == 3)
            {
                h.DefinitionLevelsLength = Math.Max(h.DefinitionLevelsLength, 0);
                h.RepetitionLevelsLength = Math.Max(h.RepetitionLevelsLength, 0);
            }

            return h;
        }

        // scope: 0 = PageHeader, 5 = DataPageHeader, 7 = DictionaryPageHeader, 8 = DataPageHeaderV2, 9 = Statistics.
        private static void Struct(ref ParquetFooter.Walker w, ref PageHeader h, int scope)
        {
            var id = 0;
            while (true)
            {
                if (!w.ReadByte(out var header))
                {
                    throw Unsupported("page header");
                }

                if (header == 0)
                {
                    return;
                }

                var type = header & 0x0F;
                var delta = header >> 4;
                if (delta != 0)
                {
                    id += delta;
                }
                else
                {
                    if (!w.ReadVarint(out var raw))
                    {
                        throw Unsupported("page header");
                    }

                    id = (int)((raw >> 1) ^ (0 - (raw & 1)));
                }

                // A field the format defines, with another wire type than its definition's, is refused (Parquet.Net's
                // generated reader loses its place on one); fields the format does not define are skipped.
                var expected = Expected(scope, id);
                if (expected >= 0 && !(type == expected || (expected == 1 && type == 2)))
                {
                    throw Unsupported("a page header field of the wrong type");
                }

                if (type is 1 or 2)
                {
                    // A boolean field carries its value in its type: 1 true, 2 false.
                    if (scope == 8 && id == 7)
                    {
                        h.IsCompressed = type == 1;
                    }

                    continue;
                }

                if (expected == 12)
                {
                    // The PageHeader's page headers take their field id as scope; theirs hold only Statistics.
                    Struct(ref w, ref h, scope == 0 ? id : Statistics);
                    continue;
                }

                if (type == 5)
                {
                    // An i32: the fields the decoder uses are kept (Assign), the rest read past.
                    if (!w.ReadVarint(out var raw) || raw > uint.MaxValue)
                    {
                        throw Unsupported("page header");
                    }

                    var value = (int)((uint)(raw >> 1) ^ (0u - (uint)(raw & 1)));
                    Assign(ref h, scope, id, value);
                    continue;
                }

                if (!w.SkipValue(type, 1, inList: false))
                {
                    throw Unsupported("page header");
                }
            }
        }

        private const int Statistics = 9;

        /// <summary>The wire type parquet.thrift gives a field (5 i32, 6 i64, 8 binary, 12 struct, 1 boolean), or -1 for an undefined one.</summary>
        private static int Expected(int scope, int id) => scope switch
        {
            0 => id switch { >= 1 and <= 4 => 5, >= 5 and <= 8 => 12, _ => -1 }, // PageHeader
            5 => id switch { >= 1 and <= 4 => 5, 5 => 12, _ => -1 }, // DataPageHeader
            7 => id switch { 1 or 2 => 5, 3 => 1, _ => -1 }, // DictionaryPageHeader
            8 => id switch { >= 1 and <= 6 => 5, 7 => 1, 8 => 12, _ => -1 }, // DataPageHeaderV2
            Statistics => id switch { 1 or 2 or 5 or 6 => 8, 3 or 4 => 6, 7 or 8 => 1, _ => -1 },
            _ => -1,
        };

        private static void Assign(ref PageHeader h, int scope, int id, int value)
        {
            switch (scope, id)
            {
                case (0, 1): h.Type = value; break;
                case (0, 2): h.UncompressedSize = value; break;
                case (0, 3): h.CompressedSize = value; break;
                case (5, 1): h.DataValues = value; break;
                case (5, 2): h.Encoding = value; break;
                case (5, 3): h.DefinitionLevelEncoding = value; break;
                case (7, 1): h.DictionaryValues = value; break;
                case (7, 2): h.Encoding = value; break;
                case (8, 1): h.DataValues = value; break;
                case (8, 3): h.Rows = value; break;
                case (8, 4): h.Encoding = value; break;
                case (8, 5): h.DefinitionLevelsLength = value; break;
                case (8, 6): h.RepetitionLevelsLength = value; break;
            }
        }
    }
}

/// <summary>A feature or inconsistency <see cref="ParquetPages"/> does not handle: read the column with Parquet.Net.</summary>
internal sealed class ParquetPagesUnsupportedException(string what) : Exception("the Parquet page decoder does not read this chunk: " + what);

/// <summary>A string column of one row group as UTF-8 ranges of one buffer (see <see cref="ParquetPages.ReadText"/>).</summary>
internal sealed class ParquetTextChunk
{
    private byte[] _data = [];
    private int _used;
    private int[] _start = [];
    private int[] _length = [];

    public int Count { get; private set; }

    public bool IsNull(int row) => _length[row] < 0;

    /// <summary>Row <paramref name="row"/>'s UTF-8 text (empty for null).</summary>
    public ReadOnlySpan<byte> this[int row] => _length[row] < 0 ? default : _data.AsSpan(_start[row], _length[row]);

    internal void Reset(int rows)
    {
        _used = 0;
        Count = rows;
        if (_start.Length < rows)
        {
            _start = new int[rows];
            _length = new int[rows];
        }
    }

    internal void SetNull(int row) => _length[row] = -1;

    internal void Set(int row, int start, int length)
    {
        _start[row] = start;
        _length[row] = length;
    }

    /// <summary>Copies a value in (as Parquet.Net's UTF-8 decoding would leave it) and returns where it lies.</summary>
    internal (int Start, int Length) Append(ReadOnlySpan<byte> value)
    {
        if (!Utf8.IsValid(value))
        {
            // Parquet.Net decodes with Encoding.UTF8, which replaces each invalid sequence by U+FFFD.
            value = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(value));
        }

        if (_data.Length - _used < value.Length)
        {
            Array.Resize(ref _data, (int)Math.Min(Array.MaxLength, Math.Max(_used + (long)value.Length, Math.Max(4096, _data.Length * 3L / 2))));
        }

        value.CopyTo(_data.AsSpan(_used));
        var start = _used;
        _used += value.Length;
        return (start, value.Length);
    }
}
