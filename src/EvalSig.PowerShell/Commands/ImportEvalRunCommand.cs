using System.Management.Automation;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;

namespace EvalSig.Commands;

/// <summary>Reads a run back from the store exactly as saved, checked against its content_sha256; history objects pipe in by their Path.</summary>
[Cmdlet(VerbsData.Import, "EvalRun", DefaultParameterSetName = nameof(ParameterSet.Id))]
[OutputType(typeof(RunFrame))]
public sealed class ImportEvalRunCommand : EvalSigCmdlet
{
    private enum ParameterSet
    {
        Id,
        Path,
    }

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = nameof(ParameterSet.Id))]
    [ArgumentCompleter(typeof(DirectoryCompleter))]
    [ValidateNotNullOrEmpty]
    public string Root { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = nameof(ParameterSet.Id))]
    [ArgumentCompleter(typeof(StoreProjectCompleter))]
    [ValidateNotNullOrEmpty]
    public string Project { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.Id))]
    [ArgumentCompleter(typeof(StoreRunIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string RunId { get; set; } = string.Empty;

    /// <summary>A stored Parquet file (a history object's Path).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.Path))]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The SHA-256 the file's content must have (a history object's ContentSha256); without it, the store's manifest entry is used.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = nameof(ParameterSet.Path))]
    public string? ContentSha256 { get; set; }

    protected override void ProcessRecord()
    {
        RunFrame? frame = null;
        var ok = ParameterSetName == nameof(ParameterSet.Path)
            ? Try(() => frame = EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(Path) ? RunStores.ReadPath(Path, Cancellation) : EvalRunStore.ReadFile(ResolveOutputPath(Path), ContentSha256, Cancellation))
            : Try(() => frame = OpenStore(Root).Load(Project, RunId, Cancellation));
        if (ok)
        {
            WriteObject(frame);
        }
    }
}
