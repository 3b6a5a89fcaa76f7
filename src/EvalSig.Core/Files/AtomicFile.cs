using System;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Files;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a torn file: write to a
/// temporary file in the same directory, flush it to disk, rename it over the target, then flush the
/// directory so the rename itself survives a power cut. On any failure the temporary file is removed
/// and the target is untouched; a full disk, a read-only file system or a denied permission is
/// reported as such (StorageFull, StorageReadOnly, StorageAccessDenied).
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write, bool noClobber) => Write(path, write, noClobber, ownerOnly: false);

    /// <summary>As <see cref="Write(string, Action{Stream}, bool)"/>; <paramref name="ownerOnly"/> creates the file readable by its owner only (POSIX 0600).</summary>
    public static void Write(string path, Action<Stream> write, bool noClobber, bool ownerOnly)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Cannot write '{full}': the directory '{dir}' does not exist.", full);
        }

        if (Directory.Exists(full))
        {
            throw new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.InvalidArgument, $"Cannot write '{full}': it is a directory. Give a file path.", full);
        }

        if (noClobber && File.Exists(full))
        {
            throw FileExists(full);
        }

        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            using (var fs = FileOps.CreateNew(temp, ownerOnly, 1 << 16))
            {
                write(fs);
                FileOps.Fsync(fs);
            }

            if (ownerOnly && OperatingSystem.IsWindows())
            {
                OwnerOnlyOnWindows(temp);
            }

            if (noClobber)
            {
                try
                {
                    FileOps.Rename(temp, full, overwrite: false);
                }
                catch (IOException) when (File.Exists(full))
                {
                    throw FileExists(full);
                }
            }
            else
            {
                FileOps.Rename(temp, full, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is not EvalSigException && ex is not OperationCanceledException)
        {
            throw StorageFault.Classify(ex, full, "writing")
                ?? new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Cannot write '{full}': {ex.Message}", full, ex);
        }
        finally
        {
            try
            {
                FileOps.Delete(temp);
            }
            catch (IOException)
            {
                // The write already failed with the error that matters; a temporary file that
                // cannot be removed is named ".<target>.<id>.tmp" and never read.
            }
        }
    }

    /// <summary>An ACL that grants the current user full control and inherits nothing (POSIX 0600 has no Windows mode bits).</summary>
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

    private static EvalSigException FileExists(string full) => new(
        EvalSigError.FileAlreadyExists,
        EvalSigErrorKind.ResourceExists,
        $"The file '{full}' already exists and " + Diagnostics.Surface.Say("-NoClobber", "--no-clobber") + " was given. Choose another path or omit it to replace the file.",
        full);
}
