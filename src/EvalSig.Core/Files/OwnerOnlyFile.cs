using System;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Files;

/// <summary>
/// Secret files (signing keys): written to a temporary file created readable and writable by the
/// owner only (mode 0600 on Unix, an owner-only ACL on Windows), flushed, then renamed into place,
/// so the secret is never readable by others, not even for a moment.
/// </summary>
internal static class OwnerOnlyFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, bool force)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full) && !force)
        {
            throw new EvalSigException(EvalSigError.FileAlreadyExists, EvalSigErrorKind.ResourceExists, $"The key file '{full}' already exists. Replacing a key makes what it signed unverifiable unless you keep the old key: use another path, or -Force if you are sure.", full);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
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
                fs.Write(content);
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
