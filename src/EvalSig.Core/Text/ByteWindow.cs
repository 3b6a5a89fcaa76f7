using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace EvalSig.Core.Text;

/// <summary>
/// A pooled window over a stream's bytes for readers that parse a unit (a line, a CSV record) in
/// place: the unit starts at <see cref="Start"/>; when it runs past <see cref="End"/> the reader calls
/// <see cref="Refill"/>, which moves the unit to the front (or doubles the window when the unit fills
/// it) and reads more, then parses the unit again. No string or copy per unit (issue 16).
/// </summary>
internal sealed class ByteWindow : IDisposable
{
    private readonly Stream _stream;

    public ByteWindow(Stream stream, int size = 1 << 18)
    {
        _stream = stream;
        Buffer = ArrayPool<byte>.Shared.Rent(size);
        Fill();

        // A UTF-8 byte order mark is not text (StreamReader drops it too).
        if (End >= 3 && Buffer[0] == 0xEF && Buffer[1] == 0xBB && Buffer[2] == 0xBF)
        {
            Start = 3;
        }
    }

    public byte[] Buffer { get; private set; }

    /// <summary>Where the unit being parsed starts.</summary>
    public int Start { get; set; }

    /// <summary>End of the bytes read so far.</summary>
    public int End { get; private set; }

    /// <summary>True once the stream has no more bytes: what lies in the window is all there is.</summary>
    public bool Eof { get; private set; }

    /// <summary>The file offset of <see cref="Buffer"/>[0].</summary>
    public long Offset { get; private set; }

    public ReadOnlySpan<byte> Rest => Buffer.AsSpan(Start, End - Start);

    /// <summary>Makes room behind the unread bytes and reads more; false at the end of the stream.</summary>
    public bool Refill()
    {
        if (Eof)
        {
            return false;
        }

        var remaining = End - Start;
        if (Start == 0 && remaining == Buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(checked(Buffer.Length * 2));
            System.Buffer.BlockCopy(Buffer, 0, bigger, 0, remaining);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = bigger;
        }
        else if (Start > 0)
        {
            System.Buffer.BlockCopy(Buffer, Start, Buffer, 0, remaining);
            Offset += Start;
            End = remaining;
            Start = 0;
        }

        return Fill() > 0 || !Eof;
    }

    private int Fill()
    {
        var total = 0;
        while (End < Buffer.Length)
        {
            var n = _stream.Read(Buffer, End, Buffer.Length - End);
            if (n == 0)
            {
                Eof = true;
                break;
            }

            End += n;
            total += n;
        }

        return total;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = Array.Empty<byte>();
    }
}

/// <summary>Text that is not valid UTF-8, with where it is: the reader turns it into a RunFrame problem.</summary>
internal sealed class InvalidUtf8Exception : Exception
{
    public InvalidUtf8Exception(long line, long byteInLine, string bytes)
        : base($"the text is not valid UTF-8 (bytes {bytes}); save the file as UTF-8")
    {
        Line = line;
        ByteInLine = byteInLine;
    }

    public InvalidUtf8Exception()
    {
    }

    public InvalidUtf8Exception(string message)
        : base(message)
    {
    }

    public InvalidUtf8Exception(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>1-based line of the first invalid byte.</summary>
    public long Line { get; }

    /// <summary>1-based byte of that line.</summary>
    public long ByteInLine { get; }

    /// <summary>
    /// Throws when <paramref name="text"/> (which starts on line <paramref name="firstLine"/>) is not
    /// valid UTF-8, naming the line and byte of the first bad sequence as the decoder would see it.
    /// </summary>
    public static void ThrowIfInvalid(ReadOnlySpan<byte> text, long firstLine)
    {
        if (System.Text.Unicode.Utf8.IsValid(text))
        {
            return;
        }

        var at = 0;
        while (at < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[at..], out _, out var consumed) != OperationStatus.Done)
            {
                var before = text[..at];
                var lineStart = before.LastIndexOf((byte)'\n') + 1;
                var bad = string.Join(" ", text.Slice(at, consumed).ToArray().Select(x => x.ToString("X2", CultureInfo.InvariantCulture)));
                throw new InvalidUtf8Exception(firstLine + before.Count((byte)'\n'), at - lineStart + 1, bad);
            }

            at += consumed;
        }
    }
}
