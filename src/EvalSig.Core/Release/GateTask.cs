using System;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;

namespace EvalSig.Core.Release;

/// <summary>One task of a multi-task release gate: a named run pair and the gate options for it.</summary>
public sealed record GateTask
{
    /// <summary>A name such as mmlu-pro: letters, digits, '.', '_' and '-', starting with a letter or digit (it names output variables).</summary>
    public required string Name { get; init; }

    public required RunFrame Baseline { get; init; }

    public required RunFrame Candidate { get; init; }

    public required GateOptions Options { get; init; }

    public override string ToString() => $"{Name}: {Candidate.RunId} vs {Baseline.RunId}";
}
