using System;
using System.Collections.Generic;
using System.Text;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// Azure Pipelines logging commands: <c>##vso[area.action property1=value;property2=value]message</c>
/// on a line of its own on stdout (learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands,
/// "Logging command format"). Escaping follows the task library the agent pairs with
/// (microsoft/azure-pipelines-task-lib node/taskcommand.ts, escapedata and escape): message data
/// escapes % as %AZP25, CR as %0D and LF as %0A; property values also escape ']' as %5D and ';' as
/// %3B. The agent decodes the same tokens (azure-pipelines-agent CommandStringConvertor; %AZP25
/// since 2021, docs/design/percentEncoding.md).
/// </summary>
public static class AzurePipelinesCommand
{
    /// <summary>Escapes a message (the text after ']').</summary>
    public static string EscapeData(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("%", "%AZP25", StringComparison.Ordinal)
            .Replace("\r", "%0D", StringComparison.Ordinal)
            .Replace("\n", "%0A", StringComparison.Ordinal);
    }

    /// <summary>Escapes a property value (inside the brackets).</summary>
    public static string EscapeProperty(string text)
        => EscapeData(text).Replace("]", "%5D", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal);

    /// <summary>One logging command line, e.g. Format("task.setvariable", [("variable", "verdict"), ("isOutput", "true")], "REJECT").</summary>
    public static string Format(string command, IEnumerable<(string Name, string Value)> properties, string message)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(properties);
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder("##vso[").Append(command);
        var first = true;
        foreach (var (name, value) in properties)
        {
            sb.Append(first ? ' ' : ';').Append(name).Append('=').Append(EscapeProperty(value));
            first = false;
        }

        return sb.Append(']').Append(EscapeData(message)).ToString();
    }
}
