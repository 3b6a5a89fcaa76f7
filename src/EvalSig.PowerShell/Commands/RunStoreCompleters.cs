using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using EvalSig.Core.RunStore;

namespace EvalSig.Commands;

/// <summary>Tab completion for -Project: the projects under -Root (or the current directory).</summary>
public sealed class StoreProjectCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var root = fakeBoundParameters?["Root"] as string ?? ".";
        if (EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root))
        {
            return Enumerable.Empty<CompletionResult>(); // completion never waits on a network
        }

        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return new EvalRunStore(root).Projects().Where(pattern.IsMatch).Select(p => new CompletionResult(p, p, CompletionResultType.ParameterValue, p));
    }
}

/// <summary>Tab completion for -RunId: the current runs of -Project under -Root.</summary>
public sealed class StoreRunIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var root = fakeBoundParameters?["Root"] as string ?? ".";
        if (EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root) || fakeBoundParameters?["Project"] is not string project || !File.Exists(Path.Combine(root, project, EvalRunStore.ManifestFileName)))
        {
            return Enumerable.Empty<CompletionResult>();
        }

        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return new EvalRunStore(root).History(project).Select(r => r.RunId).Where(pattern.IsMatch).Select(r => new CompletionResult(r, r, CompletionResultType.ParameterValue, r));
    }
}

/// <summary>Tab completion for -Root: directories.</summary>
public sealed class DirectoryCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var dir = Path.GetDirectoryName(word);
        var baseDir = string.IsNullOrEmpty(dir) ? "." : dir;
        if (!Directory.Exists(baseDir))
        {
            return Enumerable.Empty<CompletionResult>();
        }

        return Directory.GetDirectories(baseDir, Path.GetFileName(word) + "*")
            .Select(d => string.IsNullOrEmpty(dir) ? Path.GetFileName(d) : d)
            .Select(d => new CompletionResult(d.Contains(' ', System.StringComparison.Ordinal) ? "'" + d + "'" : d, d, CompletionResultType.ProviderContainer, d));
    }
}
