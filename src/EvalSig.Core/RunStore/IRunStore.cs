using System.Collections.Generic;
using System.Threading;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;

namespace EvalSig.Core.RunStore;

/// <summary>A run store: a directory (<see cref="EvalRunStore"/>) or object storage (<see cref="ObjectRunStore"/>).</summary>
public interface IRunStore
{
    /// <summary>The root as given: a full directory path, or az://container/prefix.</summary>
    string Root { get; }

    IReadOnlyList<string> Projects();

    IReadOnlyList<SaveResult> SaveReport(string project, GateReport report, bool force, CancellationToken cancel = default);

    SaveResult Save(string project, RunFrame frame, bool force, GateReport? gate = null, CancellationToken cancel = default);

    IReadOnlyList<StoredRun> History(string project, HistoryQuery? query = null);

    RunFrame Load(string project, string runId, CancellationToken cancel = default);
}

/// <summary>Opening a run store by what the user gave.</summary>
public static class RunStores
{
    /// <summary>az://, s3://, gs:// and r2:// are object storage; anything else a directory.</summary>
    public static IRunStore Open(string root)
        => ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root) ? ObjectRunStore.Open(root) : new EvalRunStore(root);

    /// <summary>Reads a stored run by its Path (a file, or an object URI from an object-storage history).</summary>
    public static RunFrame ReadPath(string path, CancellationToken cancel = default)
        => ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(path)
            ? ObjectRunStore.ReadObject(path, cancel)
            : RunFrameFile.Read(path, new RunFrameReadOptions { Format = RunFrameFormat.Parquet }, cancel);
}
