using System;
using System.IO;
using System.Runtime.InteropServices;

namespace EvalSig.Core.Files;

/// <summary>
/// fsync(2) on a directory. Creating or renaming a file changes its directory, and POSIX makes that
/// change durable only when the directory itself is flushed (fsync(2), "Notes"; ext4 and XFS lose a
/// just-created or just-renamed name on power loss otherwise). .NET has no API for it - FileStream
/// refuses directories - so this calls libc directly. Windows (NTFS journals its metadata, and a
/// directory cannot be opened for flushing without backup semantics) needs nothing here.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY: a directory opens read-only on Linux and macOS

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Native.Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw Error(directory, Marshal.GetLastPInvokeError());
        }

        try
        {
            if (Native.Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();

                // Some file systems (and /proc-like mounts) do not support fsync on a directory:
                // EINVAL there means "nothing to flush", not a failed flush.
                if (errno != 22)
                {
                    throw Error(directory, errno);
                }
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private static IOException Error(string directory, int errno) => new($"Cannot flush the directory '{directory}' to disk (errno {errno}).", errno);

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
