using System;
using System.IO;
using System.Threading;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit;

/// <summary>
/// An exclusive OS file lock (flock on Unix, a sharing lock on Windows) held while the file is
/// open. It excludes other processes and other threads alike, and the OS releases it if the
/// holder dies, so a killed appender never leaves the ledger locked.
/// </summary>
internal sealed class LedgerLock : IDisposable
{
    private readonly FileStream _stream;

    private LedgerLock(FileStream stream) => _stream = stream;

    public static LedgerLock Acquire(string path, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var spin = 0;
        while (true)
        {
            try
            {
                return new LedgerLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (DirectoryNotFoundException ex)
            {
                throw new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.ObjectNotFound, $"The ledger directory of '{path}' does not exist.", path, ex);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
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
            catch (IOException ex)
            {
                throw new EvalSigException(EvalSigError.AuditLedgerBusy, EvalSigErrorKind.InvalidOperation, $"The ledger lock '{path}' was not free within {timeout.TotalSeconds:0} s: another process is appending or repairing. Try again.", path, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new EvalSigException(EvalSigError.AuditWriteFailed, EvalSigErrorKind.WriteError, $"Cannot open the ledger lock '{path}': {ex.Message}", path, ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
