using System;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Files;

/// <summary>
/// Tells the file-system faults a user must act on (a full disk, a read-only file system, missing
/// permission) from other I/O errors, by errno on Linux and macOS (.NET puts it in HResult) and by
/// Win32 code on Windows, and says so by name instead of as a raw exception or "busy".
/// </summary>
internal static class StorageFault
{
    /// <summary>The EvalSig error for a storage fault, or null when the exception is not one.</summary>
    public static EvalSigException? Classify(Exception ex, string path, string doing)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is UnauthorizedAccessException)
        {
            return new EvalSigException(EvalSigError.StorageAccessDenied, EvalSigErrorKind.WriteError, $"Permission denied while {doing} '{path}': give this user write access to it (or choose another location). Nothing was changed.", path, ex);
        }

        if (ex is not IOException io)
        {
            return null;
        }

        return Code(io) switch
        {
            Fault.Full => new EvalSigException(EvalSigError.StorageFull, EvalSigErrorKind.WriteError, $"The disk is full while {doing} '{path}': free space (or raise the quota) and try again. Nothing was changed.", path, ex),
            Fault.ReadOnly => new EvalSigException(EvalSigError.StorageReadOnly, EvalSigErrorKind.WriteError, $"The file system holding '{path}' is read-only, so {doing} it is impossible. Use a writable location; reading and verifying still work.", path, ex),
            Fault.Denied => new EvalSigException(EvalSigError.StorageAccessDenied, EvalSigErrorKind.WriteError, $"Permission denied while {doing} '{path}': give this user write access to it (or choose another location). Nothing was changed.", path, ex),
            _ => null,
        };
    }

    /// <summary>True for a storage fault that waiting cannot cure (full, read-only, denied).</summary>
    public static bool IsPermanent(Exception ex) => ex is UnauthorizedAccessException || (ex is IOException io && Code(io) != Fault.None);

    /// <summary>True when an exclusive lock is held by someone else (flock EWOULDBLOCK; a Windows sharing or lock violation).</summary>
    public static bool IsLockContention(IOException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var hr = ex.HResult;
        if (OperatingSystem.IsWindows())
        {
            return hr is unchecked((int)0x80070020) or unchecked((int)0x80070021);
        }

        return hr == (OperatingSystem.IsLinux() ? 11 : 35); // EAGAIN == EWOULDBLOCK
    }

    private enum Fault
    {
        None,
        Full,
        ReadOnly,
        Denied,
    }

    private static Fault Code(IOException io)
    {
        var hr = io.HResult;
        if (OperatingSystem.IsWindows())
        {
            if ((hr & unchecked((int)0xFFFF0000)) != unchecked((int)0x80070000))
            {
                return Fault.None;
            }

            return (hr & 0xFFFF) switch
            {
                112 or 39 => Fault.Full, // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
                19 => Fault.ReadOnly, // ERROR_WRITE_PROTECT
                5 => Fault.Denied, // ERROR_ACCESS_DENIED
                _ => Fault.None,
            };
        }

        var quota = OperatingSystem.IsLinux() ? 122 : 69; // EDQUOT
        return hr switch
        {
            28 => Fault.Full, // ENOSPC
            _ when hr == quota => Fault.Full,
            30 => Fault.ReadOnly, // EROFS
            13 or 1 => Fault.Denied, // EACCES, EPERM
            _ => Fault.None,
        };
    }
}
