using System;
using System.Buffers.Binary;
using System.IO;
using System.Reflection;

namespace EvalSig.Bridge;

/// <summary>
/// Parses a Parquet footer with Parquet.Net's own Thrift reader before <c>ParquetReader</c> does, over a
/// stream that throws at its end. Parquet.Net 6.1.0 reads the footer from a <see cref="MemoryStream"/> and
/// casts <c>ReadByte()</c> to a byte, so at the end of a damaged footer a varint reads 0xFF for ever and the
/// reader never returns (issue 15: one fuzzed file of 2,864 bytes held a core for minutes). A generic walk of
/// the Thrift bytes (EvalSig.Core's ParquetFooter) cannot rule this out, because the generated reader
/// interprets known field ids by their schema type and so can walk a damaged footer differently. Running
/// that very reader once on a stream with an honest end does: it either parses (and then parses the same
/// way again inside Parquet.Net) or fails here, quickly. Page headers are parsed the same way from the file
/// itself, so Parquet.Net is given the file through <see cref="EndedFile"/>.
/// </summary>
internal static class ParquetFooterProbe
{
    private static readonly MethodInfo? ReadFooter;
    private static readonly ConstructorInfo? NewProtocolReader;

    static ParquetFooterProbe()
    {
        var asm = typeof(Parquet.ParquetReader).Assembly;
        var protocol = asm.GetType("Parquet.Meta.Proto.ThriftCompactProtocolReader");
        var meta = asm.GetType("Parquet.Meta.FileMetaData");
        NewProtocolReader = protocol?.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Stream)]);
        ReadFooter = protocol is null ? null : meta?.GetMethod("Read", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [protocol]);
    }

    /// <summary>
    /// True when the probe can run: the Parquet.Net in use has the internal reader this probe calls.
    /// A test pins this, so an upgrade that renames it is noticed rather than silently unprotected.
    /// </summary>
    public static bool Available => ReadFooter is not null && NewProtocolReader is not null;

    /// <summary>Throws <see cref="InvalidDataException"/> when Parquet.Net cannot parse the footer of the seekable <paramref name="stream"/>.</summary>
    public static void Check(Stream stream)
    {
        if (!Available || !stream.CanSeek || stream.Length < 12)
        {
            return; // too short a file is refused by the frame check before this runs
        }

        Span<byte> tail = stackalloc byte[4];
        var start = stream.Position;
        stream.Position = stream.Length - 8;
        stream.ReadExactly(tail);
        var length = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (length <= 0 || length > stream.Length - 12)
        {
            stream.Position = start;
            return; // the frame check reports this one
        }

        var footer = new byte[length];
        stream.Position = stream.Length - 8 - length;
        stream.ReadExactly(footer);
        stream.Position = start;
        try
        {
            ReadFooter!.Invoke(null, [NewProtocolReader!.Invoke([new EndedStream(footer)])]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is { } inner && inner is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                inner is EndOfStreamException
                    ? "not a readable Parquet file: the Thrift footer ends in the middle of a value"
                    : "not a readable Parquet file: the Thrift footer is damaged: " + inner.Message,
                inner);
        }
    }

    /// <summary>A memory stream whose single-byte reads end in an exception, not in -1 cast to 0xFF.</summary>
    private sealed class EndedStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public override int ReadByte()
        {
            var b = base.ReadByte();
            return b >= 0 ? b : throw new EndOfStreamException("the footer ends in the middle of a value");
        }

        public override long Seek(long offset, SeekOrigin loc)
        {
            // Parquet.Net skips a one-byte value by seeking; past the end it must fail as a read would.
            var to = base.Seek(offset, loc);
            return to <= Length ? to : throw new EndOfStreamException("the footer ends in the middle of a value");
        }
    }

    /// <summary>
    /// The file as Parquet.Net reads it: a pass-through whose single-byte reads end in an exception at the
    /// end of the file, because Parquet.Net parses page headers byte by byte from this stream and, given -1,
    /// reads 0xFF for ever (a damaged column offset or page length sends it to the end of the file).
    /// </summary>
    internal sealed class EndedFile(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int ReadByte()
        {
            var b = inner.ReadByte();
            return b >= 0 ? b : throw new EndOfStreamException("a page header runs past the end of the file");
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override System.Threading.Tasks.Task<int> ReadAsync(byte[] buffer, int offset, int count, System.Threading.CancellationToken cancellationToken)
            => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override System.Threading.Tasks.ValueTask<int> ReadAsync(Memory<byte> buffer, System.Threading.CancellationToken cancellationToken = default)
            => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
