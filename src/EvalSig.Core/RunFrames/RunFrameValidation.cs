using System.Collections.Generic;

namespace EvalSig.Core.RunFrames;

/// <summary>The result of validating one RunFrame file: valid, or every problem found.</summary>
public sealed record RunFrameValidation(string Path, bool Valid, int ProblemCount, IReadOnlyList<RunFrameProblem> Problems)
{
    public static RunFrameValidation Of(string path, IReadOnlyList<RunFrameProblem> problems)
    {
        System.ArgumentNullException.ThrowIfNull(problems);
        return new RunFrameValidation(path, problems.Count == 0, problems.Count, problems);
    }
}
