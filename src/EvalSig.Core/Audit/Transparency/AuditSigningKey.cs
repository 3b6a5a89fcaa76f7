using System;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// A log's Ed25519 signing key, in the signed-note signer form
/// <c>PRIVATE+KEY+&lt;name&gt;+&lt;hex key id&gt;+&lt;base64(0x01 || 32-byte seed)&gt;</c> (the form of
/// golang.org/x/mod/sumdb/note, so other tools read it). It signs tree heads only; it never MACs
/// records, and the HMAC key never signs heads. The seed never leaves this object except into a
/// signature or the key file: ToString and errors show the name and key id.
/// </summary>
public sealed class AuditSigningKey
{
    public const string EnvironmentVariable = "EVALSIG_SIGNING_KEY";
    private const string Prefix = "PRIVATE+KEY+";

    private readonly byte[] _seed;

    private AuditSigningKey(string name, byte[] seed)
    {
        _seed = seed;
        VerifierKey = new AuditVerifierKey(name, Bridge.Ed25519Signature.PublicKey(seed));
    }

    public string Name => VerifierKey.Name;

    public string KeyId => VerifierKey.KeyId;

    /// <summary>The public key, for auditors.</summary>
    public AuditVerifierKey VerifierKey { get; }

    /// <summary>A new key from the OS's cryptographic generator; the name defaults to evalsig/&lt;8 hex digits of the public key's SHA-256&gt;.</summary>
    public static AuditSigningKey Generate(string? name)
    {
        var seed = RandomNumberGenerator.GetBytes(Bridge.Ed25519Signature.SeedSize);
        if (string.IsNullOrEmpty(name))
        {
            var pub = Bridge.Ed25519Signature.PublicKey(seed);
            name = "evalsig/" + Convert.ToHexString(SHA256.HashData(pub))[..8].ToLowerInvariant();
        }

        if (!AuditVerifierKey.IsValidName(name))
        {
            throw new EvalSigException(EvalSigError.AuditSigningKeyInvalid, EvalSigErrorKind.InvalidArgument, $"'{name}' cannot name a log: a name is non-empty and holds no space, no '+' and no control character (a schema-less URL such as example.com/audit is recommended).", name);
        }

        return new AuditSigningKey(name, seed);
    }

    /// <summary>Parses the signer form; the text is never echoed in errors.</summary>
    public static AuditSigningKey Parse(string text, string source)
    {
        var t = (text ?? string.Empty).Trim();
        if (!t.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw Invalid(source, "does not start with PRIVATE+KEY+");
        }

        var (name, rest) = AuditVerifierKey.Chop(t[Prefix.Length..]);
        var (hash16, key64) = AuditVerifierKey.Chop(rest);
        if (hash16.Length != 8 || !uint.TryParse(hash16, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !AuditVerifierKey.IsValidName(name) || !AuditVerifierKey.TryBase64(key64, out var key)
            || key.Length != 1 + Bridge.Ed25519Signature.SeedSize || key[0] != AuditVerifierKey.Ed25519Type)
        {
            throw Invalid(source, "is not of the form PRIVATE+KEY+<name>+<8 hex digits>+<base64 of 0x01 and a 32-byte Ed25519 seed>");
        }

        var k = new AuditSigningKey(name, key[1..]);
        if (k.VerifierKey.KeyHash != hash)
        {
            throw Invalid(source, "names a key id that does not match its name and key");
        }

        return k;
    }

    public static AuditSigningKey FromFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditSigningKeyMissing, EvalSigErrorKind.ObjectNotFound, $"The signing key file '{path}' does not exist. Create one with New-AuditKey -Type Ed25519 -Path '{path}'.", path);
        }

        return Parse(File.ReadAllText(path, Encoding.UTF8), $"the file '{path}'");
    }

    /// <summary>The key file given, else $EVALSIG_SIGNING_KEY; neither is AuditSigningKeyMissing.</summary>
    public static AuditSigningKey Resolve(string? path)
    {
        if (path is not null)
        {
            return FromFile(path);
        }

        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Parse(env, "the EVALSIG_SIGNING_KEY environment variable");
        }

        throw new EvalSigException(
            EvalSigError.AuditSigningKeyMissing,
            EvalSigErrorKind.InvalidArgument,
            "No signing key for the tree head. Create one with `New-AuditKey -Type Ed25519 -Path log.key` (or `evalsig audit key --type ed25519 --output log.key`), give it with -SigningKeyPath, or set EVALSIG_SIGNING_KEY to the key file's content. Give auditors the .pub file.");
    }

    /// <summary>The signer form, for the key file only.</summary>
    public string ExportText() => $"{Prefix}{Name}+{KeyId}+{Convert.ToBase64String([AuditVerifierKey.Ed25519Type, .. _seed])}";

    public override string ToString() => $"AuditSigningKey(name={Name}, key_id={KeyId})";

    internal byte[] Sign(ReadOnlySpan<byte> message) => Bridge.Ed25519Signature.Sign(_seed, VerifierKey.PublicKey, message);

    private static EvalSigException Invalid(string source, string what) => new(EvalSigError.AuditSigningKeyInvalid, EvalSigErrorKind.InvalidArgument, $"The signing key from {source} {what}. Create one with New-AuditKey -Type Ed25519.", source);
}

/// <summary>A new signing key's identity and where its two files are; never its secret.</summary>
public sealed record AuditSigningKeyInfo(string Name, string KeyId, string VerifierKey, string Path, string PublicKeyPath);

/// <summary>Signing key files: the secret readable by the owner only, the public key beside it as &lt;path&gt;.pub.</summary>
public static class AuditSigningKeyFile
{
    public static AuditSigningKeyInfo Create(string path, string? name, bool force)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var pub = full + ".pub";
        var key = AuditSigningKey.Generate(name);
        OwnerOnlyFile.Write(full, Encoding.ASCII.GetBytes(key.ExportText() + "\n"), force);
        File.WriteAllText(pub, key.VerifierKey + "\n", new UTF8Encoding(false));
        return new AuditSigningKeyInfo(key.Name, key.KeyId, key.VerifierKey.ToString(), full, pub);
    }
}

/// <summary>The two kinds of audit key: the HMAC key writers MAC records with, and the Ed25519 key that signs tree heads.</summary>
public enum AuditKeyType
{
    Hmac,
    Ed25519,
}
