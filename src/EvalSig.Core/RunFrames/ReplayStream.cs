using System;
using System.IO;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// A read-only, forward-only stream that returns bytes already read (to detect the format) and then
/// the rest of the underlying stream, so a pipe or standard input never has to seek.
/// </summary>
internal sealed class ReplayStream : Stream
{
    private readonly byte[] _head;
    private readonly int _headLength;
    private readonly Stream _rest;
    private int _headPosition;
    private long _position;

    public ReplayStream(byte[] head, int headLength, Stream rest)
    {
        _head = head;
        _headLength = headLength;
        _rest = rest;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (_headPosition < _headLength)
        {
            n = Math.Min(buffer.Length, _headLength - _headPosition);
            _head.AsSpan(_headPosition, n).CopyTo(buffer);
            _headPosition += n;
        }
        else
        {
            n = _rest.Read(buffer);
        }

        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
