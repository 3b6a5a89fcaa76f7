using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;

namespace EvalSig.Cli;

/// <summary>evalsig audit schema register|list: Register-AuditSchema and Get-AuditSchema for bash steps.</summary>
internal static class AuditSchemaCommands
{
    public static Command Build(TextWriter stdout)
    {
        var schema = new Command("schema", "Schema keys the ledger accepts (built-in and registered).");
        schema.Subcommands.Add(Register(stdout));
        schema.Subcommands.Add(List(stdout));
        return schema;
    }

    private static Command Register(TextWriter stdout)
    {
        var ledger = AuditCommands.LedgerOption();
        var key = new Argument<string>("schema-key") { Description = "Lowercase dotted name ending in a version, such as acme.review.v1." };
        var fields = new Argument<string[]>("required-field") { Description = "name or name:type (string, number, boolean, object, array, any).", Arity = ArgumentArity.ZeroOrMore };
        var description = new Option<string?>("--description") { Description = "What records with this key hold." };
        var json = new Option<bool>("--json") { Description = "Print the schema as JSON." };
        var cmd = new Command("register", "Register a custom schema key in the ledger directory (schemas.json).");
        cmd.Arguments.Add(key);
        cmd.Arguments.Add(fields);
        cmd.Options.Add(ledger);
        cmd.Options.Add(description);
        cmd.Options.Add(json);
        cmd.SetAction(p =>
        {
            var parsed = (p.GetValue(fields) ?? Array.Empty<string>()).Select(f =>
            {
                var parts = f.Split(':', 2);
                if (parts[0].Length == 0 || (parts.Length == 2 && !Enum.TryParse<PayloadFieldType>(parts[1], ignoreCase: true, out _)))
                {
                    throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{f}' is not a field: use name or name:type with type string, number, boolean, object, array or any.", f);
                }

                return new PayloadField(parts[0], parts.Length == 2 ? Enum.Parse<PayloadFieldType>(parts[1], ignoreCase: true) : PayloadFieldType.Any);
            }).ToList();
            var s = AuditSchemaRegistry.Register(new LocalLedger(p.GetValue(ledger)).Directory, p.GetValue(key)!, parsed, p.GetValue(description));
            stdout.WriteLine(p.GetValue(json) ? ToJson(s) : Line(s));
            return 0;
        });
        return cmd;
    }

    private static Command List(TextWriter stdout)
    {
        var ledger = AuditCommands.LedgerOption();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per schema." };
        var cmd = new Command("list", "The schema keys the ledger accepts, with their required fields.");
        cmd.Options.Add(ledger);
        cmd.Options.Add(json);
        cmd.SetAction(p =>
        {
            foreach (var s in AuditSchemaRegistry.Load(new LocalLedger(p.GetValue(ledger)).Directory).All)
            {
                stdout.WriteLine(p.GetValue(json) ? ToJson(s) : Line(s));
            }

            return 0;
        });
        return cmd;
    }

    private static string Fields(AuditSchema s)
        => s.RequiredFields.Count == 0 ? "-" : string.Join(",", s.RequiredFields.Select(f => f.ToString()));

    private static string Line(AuditSchema s) => $"{s.SchemaKey,-32} {(s.BuiltIn ? "built-in" : "custom"),-8} {Fields(s)}";

    private static string ToJson(AuditSchema s) => JsonValues.Serialize(new System.Collections.Generic.SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["schema_key"] = s.SchemaKey,
        ["built_in"] = s.BuiltIn,
        ["description"] = s.Description,
        ["required_fields"] = s.RequiredFields.Select(f => (object?)new System.Collections.Generic.SortedDictionary<string, object?>(StringComparer.Ordinal) { ["name"] = f.Name, ["alternatives"] = f.Alternatives?.ToList<object?>(), ["type"] = f.Type.ToString().ToLowerInvariant() }).ToList(),
    });
}
