using System.Collections.Generic;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// Where a RunFrame came from: the format it was read in, the file (or <c>-</c> for standard
/// input), the tool that wrote it and that tool's version where the log records it, the score that
/// was chosen, and notes on anything the reader left out (other filters, perturbed entries...).
/// </summary>
public sealed record RunFrameProvenance(
    RunFrameFormat Format,
    string Source,
    string Tool,
    string? ToolVersion,
    string? Metric,
    IReadOnlyList<string> Notes)
{
    public override string ToString() => $"{Tool}{(ToolVersion is null ? string.Empty : " " + ToolVersion)} ({Format}) {Source}";
}
