using System;
using System.Buffers.Binary;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Snappy decompression of one raw block (google/snappy, format_description.txt), as Parquet stores its pages:
/// the uncompressed length as a varint, then literals and back-references. Every length and offset is checked;
/// a block that does not decode to exactly the expected size raises <see cref="ParquetPagesUnsupportedException"/>.
/// </summary>
internal static class Snappy
{
    public static void Decompress(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        var pos = 0;
        if (ParquetPages.Uleb(src, ref pos) != (ulong)dst.Length)
        {
            throw Bad("a length other than the page's");
        }

        var o = 0;
        while (pos < src.Length)
        {
            var tag = src[pos++];
            int length;
            switch (tag & 3)
            {
                case 0: // literal
                    {
                        length = tag >> 2;
                        if (length >= 60)
                        {
                            var extra = length - 59;
                            if (extra > src.Length - pos)
                            {
                                throw Bad("a cut literal length");
                            }

                            length = 0;
                            for (var i = 0; i < extra; i++)
                            {
                                length |= src[pos + i] << (8 * i);
                            }

                            pos += extra;
                            if (length < 0)
                            {
                                throw Bad("a literal too long");
                            }
                        }

                        length++;
                        if (length > src.Length - pos || length > dst.Length - o)
                        {
                            throw Bad("a literal past the end");
                        }

                        src.Slice(pos, length).CopyTo(dst[o..]);
                        pos += length;
                        o += length;
                        continue;
                    }

                case 1:
                    {
                        if (pos >= src.Length)
                        {
                            throw Bad("a cut copy");
                        }

                        length = 4 + ((tag >> 2) & 7);
                        var offset = ((tag >> 5) << 8) | src[pos++];
                        Copy(dst, ref o, offset, length);
                        continue;
                    }

                case 2:
                    {
                        if (src.Length - pos < 2)
                        {
                            throw Bad("a cut copy");
                        }

                        length = 1 + (tag >> 2);
                        var offset = BinaryPrimitives.ReadUInt16LittleEndian(src[pos..]);
                        pos += 2;
                        Copy(dst, ref o, offset, length);
                        continue;
                    }

                default:
                    {
                        if (src.Length - pos < 4)
                        {
                            throw Bad("a cut copy");
                        }

                        length = 1 + (tag >> 2);
                        var offset = BinaryPrimitives.ReadUInt32LittleEndian(src[pos..]);
                        pos += 4;
                        if (offset > int.MaxValue)
                        {
                            throw Bad("a copy from before the start");
                        }

                        Copy(dst, ref o, (int)offset, length);
                        continue;
                    }
            }
        }

        if (o != dst.Length)
        {
            throw Bad("fewer bytes than its length");
        }
    }

    private static void Copy(Span<byte> dst, ref int o, int offset, int length)
    {
        if (offset <= 0 || offset > o || length > dst.Length - o)
        {
            throw Bad("a copy outside the output");
        }

        if (offset >= length)
        {
            dst.Slice(o - offset, length).CopyTo(dst[o..]);
        }
        else
        {
            // Overlapping: the copy repeats the last `offset` bytes, byte by byte.
            for (var i = 0; i < length; i++)
            {
                dst[o + i] = dst[o - offset + i];
            }
        }

        o += length;
    }

    private static ParquetPagesUnsupportedException Bad(string what) => new("Snappy block with " + what);
}
