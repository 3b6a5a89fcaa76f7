using System;
using System.IO;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Files;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a torn file: write to a
/// temporary file in the same directory, flush it to disk, then rename over the target.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write, bool noClobber)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Cannot write '{full}': the directory '{dir}' does not exist.", full);
        }

        if (noClobber && File.Exists(full))
        {
            throw FileExists(full);
        }

        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }

            if (noClobber)
            {
                try
                {
                    File.Move(temp, full, overwrite: false);
                }
                catch (IOException) when (File.Exists(full))
                {
                    throw FileExists(full);
                }
            }
            else
            {
                File.Move(temp, full, overwrite: true);
            }
        }
        catch (Exception ex) when (ex is not EvalSigException && ex is not OperationCanceledException)
        {
            throw new EvalSigException(EvalSigError.RunFrameWriteFailed, EvalSigErrorKind.WriteError, $"Cannot write '{full}': {ex.Message}", full, ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static EvalSigException FileExists(string full) => new(
        EvalSigError.FileAlreadyExists,
        EvalSigErrorKind.ResourceExists,
        $"The file '{full}' already exists and " + Diagnostics.Surface.Say("-NoClobber", "--no-clobber") + " was given. Choose another path or omit it to replace the file.",
        full);
}
