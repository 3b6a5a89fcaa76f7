using System;
using System.IO;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;

namespace EvalSig.Core.Audit;

/// <summary>
/// An exclusive OS file lock (flock on Unix, a sharing lock on Windows) held while the file is
/// open. It excludes other processes and other threads alike, and the OS releases it if the
/// holder dies, so a killed appender never leaves the ledger locked. Only contention is waited
/// for: a read-only file system or a denied permission is reported at once, by name.
/// </summary>
internal sealed class LedgerLock : IDisposable
{
    private readonly FileStream _stream;

    private LedgerLock(FileStream stream) => _stream = stream;

    public static LedgerLock Acquire(string path, TimeSpan timeout, CancellationToken cancel = default)
        => TryAcquire(path, timeout, cancel, out var fault) ?? throw fault!;

    /// <summary>The lock, or null with the reason when it cannot be had (busy past the timeout, read-only, denied).</summary>
    public static LedgerLock? TryAcquire(string path, TimeSpan timeout, CancellationToken cancel, out EvalSigException? fault)
    {
        fault = null;
        var deadline = DateTime.UtcNow + timeout;
        var spin = 0;
        while (true)
        {
            try
            {
                return new LedgerLock(FileOps.OpenLock(path));
            }
            catch (DirectoryNotFoundException ex)
            {
                fault = new EvalSigException(EvalSigError.AuditLedgerNotFound, EvalSigErrorKind.ObjectNotFound, $"The ledger directory of '{path}' does not exist.", path, ex);
                return null;
            }
            catch (IOException ex) when (StorageFault.IsLockContention(ex) && DateTime.UtcNow < deadline)
            {
                cancel.ThrowIfCancellationRequested();
                if (spin++ < 20)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.Sleep(Math.Min(1 + (spin / 20), 5));
                }
            }
            catch (IOException ex) when (StorageFault.IsLockContention(ex))
            {
                fault = new EvalSigException(EvalSigError.AuditLedgerBusy, EvalSigErrorKind.InvalidOperation, $"The ledger lock '{path}' was not free within {timeout.TotalSeconds:0} s: another process is appending or repairing. Try again.", path, ex);
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fault = StorageFault.Classify(ex, path, "locking")
                    ?? new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Cannot open the ledger lock '{path}': {ex.Message}", path, ex);
                return null;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
