using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Checks a Parquet file's frame and its Thrift footer before Parquet.Net sees it. Parquet.Net trusts
/// the footer: a list count of two billion in a damaged footer makes it read varints past the end
/// for minutes, and a lying footer length sends it anywhere. The check walks the footer as generic
/// Thrift compact protocol (Apache Thrift, "Thrift Compact protocol encoding", doc/specs/thrift-compact-protocol.md)
/// and refuses any value that cannot fit in the bytes that remain, since every element of a list,
/// set or map takes at least one byte.
/// </summary>
internal static class ParquetFooter
{
    private const int MaxDepth = 32;

    /// <summary>Null when the frame and footer are sound; otherwise the reason and the byte where it was found.</summary>
    public static (string Reason, long Byte)? Check(Stream stream)
    {
        var length = stream.Length;
        if (length < 12)
        {
            return ("the file is too short to be Parquet (a Parquet file starts and ends with PAR1 around a footer)", 0);
        }

        Span<byte> tail = stackalloc byte[8];
        stream.Position = length - 8;
        stream.ReadExactly(tail);
        stream.Position = 0;
        Span<byte> head = stackalloc byte[4];
        stream.ReadExactly(head);
        if (!head.SequenceEqual("PAR1"u8))
        {
            return ("the file does not start with the Parquet magic PAR1", 0);
        }

        if (!tail[4..].SequenceEqual("PAR1"u8))
        {
            return ("the file does not end with the Parquet magic PAR1 (it is truncated or damaged)", length - 4);
        }

        var footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > length - 12)
        {
            return (string.Create(CultureInfo.InvariantCulture, $"the footer length {footerLength} does not fit in a file of {length} bytes"), length - 8);
        }

        var footerStart = length - 8 - footerLength;
        var footer = new byte[footerLength];
        stream.Position = footerStart;
        stream.ReadExactly(footer);
        stream.Position = 0;
        var walker = new Walker(footer);
        if (!walker.SkipStruct(0) || walker.Failed is not null)
        {
            return ("the Thrift footer is damaged: " + (walker.Failed ?? "it does not parse"), footerStart + walker.Position);
        }

        return null;
    }

    /// <summary>Thrift compact protocol over a span, every read checked against its end (also used for page headers: ParquetPages).</summary>
    internal ref struct Walker
    {
        private readonly ReadOnlySpan<byte> _data;

        public Walker(ReadOnlySpan<byte> data)
        {
            _data = data;
            Position = 0;
            Failed = null;
        }

        public int Position { get; private set; }

        public string? Failed { get; private set; }

        private readonly int Remaining => _data.Length - Position;

        public bool SkipStruct(int depth)
        {
            if (depth > MaxDepth)
            {
                return Fail("structures nested deeper than any Parquet footer");
            }

            while (true)
            {
                if (!ReadByte(out var header))
                {
                    return false;
                }

                if (header == 0)
                {
                    return true; // STOP
                }

                if ((header >> 4) == 0 && !ReadVarint(out _))
                {
                    return false; // a long-form field id
                }

                if (!SkipValue(header & 0x0F, depth, inList: false))
                {
                    return false;
                }
            }
        }

        public bool SkipValue(int type, int depth, bool inList)
        {
            switch (type)
            {
                case 1:
                case 2:
                    // A boolean field carries its value in the type; a boolean list element is one byte.
                    return !inList || ReadByte(out _);
                case 3:
                    return ReadByte(out _);
                case 4:
                case 5:
                case 6:
                    return ReadVarint(out _);
                case 7:
                    return Take(8);
                case 8:
                    return ReadVarint(out var n) && (n <= (ulong)Remaining || Fail("a string longer than the footer")) && Take((int)n);
                case 9:
                case 10:
                    {
                        if (!ReadByte(out var h))
                        {
                            return false;
                        }

                        var count = (ulong)(h >> 4);
                        if (count == 15 && !ReadVarint(out count))
                        {
                            return false;
                        }

                        if (count > (ulong)Remaining)
                        {
                            return Fail(string.Create(CultureInfo.InvariantCulture, $"a list of {count} elements in {Remaining} bytes"));
                        }

                        for (var i = 0UL; i < count; i++)
                        {
                            if (!SkipValue(h & 0x0F, depth + 1, inList: true))
                            {
                                return false;
                            }
                        }

                        return true;
                    }

                case 11:
                    {
                        if (!ReadVarint(out var count))
                        {
                            return false;
                        }

                        if (count == 0)
                        {
                            return true;
                        }

                        if (count > (ulong)Remaining || !ReadByte(out var kv))
                        {
                            return Fail("a map larger than the footer");
                        }

                        for (var i = 0UL; i < count; i++)
                        {
                            if (!SkipValue(kv >> 4, depth + 1, inList: true) || !SkipValue(kv & 0x0F, depth + 1, inList: true))
                            {
                                return false;
                            }
                        }

                        return true;
                    }

                case 12:
                    return SkipStruct(depth + 1);
                default:
                    return Fail(string.Create(CultureInfo.InvariantCulture, $"unknown Thrift type {type}"));
            }
        }

        public bool ReadByte(out byte b)
        {
            if (Position >= _data.Length)
            {
                b = 0;
                return Fail("it ends in the middle of a value");
            }

            b = _data[Position++];
            return true;
        }

        public bool ReadVarint(out ulong value)
        {
            value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (!ReadByte(out var b))
                {
                    return false;
                }

                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return true;
                }
            }

            return Fail("a varint longer than ten bytes");
        }

        private bool Take(int n)
        {
            if (n > Remaining)
            {
                return Fail("it ends in the middle of a value");
            }

            Position += n;
            return true;
        }

        private bool Fail(string reason)
        {
            Failed ??= reason;
            return false;
        }
    }
}
