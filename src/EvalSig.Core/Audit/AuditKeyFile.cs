using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>
/// Key files, created readable by the owner only. A new key file is one base64 line (the form of
/// EVALSIG_AUDIT_KEY). Rotation turns it into a keyring - JSON, format "evalsig.keyring.v1" - that
/// holds the new active key first and every older key marked verify-only with the time it was
/// retired and the key that replaced it.
/// </summary>
public static class AuditKeyFile
{
    public const string KeyringFormat = "evalsig.keyring.v1";

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates a new 256-bit key file; refuses to replace an existing key unless force.</summary>
    public static AuditKey Create(string path, bool force)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && !force)
        {
            throw new EvalSigException(EvalSigError.FileAlreadyExists, EvalSigErrorKind.ResourceExists, $"The key file '{full}' already exists. Replacing a key makes records signed with it unverifiable unless you keep the old key: rotate it instead (" + Diagnostics.Surface.Say("New-AuditKey -Rotate", "`evalsig audit key rotate`") + " keeps the old key as verify-only), use another path, or " + Diagnostics.Surface.Say("-Force", "--force") + " if you are sure.", full);
        }

        CreateParent(full);
        var key = AuditKey.Generate();
        var bytes = Encoding.ASCII.GetBytes(key.ExportBase64() + "\n");
        AtomicFile.Write(full, s => s.Write(bytes), noClobber: !force, ownerOnly: true);
        return key;
    }

    /// <summary>
    /// Rotates the key file's active key: a new active key signs from now on; the old one stays in
    /// the file, verify-only, so the records it signed keep verifying and nothing it signs later does.
    /// </summary>
    public static (AuditKey NewKey, AuditKey Retired) Rotate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new EvalSigException(EvalSigError.AuditKeyMissing, EvalSigErrorKind.ObjectNotFound, $"The key file '{full}' does not exist, so there is nothing to rotate. Create one with New-AuditKey -Path '{full}'.", full);
        }

        var keys = Load(full, forSigning: true, new List<string>()).ToList();
        var current = keys.FirstOrDefault(k => k.Status == AuditKeyStatus.Active)
            ?? throw new EvalSigException(EvalSigError.AuditKeyRetired, EvalSigErrorKind.InvalidArgument, $"The key file '{full}' holds no active key to rotate.", full);
        var now = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow);
        var next = AuditKey.Generate();
        var retired = current.With(AuditKeyStatus.VerifyOnly, now, next.KeyId);
        var all = new List<AuditKey> { next };
        all.AddRange(keys.Select(k => k.KeyId == current.KeyId ? retired : k));
        var bytes = Encoding.UTF8.GetBytes(Serialize(all) + "\n");
        AtomicFile.Write(full, s => s.Write(bytes), noClobber: false, ownerOnly: true);
        return (next, retired);
    }

    /// <summary>
    /// The keys in a key file (one base64 line, or a keyring). For signing, a file that group or
    /// others may read or write is refused; otherwise that is a warning.
    /// </summary>
    internal static IReadOnlyList<AuditKey> Load(string path, bool forSigning, List<string> warnings)
    {
        if (Directory.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditKeyInvalid, EvalSigErrorKind.InvalidArgument, $"The audit key path '{path}' is a directory; give the key file.", path);
        }

        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditKeyMissing, EvalSigErrorKind.ObjectNotFound, $"The audit key file '{path}' does not exist. Create one with New-AuditKey -Path '{path}'.", path);
        }

        if (PermissionProblem(path) is { } problem)
        {
            if (forSigning)
            {
                throw new EvalSigException(EvalSigError.AuditKeyInsecure, EvalSigErrorKind.InvalidArgument, problem + " A key others can read lets them forge records, so it is not used for signing: restrict it (chmod 600) or create a new key with New-AuditKey.", path);
            }

            warnings.Add(problem + " Restrict it (chmod 600): anyone who can read it can forge records.");
        }

        var text = File.ReadAllText(path, Encoding.UTF8);
        var source = $"the file '{path}'";
        return text.TrimStart().StartsWith('{') ? ParseKeyring(text, path, source) : new[] { AuditKey.FromBase64(text, source) };
    }

    /// <summary>Why a key file is exposed (POSIX mode bits for group or others), or null. Windows ACLs are not inspected (see docs).</summary>
    internal static string? PermissionProblem(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) == 0)
        {
            return null;
        }

        var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
        var group = (mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)) != 0;
        var others = (mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0;
        var who = group && others ? "its group and others" : group ? "its group" : "others";
        return $"The key file '{path}' is open to {who} (mode {octal}).";
    }

    private static void CreateParent(string full)
    {
        try
        {
            FileOps.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageFault.Classify(ex, full, "creating the key file") ?? new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Cannot create the directory of '{full}': {ex.Message}", full, ex);
        }
    }

    private static List<AuditKey> ParseKeyring(string text, string path, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != KeyringFormat)
            {
                throw new FormatException($"the format is not {KeyringFormat}");
            }

            var keys = new List<AuditKey>();
            foreach (var e in root.GetProperty("keys").EnumerateArray())
            {
                var status = e.GetProperty("status").GetString() switch
                {
                    "active" => AuditKeyStatus.Active,
                    "verify-only" => AuditKeyStatus.VerifyOnly,
                    var s => throw new FormatException($"unknown key status '{s}'"),
                };
                var bytes = Convert.FromBase64String(e.GetProperty("key").GetString() ?? string.Empty);
                DateTimeOffset? Time(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && IsoTime.TryParse(v.GetString(), out var t) ? t : null;
                var key = AuditKey.FromBytes(bytes, source, status, Time("created_at"), Time("retired_at"), e.TryGetProperty("replaced_by", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null);
                if (e.TryGetProperty("key_id", out var id) && id.GetString() != key.KeyId)
                {
                    throw new FormatException($"a key's key_id {id.GetString()} does not match the key");
                }

                keys.Add(key);
            }

            if (keys.Count == 0)
            {
                throw new FormatException("it holds no keys");
            }

            return keys;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EvalSigException(EvalSigError.AuditKeyInvalid, EvalSigErrorKind.InvalidData, $"The keyring '{path}' is not valid: {ex.Message}. It is written by New-AuditKey -Rotate; restore it from a backup.", path, ex);
        }
    }

    private static string Serialize(IEnumerable<AuditKey> keys)
    {
        var body = new OrderedStringDictionary
        {
            ["format"] = KeyringFormat,
            ["keys"] = keys.Select(k =>
            {
                var d = new OrderedStringDictionary
                {
                    ["key_id"] = k.KeyId,
                    ["status"] = k.Status == AuditKeyStatus.Active ? "active" : "verify-only",
                    ["key"] = k.ExportBase64(),
                };
                if (k.CreatedAt is { } c)
                {
                    d["created_at"] = IsoTime.Format(c);
                }

                if (k.RetiredAt is { } r)
                {
                    d["retired_at"] = IsoTime.Format(r);
                }

                if (k.ReplacedByKeyId is { } by)
                {
                    d["replaced_by"] = by;
                }

                return d;
            }).ToList(),
        };
        return JsonValues.Serialize(body, indented: true);
    }
}

/// <summary>What Repair-AuditLedger did (or would do).</summary>
public sealed record RepairResult(bool Repaired, string? QuarantinePath, long Bytes, string Reason, string LedgerPath)
{
    /// <summary>The Merkle tree (merkle.tree) checked against the ledger, and rebuilt if it differed.</summary>
    public Transparency.MerkleTreeCheck? Tree { get; init; }
}

/// <summary>A key file's identity; never its secret. After a rotation, RetiredKeyId names the key that became verify-only.</summary>
public sealed record AuditKeyInfo(string KeyId, string Path, string? RetiredKeyId = null);
