using System;
using System.Collections.Generic;
using System.Text;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// GitHub Actions workflow commands: <c>::command property=value,property=value::message</c> at the
/// start of a stdout line (docs.github.com/actions/reference/workflow-commands-for-github-actions).
/// Escaping follows the runner's toolkit (actions/toolkit packages/core/src/command.ts, escapeData
/// and escapeProperty): data escapes % as %25, CR as %0D, LF as %0A; property values also escape
/// ':' as %3A and ',' as %2C.
/// </summary>
public static class GitHubWorkflowCommand
{
    public static string EscapeData(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("%", "%25", StringComparison.Ordinal)
            .Replace("\r", "%0D", StringComparison.Ordinal)
            .Replace("\n", "%0A", StringComparison.Ordinal);
    }

    public static string EscapeProperty(string text)
        => EscapeData(text).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);

    /// <summary>One workflow command line, e.g. Format("error", [("title", "EvalSig gate REJECT")], message).</summary>
    public static string Format(string command, IEnumerable<(string Name, string Value)> properties, string message)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(properties);
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder("::").Append(command);
        var first = true;
        foreach (var (name, value) in properties)
        {
            sb.Append(first ? ' ' : ',').Append(name).Append('=').Append(EscapeProperty(value));
            first = false;
        }

        return sb.Append("::").Append(EscapeData(message)).ToString();
    }

    /// <summary>
    /// A GITHUB_OUTPUT entry: <c>name=value</c>, or for a value with a line break the documented
    /// multiline form <c>name&lt;&lt;DELIMITER</c> ... <c>DELIMITER</c> with a random delimiter that
    /// occurs in neither (as actions/toolkit file-command.ts prepareKeyValueMessage does).
    /// </summary>
    public static string OutputEntry(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('\n', StringComparison.Ordinal) && !value.Contains('\r', StringComparison.Ordinal))
        {
            return name + "=" + value + "\n";
        }

        string delimiter;
        do
        {
            delimiter = "ghadelimiter_" + Guid.NewGuid().ToString("N");
        }
        while (value.Contains(delimiter, StringComparison.Ordinal) || name.Contains(delimiter, StringComparison.Ordinal));

        return name + "<<" + delimiter + "\n" + value + "\n" + delimiter + "\n";
    }
}
