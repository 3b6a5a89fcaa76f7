using System;
using System.Security.Cryptography;

namespace EvalSig.Core.Audit;

/// <summary>RFC 9562 UUID version 7: 48-bit Unix milliseconds, then random bits; sorts by time.</summary>
internal static class Uuid7
{
    public static string New(DateTimeOffset now)
    {
        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b[6..]);
        var ms = now.ToUnixTimeMilliseconds();
        b[0] = (byte)(ms >> 40);
        b[1] = (byte)(ms >> 32);
        b[2] = (byte)(ms >> 24);
        b[3] = (byte)(ms >> 16);
        b[4] = (byte)(ms >> 8);
        b[5] = (byte)ms;
        b[6] = (byte)(0x70 | (b[6] & 0x0F));
        b[8] = (byte)(0x80 | (b[8] & 0x3F));
        var hex = Convert.ToHexString(b).ToLowerInvariant();
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
