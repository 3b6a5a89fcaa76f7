using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.RunFrames;

/// <summary>A RunFrame failed validation; carries every problem found, not only the first.</summary>
public sealed class RunFrameInvalidException : EvalSigException
{
    private const int ProblemsInMessage = 10;

    public RunFrameInvalidException(string? path, IReadOnlyList<RunFrameProblem> problems)
        : base(EvalSigError.RunFrameInvalid, EvalSigErrorKind.InvalidData, BuildMessage(path, problems), path)
    {
        Problems = problems;
    }

    public IReadOnlyList<RunFrameProblem> Problems { get; }

    private static string BuildMessage(string? path, IReadOnlyList<RunFrameProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var head = path is null
            ? "The RunFrame is invalid"
            : string.Create(CultureInfo.InvariantCulture, $"The RunFrame file '{path}' is invalid");
        var shown = problems.Take(ProblemsInMessage).Select(p => "  " + p.ToString());
        var more = problems.Count > ProblemsInMessage
            ? string.Create(CultureInfo.InvariantCulture, $"{Environment.NewLine}  ... and {problems.Count - ProblemsInMessage} more (Test-RunFrame lists them all)")
            : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{head} ({problems.Count} problem{(problems.Count == 1 ? string.Empty : "s")}):{Environment.NewLine}{string.Join(Environment.NewLine, shown)}{more}");
    }
}
