using System;
using System.Globalization;
using System.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Which text encoding a file's first bytes announce. RunFrame text is UTF-8; UTF-16 and UTF-32
/// with a byte order mark are read through a transcoder (what Excel's "Unicode text" and
/// PowerShell 5's Out-File write), and the same without a mark are refused by name.
/// </summary>
internal static class TextEncodings
{
    /// <summary>The encoding a byte order mark other than UTF-8's announces, with the mark's length; null for none.</summary>
    public static (int Length, Encoding Encoding, string Name)? FromByteOrderMark(ReadOnlySpan<byte> head)
    {
        // UTF-32 LE (FF FE 00 00) before UTF-16 LE (FF FE), which is its prefix.
        if (head.StartsWith(new byte[] { 0xFF, 0xFE, 0, 0 }))
        {
            return (4, new UTF32Encoding(false, false, true), "UTF-32 LE");
        }

        if (head.StartsWith(new byte[] { 0, 0, 0xFE, 0xFF }))
        {
            return (4, new UTF32Encoding(true, false, true), "UTF-32 BE");
        }

        if (head.StartsWith(new byte[] { 0xFF, 0xFE }))
        {
            return (2, new UnicodeEncoding(false, false, true), "UTF-16 LE");
        }

        if (head.StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            return (2, new UnicodeEncoding(true, false, true), "UTF-16 BE");
        }

        return null;
    }

    /// <summary>Why text with NUL bytes cannot be read, and the first one's offset; null when there is none.</summary>
    public static (string Reason, long Byte)? Unmarked(ReadOnlySpan<byte> head)
    {
        var nul = head.IndexOf((byte)0);
        if (nul < 0)
        {
            return null;
        }

        var guess = nul switch
        {
            _ when head.Length >= 4 && head[0] != 0 && head[1] == 0 && head[2] == 0 && head[3] == 0 => "UTF-32 LE text",
            _ when head.Length >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0 && head[3] != 0 => "UTF-32 BE text",
            _ when head.Length >= 2 && head[0] != 0 && head[1] == 0 => "UTF-16 LE text",
            _ when head.Length >= 2 && head[0] == 0 && head[1] != 0 => "UTF-16 BE text",
            _ => "a binary file",
        };
        return (string.Create(CultureInfo.InvariantCulture, $"the file holds NUL bytes (the first at byte {nul + 1}): it looks like {guess} without a byte order mark; EvalSig reads UTF-8, or UTF-16/32 that starts with a byte order mark, so save it as UTF-8"), nul);
    }
}
