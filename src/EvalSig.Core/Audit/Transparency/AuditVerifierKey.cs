using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// The public half of a log's Ed25519 key, in the C2SP signed-note verifier form
/// <c>&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || public key)&gt;</c>. This is all an outside
/// auditor needs: it verifies signed tree heads and can sign nothing.
/// </summary>
public sealed class AuditVerifierKey
{
    /// <summary>The signature type byte of Ed25519 in c2sp.org/signed-note.</summary>
    internal const byte Ed25519Type = 0x01;

    private readonly byte[] _publicKey;

    internal AuditVerifierKey(string name, byte[] publicKey)
    {
        Name = name;
        _publicKey = publicKey;
        KeyHash = ComputeKeyHash(name, publicKey);
    }

    /// <summary>The key name, which is also the origin line of the log's tree heads.</summary>
    public string Name { get; }

    /// <summary>The key id: 8 hex digits of SHA-256(name || 0x0A || 0x01 || public key)[:4].</summary>
    public string KeyId => KeyHash.ToString("x8", CultureInfo.InvariantCulture);

    internal uint KeyHash { get; }

    internal ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Parses a verifier key; any malformed, mis-hashed or non-Ed25519 key is AuditVerifierKeyInvalid.</summary>
    public static AuditVerifierKey Parse(string text)
    {
        var t = (text ?? string.Empty).Trim();
        var (name, rest) = Chop(t);
        var (hash16, key64) = Chop(rest);
        byte[]? key = null;
        if (hash16.Length != 8 || !uint.TryParse(hash16, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !IsValidName(name) || !TryBase64(key64, out key) || key.Length != 1 + Bridge.Ed25519Signature.PublicKeySize || key[0] != Ed25519Type)
        {
            throw Invalid("is not a verifier key of the form <name>+<8 hex digits>+<base64 of 0x01 and a 32-byte Ed25519 public key>");
        }

        var vk = new AuditVerifierKey(name, key[1..]);
        if (vk.KeyHash != hash)
        {
            throw Invalid($"names key id {hash16}, but its name and public key hash to {vk.KeyId}");
        }

        return vk;
    }

    /// <summary>A verifier key given as its text or as the path of a file holding it (New-AuditKey writes &lt;key&gt;.pub).</summary>
    public static AuditVerifierKey Resolve(string textOrPath)
    {
        ArgumentNullException.ThrowIfNull(textOrPath);
        if (File.Exists(textOrPath))
        {
            return Parse(File.ReadAllText(textOrPath, Encoding.UTF8));
        }

        if (!textOrPath.Contains('+', StringComparison.Ordinal))
        {
            throw new EvalSigException(EvalSigError.AuditVerifierKeyInvalid, EvalSigErrorKind.ObjectNotFound, $"'{textOrPath}' is neither a file nor a verifier key (<name>+<key id>+<key>, as in the .pub file New-AuditKey -Type Ed25519 writes).", textOrPath);
        }

        return Parse(textOrPath);
    }

    /// <summary>The verifier key text.</summary>
    public override string ToString()
    {
        var key = new byte[1 + _publicKey.Length];
        key[0] = Ed25519Type;
        _publicKey.CopyTo(key, 1);
        return $"{Name}+{KeyId}+{Convert.ToBase64String(key)}";
    }

    internal bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Bridge.Ed25519Signature.Verify(_publicKey, message, signature);

    /// <summary>c2sp.org/signed-note: key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], big-endian.</summary>
    internal static uint ComputeKeyHash(string name, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = Ed25519Type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>Key names are non-empty and hold no Unicode space, no '+' and no control character.</summary>
    internal static bool IsValidName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++; // a character outside the BMP: never a space
                continue;
            }

            if (char.IsSurrogate(c) || char.IsWhiteSpace(c) || c == '+' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The text before the first '+' and the rest (empty when there is no '+').</summary>
    internal static (string Head, string Tail) Chop(string s)
    {
        var i = s.IndexOf('+', StringComparison.Ordinal);
        return i < 0 ? (s, string.Empty) : (s[..i], s[(i + 1)..]);
    }

    /// <summary>Standard base64 (RFC 4648 §4) only: no white space, which .NET would otherwise skip.</summary>
    internal static bool TryBase64(string s, out byte[] bytes)
    {
        bytes = Array.Empty<byte>();
        if (s.Length == 0 || s.Length % 4 != 0)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' or '='))
            {
                return false;
            }
        }

        var buffer = new byte[s.Length / 4 * 3];
        if (!Convert.TryFromBase64String(s, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }

    private static EvalSigException Invalid(string what) => new(EvalSigError.AuditVerifierKeyInvalid, EvalSigErrorKind.InvalidArgument, "The public key " + what + ". Use the .pub file New-AuditKey -Type Ed25519 wrote (or `evalsig audit key --type ed25519`).");
}
