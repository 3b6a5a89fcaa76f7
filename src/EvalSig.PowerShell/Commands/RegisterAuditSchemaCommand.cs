using System;
using System.Linq;
using System.Management.Automation;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Commands;

/// <summary>Adds a custom schema key with required payload fields, persisted in the ledger directory.</summary>
[Cmdlet(VerbsLifecycle.Register, "AuditSchema", SupportsShouldProcess = true)]
[OutputType(typeof(AuditSchema))]
public sealed class RegisterAuditSchemaCommand : AuditCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string SchemaKey { get; set; } = string.Empty;

    /// <summary>"name" or "name:type" (string, number, boolean, object, array, any).</summary>
    [Parameter(Position = 1)]
    public string[] RequiredField { get; set; } = Array.Empty<string>();

    [Parameter]
    public string? Description { get; set; }

    protected override void EndProcessing()
    {
        var fields = RequiredField.Select(f =>
        {
            var parts = f.Split(':', 2);
            if (parts[0].Length == 0 || (parts.Length == 2 && !Enum.TryParse<PayloadFieldType>(parts[1], ignoreCase: true, out _)))
            {
                ThrowTerminatingError(Error(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{f}' is not a field: use name or name:type with type string, number, boolean, object, array or any.", f));
            }

            return new PayloadField(parts[0], parts.Length == 2 ? Enum.Parse<PayloadFieldType>(parts[1], ignoreCase: true) : PayloadFieldType.Any);
        }).ToList();
        var ledger = OpenLedger();
        if (!ShouldProcess(ledger.Location, $"Register schema {SchemaKey}"))
        {
            return;
        }

        AuditSchema? schema = null;
        if (Try(() => schema = AuditSchemaRegistry.Register(ledger, SchemaKey, fields, Description), terminating: true))
        {
            WriteObject(schema);
        }
    }
}
