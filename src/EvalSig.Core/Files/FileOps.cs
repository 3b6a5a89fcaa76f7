using System;
using System.IO;
using System.Threading;

namespace EvalSig.Core.Files;

/// <summary>
/// The durable file-system calls of the ledger and the run store, in one place: every file created
/// and every rename is followed by a flush of its directory (<see cref="DirectorySync"/>), so an
/// acknowledged file survives a power cut, not only a killed process. A test may observe every call
/// and inject a fault at any of them (<see cref="Observer"/>, local to the calling flow).
/// </summary>
internal static class FileOps
{
    private static readonly AsyncLocal<IFileOpObserver?> CurrentObserver = new();

    /// <summary>Sees each call before it is made, in this async flow only (tests).</summary>
    internal static IFileOpObserver? Observer
    {
        get => CurrentObserver.Value;
        set => CurrentObserver.Value = value;
    }

    /// <summary>Opens a file for appending, creating it (and flushing its directory) when missing.</summary>
    public static Stream OpenAppend(string path)
    {
        var existed = File.Exists(path);
        Notify(FileOp.Create, path);
        var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
        try
        {
            if (!existed)
            {
                SyncDirectoryOf(path);
            }
        }
        catch
        {
            fs.Dispose();
            throw;
        }

        return Wrap(fs, path);
    }

    /// <summary>Creates a new file (never replacing one), owner-only when asked (POSIX mode bits).</summary>
    public static Stream CreateNew(string path, bool ownerOnly = false, int bufferSize = 1)
    {
        Notify(FileOp.Create, path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = bufferSize };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return Wrap(new FileStream(path, options), path);
    }

    /// <summary>Opens (creating) a lock file, exclusively: the OS lock lives as long as the stream.</summary>
    public static FileStream OpenLock(string path)
    {
        Notify(FileOp.Create, path);
        return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
    }

    /// <summary>Opens an existing file for writing in place (truncation).</summary>
    public static Stream OpenExisting(string path) => Wrap(new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1), path);

    /// <summary>Flushes an open file to the disk (fsync).</summary>
    public static void Fsync(Stream stream)
    {
        switch (stream)
        {
            case ObservedStream o:
                o.FlushToDisk();
                break;
            case FileStream fs:
                fs.Flush(flushToDisk: true);
                break;
            default:
                stream.Flush();
                break;
        }
    }

    public static void SetLength(Stream stream, long length)
    {
        if (stream is ObservedStream o)
        {
            o.Notify(FileOp.SetLength);
        }

        stream.SetLength(length);
    }

    /// <summary>Renames a file, then flushes the directory (both directories when they differ).</summary>
    public static void Rename(string from, string to, bool overwrite)
    {
        Notify(FileOp.Rename, to);
        File.Move(from, to, overwrite);
        var target = Path.GetDirectoryName(Path.GetFullPath(to));
        var source = Path.GetDirectoryName(Path.GetFullPath(from));
        SyncDirectory(target!);
        if (!string.Equals(source, target, StringComparison.Ordinal))
        {
            SyncDirectory(source!);
        }
    }

    /// <summary>
    /// Deletes a file if it exists. No directory flush: every deletion here removes a temporary or
    /// intent file whose reappearance after a power cut is recognised as harmless.
    /// </summary>
    public static void Delete(string path)
    {
        if (File.Exists(path))
        {
            Notify(FileOp.Delete, path);
            File.Delete(path);
        }
    }

    /// <summary>Creates a directory and any missing parents, flushing each parent that gained an entry.</summary>
    public static void CreateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return;
        }

        var parent = Path.GetDirectoryName(full);
        if (parent is not null && !Directory.Exists(parent))
        {
            CreateDirectory(parent);
        }

        Notify(FileOp.CreateDirectory, full);
        Directory.CreateDirectory(full);
        if (parent is not null)
        {
            SyncDirectory(parent);
        }
    }

    public static void SyncDirectory(string directory)
    {
        Notify(FileOp.SyncDirectory, Path.GetFullPath(directory));
        DirectorySync.Flush(directory);
    }

    public static void SyncDirectoryOf(string file) => SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);

    private static void Notify(FileOp op, string path) => Observer?.Before(op, path);

    private static Stream Wrap(FileStream fs, string path) => Observer is { } o ? new ObservedStream(fs, path, o) : fs;

    /// <summary>A file stream that reports its writes, flushes and truncations to the observer.</summary>
    private sealed class ObservedStream : Stream
    {
        private readonly FileStream _inner;
        private readonly string _path;
        private readonly IFileOpObserver _observer;

        public ObservedStream(FileStream inner, string path, IFileOpObserver observer) => (_inner, _path, _observer) = (inner, path, observer);

        public override bool CanRead => false;

        public override bool CanSeek => _inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => _inner.Length;

        public override long Position
        {
            get => _inner.Position;
            set => _inner.Position = value;
        }

        public void Notify(FileOp op) => _observer.Before(op, _path);

        public void FlushToDisk()
        {
            Notify(FileOp.Fsync);
            _inner.Flush(flushToDisk: true);
        }

        public override void Flush() => _inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

        public override void SetLength(long value) => _inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        /// <summary>An injected fault lands after half the bytes, as a real ENOSPC can leave a short write.</summary>
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                Notify(FileOp.Write);
            }
            catch (IOException)
            {
                _inner.Write(buffer[..(buffer.Length / 2)]);
                _inner.Flush();
                throw;
            }

            _inner.Write(buffer);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
