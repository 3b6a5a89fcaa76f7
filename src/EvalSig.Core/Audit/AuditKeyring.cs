using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// Keys by key_id. The first active key signs; every key verifies the records it signed - a
/// verify-only (rotated-out) key only those from before its retirement. A key that appears twice
/// (say, an old key file and the keyring that retired it) keeps its most restrictive status.
/// </summary>
public sealed class AuditKeyring
{
    private readonly Dictionary<string, AuditKey> _byId;

    public AuditKeyring(IEnumerable<AuditKey> keys)
        : this(keys, Array.Empty<string>())
    {
    }

    internal AuditKeyring(IEnumerable<AuditKey> keys, IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = new List<AuditKey>();
        _byId = new Dictionary<string, AuditKey>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            if (_byId.TryGetValue(k.KeyId, out var seen))
            {
                if (k.Status == AuditKeyStatus.VerifyOnly && seen.Status == AuditKeyStatus.Active)
                {
                    _byId[k.KeyId] = k;
                    list[list.IndexOf(seen)] = k;
                }

                continue;
            }

            _byId.Add(k.KeyId, k);
            list.Add(k);
        }

        Keys = list;
        Warnings = warnings;
    }

    public IReadOnlyList<AuditKey> Keys { get; }

    /// <summary>Problems worth a warning that did not stop the command (a key file others can read, when only verifying).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public AuditKey? Find(string keyId) => keyId is not null && _byId.TryGetValue(keyId, out var k) ? k : null;

    /// <summary>The key that signs: the first active one. Only verify-only keys is AuditKeyRetired.</summary>
    public AuditKey SigningKey
    {
        get
        {
            var active = Keys.FirstOrDefault(k => k.Status == AuditKeyStatus.Active);
            if (active is not null)
            {
                return active;
            }

            var k = Keys[0];
            throw new EvalSigException(
                EvalSigError.AuditKeyRetired,
                EvalSigErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The key {k.KeyId} from {k.Source} is verify-only: it was rotated out{(k.RetiredAt is { } at ? " on " + IsoTime.Format(at) : string.Empty)}{(k.ReplacedByKeyId is { } by ? " and replaced by key " + by : string.Empty)}, so it may verify old records but never sign new ones. Sign with the current key (the keyring file that rotated it holds it)."),
                k.Source);
        }
    }

    /// <summary>
    /// Keys from explicit base64 texts and key files; only when none is given, from
    /// EVALSIG_AUDIT_KEY (an explicit key replaces the environment's, never joins it). There is no
    /// default key: none found is AuditKeyMissing with instructions. For signing, a key file that
    /// group or others can read is refused (AuditKeyInsecure); for verifying, it is a warning.
    /// </summary>
    public static AuditKeyring Resolve(IEnumerable<string>? keyPaths, IEnumerable<string>? base64Keys, bool forSigning = false)
        => TryResolve(keyPaths, base64Keys, forSigning) ?? throw new EvalSigException(
            EvalSigError.AuditKeyMissing,
            EvalSigErrorKind.InvalidArgument,
            Diagnostics.Surface.Say(
                "No audit key. EvalSig has no default key: create one with `New-AuditKey -Path ~/.evalsig/audit.key` (or `New-AuditKey -AsBase64` for a pipeline secret) and pass -KeyPath, or set EVALSIG_AUDIT_KEY to the base64 key text (or EVALSIG_AUDIT_KEY_FILE to the key file's path).",
                "No audit key. EvalSig has no default key: create one with `evalsig audit key --output ~/.evalsig/audit.key` and pass --key-path, or set EVALSIG_AUDIT_KEY to the base64 key text (or EVALSIG_AUDIT_KEY_FILE to the key file's path)."));

    /// <summary>As <see cref="Resolve"/>, but null when no key is given anywhere (readers that work without a key).</summary>
    public static AuditKeyring? TryResolve(IEnumerable<string>? keyPaths, IEnumerable<string>? base64Keys, bool forSigning = false)
    {
        var keys = new List<AuditKey>();
        var warnings = new List<string>();
        foreach (var b in base64Keys ?? Array.Empty<string>())
        {
            keys.Add(AuditKey.FromBase64(b, Diagnostics.Surface.Say("the -Key parameter", "the key text given")));
        }

        foreach (var p in keyPaths ?? Array.Empty<string>())
        {
            keys.AddRange(AuditKeyFile.Load(p, forSigning, warnings));
        }

        if (keys.Count == 0)
        {
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

                keys.Add(AuditKey.FromBase64(env, "the EVALSIG_AUDIT_KEY environment variable"));
            }

            var envFile = Environment.GetEnvironmentVariable(AuditKey.FileEnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(envFile))
            {
                foreach (var k in AuditKeyFile.Load(ExpandHome(envFile.Trim()), forSigning, warnings))
                {
                    if (!keys.Any(x => x.KeyId == k.KeyId))
                    {
                        keys.Add(k);
                    }
                }
            }
        }

        return keys.Count == 0 ? null : new AuditKeyring(keys, warnings);
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
