using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>Whether a key may sign new records, or only verify old ones.</summary>
public enum AuditKeyStatus
{
    /// <summary>Signs new records and verifies.</summary>
    Active,

    /// <summary>Rotated out: verifies the records it signed before its retirement, never signs again.</summary>
    VerifyOnly,
}

/// <summary>
/// What a MAC is for. Each purpose has its own key, derived from the audit key with HKDF, so that a
/// MAC made for one purpose never verifies as another (a free-form signature cannot pass for a
/// ledger record or a checkpoint).
/// </summary>
internal enum KeyPurpose
{
    LedgerRecord,
    Checkpoint,
    Envelope,
    Signature,
    Index,
}

/// <summary>
/// An HMAC-SHA256 audit key. The secret never leaves this object except into HKDF and the HMAC:
/// ToString, errors and exports show only <see cref="KeyId"/> (the first 16 hex characters of
/// SHA-256(key)). Nothing is MAC'd with the key itself: every purpose uses its own derived key
/// (HKDF-SHA256, RFC 5869, with the info label "evalsig/audit/v2/&lt;purpose&gt;"). Only the
/// verification of format-1 records, written before keys were derived, uses the undivided key.
/// </summary>
public sealed class AuditKey
{
    public const int MinimumBytes = 32;

    /// <summary>A key with fewer distinct byte values is not random (all zeros, a repeated byte); a random 32-byte key has about 30.</summary>
    public const int MinimumDistinctBytes = 8;

    /// <summary>The environment variable holding the key itself, as base64 text (a pipeline secret), not a path.</summary>
    public const string EnvironmentVariable = "EVALSIG_AUDIT_KEY";

    /// <summary>The environment variable holding the path of a key file (as New-AuditKey -Path / `evalsig audit key --output` write).</summary>
    public const string FileEnvironmentVariable = "EVALSIG_AUDIT_KEY_FILE";

    public const string HmacPrefix = "hmac-sha256:";

    private static readonly string[] Labels = { "ledger-record", "checkpoint", "envelope", "signature", "index" };

    private readonly byte[] _secret;
    private readonly byte[]?[] _derived;

    private AuditKey(byte[] secret, string source, AuditKeyStatus status, DateTimeOffset? createdAt, DateTimeOffset? retiredAt, string? replacedBy, byte[]?[]? derived, string? keyId)
    {
        _secret = secret;
        _derived = derived ?? new byte[Labels.Length][];
        Source = source;
        Status = status;
        CreatedAt = createdAt;
        RetiredAt = retiredAt;
        ReplacedByKeyId = replacedBy;
        KeyId = keyId ?? Convert.ToHexString(SHA256.HashData(secret)).ToLowerInvariant()[..16];
    }

    public string KeyId { get; }

    public AuditKeyStatus Status { get; }

    public DateTimeOffset? CreatedAt { get; }

    /// <summary>When a verify-only key was rotated out; records it signs after this are not accepted.</summary>
    public DateTimeOffset? RetiredAt { get; }

    /// <summary>The key that replaced this one; records it signs after the chain has used its successor are not accepted.</summary>
    public string? ReplacedByKeyId { get; }

    /// <summary>Where the key came from, for messages (never the key).</summary>
    public string Source { get; }

    /// <summary>A new 256-bit key from the OS's cryptographic generator.</summary>
    public static AuditKey Generate() => new(RandomNumberGenerator.GetBytes(32), "a new key", AuditKeyStatus.Active, DateTimeOffset.UtcNow, null, null, null, null);

    /// <summary>From base64 text (the form of EVALSIG_AUDIT_KEY and key files). The text is never echoed.</summary>
    public static AuditKey FromBase64(string text, string source)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String((text ?? string.Empty).Trim());
        }
        catch (FormatException)
        {
            throw Invalid($"The audit key from {source} is not valid base64. Create a key with {Diagnostics.Surface.Say("New-AuditKey", "`evalsig audit key`")}.", source);
        }

        return FromBytes(bytes, source);
    }

    /// <summary>Refuses short and non-random keys by name: a weak key makes every MAC forgeable.</summary>
    internal static AuditKey FromBytes(byte[] bytes, string source, AuditKeyStatus status = AuditKeyStatus.Active, DateTimeOffset? createdAt = null, DateTimeOffset? retiredAt = null, string? replacedBy = null)
    {
        if (bytes.Length < MinimumBytes)
        {
            throw Invalid($"The audit key from {source} has {bytes.Length} bytes ({bytes.Length * 8} bits); at least {MinimumBytes} ({MinimumBytes * 8} bits) are required. Create a key with {Diagnostics.Surface.Say("New-AuditKey", "`evalsig audit key`")}.", source);
        }

        Span<bool> seen = stackalloc bool[256];
        var distinct = 0;
        foreach (var b in bytes)
        {
            if (!seen[b])
            {
                seen[b] = true;
                distinct++;
            }
        }

        if (distinct < MinimumDistinctBytes)
        {
            throw Invalid($"The audit key from {source} is not random ({(distinct == 1 ? "every byte is the same" : $"only {distinct} distinct byte values")}), so anyone could guess it. Create a key with New-AuditKey.", source);
        }

        return new AuditKey(bytes, source, status, createdAt, retiredAt, replacedBy, null, null);
    }

    /// <summary>The same secret with another status (rotation), sharing the derived keys.</summary>
    internal AuditKey With(AuditKeyStatus status, DateTimeOffset? retiredAt, string? replacedBy, string? source = null)
        => new(_secret, source ?? Source, status, CreatedAt, retiredAt, replacedBy, _derived, KeyId);

    /// <summary>The key's text form, for New-AuditKey and key files only.</summary>
    public string ExportBase64() => Convert.ToBase64String(_secret);

    /// <summary>"hmac-sha256:" + lowercase hex of HMAC-SHA256(derived key for the purpose, data).</summary>
    internal string Sign(KeyPurpose purpose, ReadOnlySpan<byte> data) => HmacPrefix + Convert.ToHexString(HMACSHA256.HashData(Derived(purpose), data)).ToLowerInvariant();

    /// <summary>Constant-time check of a stored "hmac-sha256:&lt;hex&gt;" against data, under the purpose's key.</summary>
    internal bool Verify(KeyPurpose purpose, ReadOnlySpan<byte> data, string? stored)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Derived(purpose), data, mac);
        return Matches(mac, stored);
    }

    /// <summary>Raw 32-byte MAC under the purpose's key (the index stores MACs as blobs).</summary>
    internal void Mac(KeyPurpose purpose, ReadOnlySpan<byte> data, Span<byte> mac) => HMACSHA256.HashData(Derived(purpose), data, mac);

    /// <summary>A reusable HMAC-SHA256 under the purpose's key, for many records without re-keying.</summary>
    internal IncrementalHash CreateHmac(KeyPurpose purpose) => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Derived(purpose));

    /// <summary>Format-1 records (before key derivation) were MAC'd with the undivided key: for verifying those only.</summary>
    internal IncrementalHash CreateLegacyHmac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);

    /// <summary>Format-1 check of a stored MAC under the undivided key.</summary>
    internal bool VerifyLegacy(ReadOnlySpan<byte> data, string? stored)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, data, mac);
        return Matches(mac, stored);
    }

    /// <summary>Constant-time check of a computed MAC against a stored "hmac-sha256:&lt;hex&gt;".</summary>
    internal static bool Matches(ReadOnlySpan<byte> mac, string? stored)
    {
        Span<byte> expected = stackalloc byte[32];
        return stored is not null && stored.Length == HmacPrefix.Length + 64 && stored.StartsWith(HmacPrefix, StringComparison.Ordinal)
            && TryHex(stored.AsSpan(HmacPrefix.Length), expected) && CryptographicOperations.FixedTimeEquals(mac, expected);
    }

    /// <summary>
    /// The same check against the stored value's UTF-8 bytes, as a canonical line holds them: the
    /// MAC written as "hmac-sha256:" and lower-case hex, compared in constant time (the stored form
    /// decodes to the MAC exactly when it is this text).
    /// </summary>
    internal static bool Matches(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> storedUtf8)
    {
        var prefix = "hmac-sha256:"u8;
        if (storedUtf8.Length != prefix.Length + (2 * mac.Length) || !storedUtf8.StartsWith(prefix))
        {
            return false;
        }

        var digits = "0123456789abcdef"u8;
        Span<byte> hex = stackalloc byte[2 * mac.Length];
        for (var i = 0; i < mac.Length; i++)
        {
            hex[2 * i] = digits[mac[i] >> 4];
            hex[(2 * i) + 1] = digits[mac[i] & 0xF];
        }

        return CryptographicOperations.FixedTimeEquals(hex, storedUtf8[prefix.Length..]);
    }

    public override string ToString() => $"AuditKey(key_id={KeyId}{(Status == AuditKeyStatus.VerifyOnly ? ", verify-only" : string.Empty)})";

    /// <summary>The HKDF label of a purpose (documented in docs/concepts/audit-chain.md).</summary>
    internal static string Label(KeyPurpose purpose) => "evalsig/audit/v2/" + Labels[(int)purpose];

    private byte[] Derived(KeyPurpose purpose)
    {
        var i = (int)purpose;
        var k = Volatile.Read(ref _derived[i]);
        if (k is null)
        {
            // HKDF-SHA256 (RFC 5869): no salt (HashLen zero bytes), info = the purpose label.
            k = HKDF.DeriveKey(HashAlgorithmName.SHA256, _secret, 32, Array.Empty<byte>(), Encoding.ASCII.GetBytes(Label(purpose)));
            k = Interlocked.CompareExchange(ref _derived[i], k, null) ?? k;
        }

        return k;
    }

    private static bool TryHex(ReadOnlySpan<char> hex, Span<byte> into)
    {
        for (var i = 0; i < into.Length; i++)
        {
            var hi = Nibble(hex[2 * i]);
            var lo = Nibble(hex[(2 * i) + 1]);
            if (hi < 0 || lo < 0)
            {
                return false;
            }

            into[i] = (byte)((hi << 4) | lo);
        }

        return true;
    }

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    private static EvalSigException Invalid(string message, string source) => new(EvalSigError.AuditKeyInvalid, EvalSigErrorKind.InvalidArgument, message, source);
}
