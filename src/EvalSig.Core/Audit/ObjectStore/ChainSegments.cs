using System;
using System.Collections.Generic;
using System.Globalization;

namespace EvalSig.Core.Audit;

/// <summary>
/// The object layout of a ledger in object storage: each append is one object
/// <c>{prefix}/chain/{first position, 20 digits}.jsonl</c> holding the batch's records as canonical
/// JSON lines. The name carries the first position only - never the length - so two writers that
/// continue the same head race for the same name, and the service lets exactly one create it.
/// </summary>
internal static class ChainSegments
{
    public const string Folder = "chain/";
    public const string Extension = ".jsonl";
    private const int Digits = 20;

    public static string Prefix(string keyRoot) => keyRoot + Folder;

    public static string Name(string keyRoot, long first) => keyRoot + Folder + first.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The first position a segment name stands for; false for any other object name.</summary>
    public static bool TryParse(string name, string chainPrefix, out long first)
    {
        first = -1;
        if (!name.StartsWith(chainPrefix, StringComparison.Ordinal) || name.Length != chainPrefix.Length + Digits + Extension.Length
            || !name.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        return long.TryParse(name.AsSpan(chainPrefix.Length, Digits), NumberStyles.None, CultureInfo.InvariantCulture, out first);
    }

    /// <summary>The lines of a segment (without their newlines), as slices of its bytes.</summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Lines(byte[] bytes)
    {
        var start = 0;
        while (start < bytes.Length)
        {
            var nl = Array.IndexOf(bytes, (byte)'\n', start);
            var end = nl < 0 ? bytes.Length : nl;
            yield return new ReadOnlyMemory<byte>(bytes, start, end - start);
            start = end + 1;
        }
    }
}

/// <summary>The newest segment a writer knows: its name, first and last positions and last HMAC.</summary>
internal sealed record SegmentHead(string? Name, long First, long Last, string? LastHmac)
{
    public static SegmentHead Empty { get; } = new(null, -1, -1, null);

    public long Next => Last + 1;
}
