using System;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace EvalSig.Bridge;

/// <summary>
/// Ed25519 (RFC 8032, pure, no context) from BouncyCastle.Cryptography, behind base-library
/// signatures: net8.0's base library has no Ed25519. Keys are the 32-byte RFC 8032 seed and public
/// key; signatures are 64 bytes. Deterministic: the same seed and message give the same signature.
/// </summary>
public static class Ed25519Signature
{
    public const int SeedSize = 32;
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    /// <summary>The public key of a 32-byte seed (the RFC 8032 private key).</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> seed)
    {
        Check(seed.Length == SeedSize, "an Ed25519 seed is 32 bytes");
        var pk = new byte[PublicKeySize];
        Ed25519.GeneratePublicKey(seed, pk);
        return pk;
    }

    /// <summary>Signs a message with a seed and its public key (given, so it is not derived again).</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        Check(seed.Length == SeedSize, "an Ed25519 seed is 32 bytes");
        Check(publicKey.Length == PublicKeySize, "an Ed25519 public key is 32 bytes");
        var sig = new byte[SignatureSize];
        Ed25519.Sign(seed, publicKey, message, sig);
        return sig;
    }

    /// <summary>False for a wrong signature, and for a key or signature of the wrong length.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
        => publicKey.Length == PublicKeySize && signature.Length == SignatureSize && Ed25519.Verify(signature, publicKey, message);

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new ArgumentException(what);
        }
    }
}
