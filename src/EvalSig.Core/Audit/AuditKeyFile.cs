using System;
using System.IO;
using System.Text;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>Key files: base64 text, created readable by the owner only.</summary>
public static class AuditKeyFile
{
    /// <summary>Creates a new 256-bit key file; refuses to replace an existing key unless force.</summary>
    public static AuditKey Create(string path, bool force)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && !force)
        {
            throw new EvalSigException(EvalSigError.FileAlreadyExists, EvalSigErrorKind.ResourceExists, $"The key file '{full}' already exists. Replacing a key makes records signed with it unverifiable unless you keep the old key: use another path, or " + Diagnostics.Surface.Say("-Force", "--force") + " if you are sure.", full);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var key = AuditKey.Generate();
        var temp = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var fs = new FileStream(temp, options))
            {
                fs.Write(Encoding.ASCII.GetBytes(key.ExportBase64() + "\n"));
                fs.Flush(flushToDisk: true);
            }

            if (OperatingSystem.IsWindows())
            {
                OwnerOnlyOnWindows(temp);
            }

            File.Move(temp, full, overwrite: force);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return key;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void OwnerOnlyOnWindows(string path)
    {
        var info = new FileInfo(path);
        var security = new System.Security.AccessControl.FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        var user = System.Security.Principal.WindowsIdentity.GetCurrent().User!;
        security.AddAccessRule(new System.Security.AccessControl.FileSystemAccessRule(user, System.Security.AccessControl.FileSystemRights.FullControl, System.Security.AccessControl.AccessControlType.Allow));
        info.SetAccessControl(security);
    }
}

/// <summary>What Repair-AuditLedger did (or would do).</summary>
public sealed record RepairResult(bool Repaired, string? QuarantinePath, long Bytes, string Reason, string LedgerPath);

/// <summary>A key file's identity; never its secret.</summary>
public sealed record AuditKeyInfo(string KeyId, string Path);
