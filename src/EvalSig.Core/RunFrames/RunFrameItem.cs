using System.Collections.Generic;
using EvalSig.Core.Json;

namespace EvalSig.Core.RunFrames;

/// <summary>One item of a RunFrame, materialised on demand from the frame's columns.</summary>
public sealed record RunFrameItem(string ItemId, double Score, string? ClusterId, int Epoch, string? MetadataJson)
{
    /// <summary>The item's metadata as a read-only dictionary (empty when there is none).</summary>
    public IReadOnlyDictionary<string, object?> Metadata => JsonValues.ParseObject(MetadataJson);
}
