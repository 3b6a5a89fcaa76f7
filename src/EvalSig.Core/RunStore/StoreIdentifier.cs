using System.Text.RegularExpressions;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.RunStore;

/// <summary>Project and run ids become path segments, so only safe names pass: no name writes outside the root.</summary>
public static class StoreIdentifier
{
    private static readonly Regex Safe = new("^[A-Za-z0-9._-]+\\z", RegexOptions.CultureInvariant, System.TimeSpan.FromSeconds(1));

    /// <summary>True for a safe id: letters, digits, '.', '_' and '-', no "..", not ".", at most 200 characters (the pattern is anchored with \z: "$" would let a final newline through).</summary>
    public static bool IsValid(string? id)
        => !string.IsNullOrEmpty(id) && id.Length <= 200 && Safe.IsMatch(id) && !id.Contains("..", System.StringComparison.Ordinal) && id is not ".";

    public static string Check(string? id, string what)
    {
        if (!IsValid(id))
        {
            throw new EvalSigException(
                EvalSigError.InvalidIdentifier,
                EvalSigErrorKind.InvalidArgument,
                $"'{id?.Replace("\n", "\\n", System.StringComparison.Ordinal)}' is not a valid {what}: use letters, digits, '.', '_' and '-' only (no '..', no path separators, at most 200 characters).",
                id);
        }

        return id!;
    }
}
