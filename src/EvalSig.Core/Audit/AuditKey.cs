using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>
/// An HMAC-SHA256 audit key. The secret never leaves this object except into the HMAC: ToString,
/// errors and exports show only <see cref="KeyId"/> (the first 16 hex characters of SHA-256(key)).
/// </summary>
public sealed class AuditKey
{
    public const int MinimumBytes = 32;
    /// <summary>The environment variable holding the key itself, as base64 text (a pipeline secret), not a path.</summary>
    public const string EnvironmentVariable = "EVALSIG_AUDIT_KEY";

    /// <summary>The environment variable holding the path of a key file (as New-AuditKey -Path / `evalsig audit key --output` write).</summary>
    public const string FileEnvironmentVariable = "EVALSIG_AUDIT_KEY_FILE";

    private readonly byte[] _secret;

    private AuditKey(byte[] secret)
    {
        _secret = secret;
        KeyId = Convert.ToHexString(SHA256.HashData(secret)).ToLowerInvariant()[..16];
    }

    public string KeyId { get; }

    /// <summary>A new 256-bit key from the OS's cryptographic generator.</summary>
    public static AuditKey Generate() => new(RandomNumberGenerator.GetBytes(32));

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

        if (bytes.Length < MinimumBytes)
        {
            throw Invalid($"The audit key from {source} has {bytes.Length} bytes; at least {MinimumBytes} are required. Create a key with {Diagnostics.Surface.Say("New-AuditKey", "`evalsig audit key`")}.", source);
        }

        return new AuditKey(bytes);
    }

    public static AuditKey FromFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditKeyMissing, EvalSigErrorKind.ObjectNotFound, $"The audit key file '{path}' does not exist. Create one with {Diagnostics.Surface.Say($"New-AuditKey -Path '{path}'", $"`evalsig audit key --output '{path}'`")}.", path);
        }

        return FromBase64(File.ReadAllText(path, Encoding.UTF8), $"the file '{path}'");
    }

    /// <summary>The key's text form, for New-AuditKey only (a pipeline secret or the key file).</summary>
    public string ExportBase64() => Convert.ToBase64String(_secret);

    /// <summary>"hmac-sha256:" + lowercase hex of HMAC-SHA256(key, data).</summary>
    public string Sign(ReadOnlySpan<byte> data) => HmacPrefix + Convert.ToHexString(HMACSHA256.HashData(_secret, data)).ToLowerInvariant();

    /// <summary>Constant-time check of a stored "hmac-sha256:&lt;hex&gt;" against data.</summary>
    public bool Verify(ReadOnlySpan<byte> data, string stored)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_secret, data, mac);
        Span<byte> expected = stackalloc byte[32];
        if (stored is null || stored.Length != HmacPrefix.Length + 64 || !stored.StartsWith(HmacPrefix, StringComparison.Ordinal)
            || !TryHex(stored.AsSpan(HmacPrefix.Length), expected))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(mac, expected);
    }

    public const string HmacPrefix = "hmac-sha256:";

    /// <summary>A reusable HMAC-SHA256 over this key, for verifying many records without re-keying.</summary>
    internal IncrementalHash CreateHmac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);

    /// <summary>Constant-time check of a computed MAC against a stored "hmac-sha256:&lt;hex&gt;".</summary>
    internal static bool Matches(ReadOnlySpan<byte> mac, string stored)
    {
        Span<byte> expected = stackalloc byte[32];
        return stored is not null && stored.Length == HmacPrefix.Length + 64 && stored.StartsWith(HmacPrefix, StringComparison.Ordinal)
            && TryHex(stored.AsSpan(HmacPrefix.Length), expected) && CryptographicOperations.FixedTimeEquals(mac, expected);
    }

    public override string ToString() => $"AuditKey(key_id={KeyId})";

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

/// <summary>Keys by key_id: the first signs new records, all verify (rotated keys keep verifying).</summary>
public sealed class AuditKeyring
{
    private readonly Dictionary<string, AuditKey> _byId;

    public AuditKeyring(IEnumerable<AuditKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.ToList();
        Keys = list;
        _byId = new Dictionary<string, AuditKey>(StringComparer.Ordinal);
        foreach (var k in list)
        {
            _byId.TryAdd(k.KeyId, k);
        }
    }

    public IReadOnlyList<AuditKey> Keys { get; }

    public AuditKey? Find(string keyId) => keyId is not null && _byId.TryGetValue(keyId, out var k) ? k : null;

    /// <summary>
    /// Keys from explicit base64 texts and key files, else from EVALSIG_AUDIT_KEY. There is no
    /// default key: none found is AuditKeyMissing with instructions.
    /// </summary>
    public static AuditKeyring Resolve(IEnumerable<string>? keyPaths, IEnumerable<string>? base64Keys)
    {
        var keys = new List<AuditKey>();
        foreach (var b in base64Keys ?? Array.Empty<string>())
        {
            keys.Add(AuditKey.FromBase64(b, Diagnostics.Surface.Say("the -Key parameter", "the key text given")));
        }

        foreach (var p in keyPaths ?? Array.Empty<string>())
        {
            keys.Add(AuditKey.FromFile(p));
        }

        var env = Environment.GetEnvironmentVariable(AuditKey.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            // EVALSIG_AUDIT_KEY is the key text; a path there is the common mistake, so say which variable takes a path.
            if (LooksLikePath(env))
            {
                throw new EvalSigException(
                    EvalSigError.AuditKeyInvalid,
                    EvalSigErrorKind.InvalidArgument,
                    $"EVALSIG_AUDIT_KEY holds the key itself as base64 text, but it looks like a path ('{env.Trim()}'). Set EVALSIG_AUDIT_KEY_FILE to the key file's path instead.",
                    AuditKey.EnvironmentVariable);
            }

            AddOnce(keys, AuditKey.FromBase64(env, "the EVALSIG_AUDIT_KEY environment variable"));
        }

        var envFile = Environment.GetEnvironmentVariable(AuditKey.FileEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(envFile))
        {
            AddOnce(keys, AuditKey.FromFile(ExpandHome(envFile.Trim())));
        }

        if (keys.Count == 0)
        {
            throw new EvalSigException(
                EvalSigError.AuditKeyMissing,
                EvalSigErrorKind.InvalidArgument,
                Diagnostics.Surface.Say(
                    "No audit key. EvalSig has no default key: create one with `New-AuditKey -Path ~/.evalsig/audit.key` (or `New-AuditKey -AsBase64` for a pipeline secret) and pass -KeyPath, or set EVALSIG_AUDIT_KEY to the base64 key text (or EVALSIG_AUDIT_KEY_FILE to the key file's path).",
                    "No audit key. EvalSig has no default key: create one with `evalsig audit key --output ~/.evalsig/audit.key` and pass --key-path, or set EVALSIG_AUDIT_KEY to the base64 key text (or EVALSIG_AUDIT_KEY_FILE to the key file's path)."));
        }

        return new AuditKeyring(keys);
    }

    private static void AddOnce(List<AuditKey> keys, AuditKey key)
    {
        if (!keys.Any(k => k.KeyId == key.KeyId))
        {
            keys.Add(key);
        }
    }

    /// <summary>Base64 never contains '\\', '.', '~' or starts with '/' followed by a path; a 32-byte key is 44 characters.</summary>
    private static bool LooksLikePath(string text)
    {
        var t = text.Trim();
        return t.StartsWith('~') || t.StartsWith("./", StringComparison.Ordinal) || t.Contains('\\') || t.Contains('.') || (t.StartsWith('/') && File.Exists(t)) || (t.Length > 1 && t[1] == ':');
    }

    private static string ExpandHome(string path)
        => path.StartsWith("~/", StringComparison.Ordinal) || path == "~"
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : string.Empty)
            : Path.GetFullPath(path);
}
