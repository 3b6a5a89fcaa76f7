using System.Text.RegularExpressions;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.RunStore;

/// <summary>Project and run ids become path segments, so only safe names pass: no name writes outside the root.</summary>
public static class StoreIdentifier
{
    private static readonly Regex Safe = new("^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant, System.TimeSpan.FromSeconds(1));

    public static string Check(string? id, string what)
    {
        if (string.IsNullOrEmpty(id) || !Safe.IsMatch(id) || id.Contains("..", System.StringComparison.Ordinal) || id is "." || id.Length > 200)
        {
            throw new EvalSigException(
                EvalSigError.InvalidIdentifier,
                EvalSigErrorKind.InvalidArgument,
                $"'{id}' is not a valid {what}: use letters, digits, '.', '_' and '-' only (no '..', no path separators, at most 200 characters).",
                id);
        }

        return id;
    }
}
