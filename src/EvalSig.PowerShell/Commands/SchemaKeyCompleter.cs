using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Tab completion for -SchemaKey: built-in keys and those registered in the ledger.</summary>
public sealed class SchemaKeyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var ledger = fakeBoundParameters?["Ledger"] as string;
        IReadOnlyList<AuditSchema> schemas;
        try
        {
            // Completion never waits on a network: an object-storage ledger completes the built-in keys.
            schemas = EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(ledger ?? System.Environment.GetEnvironmentVariable(AuditLog.BackendEnvironmentVariable))
                ? AuditSchemaRegistry.BuiltIn
                : AuditSchemaRegistry.Load(LocalLedger.ResolveDirectory(ledger)).All;
        }
        catch (EvalSig.Core.Diagnostics.EvalSigException)
        {
            schemas = AuditSchemaRegistry.BuiltIn;
        }

        var pattern = new WildcardPattern((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        foreach (var s in schemas)
        {
            if (pattern.IsMatch(s.SchemaKey))
            {
                yield return new CompletionResult(s.SchemaKey, s.SchemaKey, CompletionResultType.ParameterValue, s.Description ?? s.SchemaKey);
            }
        }
    }
}
