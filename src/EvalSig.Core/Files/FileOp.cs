namespace EvalSig.Core.Files;

/// <summary>A durable file-system call the ledger and the run store make, as a test observes it.</summary>
internal enum FileOp
{
    /// <summary>A file is created (or opened for appending, creating it if missing).</summary>
    Create,

    /// <summary>Bytes are written to an open file (one call of Stream.Write).</summary>
    Write,

    /// <summary>An open file is flushed to the disk (fsync).</summary>
    Fsync,

    /// <summary>An open file is truncated.</summary>
    SetLength,

    /// <summary>A file is renamed (atomically replacing the target where asked).</summary>
    Rename,

    /// <summary>A file is deleted.</summary>
    Delete,

    /// <summary>A directory is created.</summary>
    CreateDirectory,

    /// <summary>A directory is flushed to the disk, so the names created or renamed in it survive a power cut.</summary>
    SyncDirectory,
}

/// <summary>
/// Sees every durable file-system call before it is made; may throw (an IOException) to inject a
/// fault there. Tests install one to prove that a directory fsync follows every create and rename,
/// and that a fault at any write leaves nothing half-written.
/// </summary>
internal interface IFileOpObserver
{
    void Before(FileOp op, string path);
}
