using System;
using System.Collections.Generic;
using System.Globalization;
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
            "No audit key. EvalSig has no default key: create one with `New-AuditKey -Path ~/.evalsig/audit.key` (or `New-AuditKey -AsBase64` for a pipeline secret) and pass -KeyPath, or set EVALSIG_AUDIT_KEY to the base64 key.");

    /// <summary>As <see cref="Resolve"/>, but null when no key is given anywhere (readers that work without a key).</summary>
    public static AuditKeyring? TryResolve(IEnumerable<string>? keyPaths, IEnumerable<string>? base64Keys, bool forSigning = false)
    {
        var keys = new List<AuditKey>();
        var warnings = new List<string>();
        foreach (var b in base64Keys ?? Array.Empty<string>())
        {
            keys.Add(AuditKey.FromBase64(b, "the -Key parameter"));
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
                keys.Add(AuditKey.FromBase64(env, "the EVALSIG_AUDIT_KEY environment variable"));
            }
        }

        return keys.Count == 0 ? null : new AuditKeyring(keys, warnings);
    }
}
