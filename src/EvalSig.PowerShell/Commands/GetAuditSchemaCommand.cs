using System.Management.Automation;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>Lists the schema keys a ledger accepts: built-in and registered.</summary>
[Cmdlet(VerbsCommon.Get, "AuditSchema")]
[OutputType(typeof(AuditSchema))]
public sealed class GetAuditSchemaCommand : AuditCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SchemaKeyCompleter))]
    public string SchemaKey { get; set; } = "*";

    protected override void EndProcessing()
    {
        AuditSchemaRegistry? registry = null;
        if (!Try(() => registry = AuditSchemaRegistry.Load(OpenLedger()), terminating: true))
        {
            return;
        }

        var pattern = new WildcardPattern(SchemaKey, WildcardOptions.IgnoreCase);
        foreach (var s in registry!.All)
        {
            if (pattern.IsMatch(s.SchemaKey))
            {
                WriteObject(s);
            }
        }
    }
}
