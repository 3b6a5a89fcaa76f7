using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;

namespace EvalSig.Commands;

/// <summary>What the audit cmdlets share: the ledger directory, the keyring, payload conversion.</summary>
public abstract class AuditCmdlet : EvalSigCmdlet
{
    /// <summary>The ledger directory; else $env:EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Ledger { get; set; }

    protected LocalLedger OpenLedger()
    {
        var ledger = new LocalLedger(Ledger is null ? null : ResolveOutputPath(Ledger));
        WriteVerbose($"Audit ledger '{ledger.Directory}'.");
        return ledger;
    }

    /// <summary>Keys from -KeyPath and -Key, then EVALSIG_AUDIT_KEY (base64 key text) and EVALSIG_AUDIT_KEY_FILE (a key file path); none is AuditKeyMissing (terminating).</summary>
    protected AuditKeyring ResolveKeyring(IEnumerable<string>? keyPaths, IEnumerable<SecureString>? keys)
    {
        AuditKeyring? ring = null;
        var paths = keyPaths?.Select(ResolveOutputPath).ToList();
        var texts = keys?.Select(k => new NetworkCredential(string.Empty, k).Password).ToList();
        Try(() => ring = AuditKeyring.Resolve(paths, texts), terminating: true);
        return ring!;
    }

    /// <summary>The key that signs new records: -KeyPath, else -Key, else EVALSIG_AUDIT_KEY (base64 text), else EVALSIG_AUDIT_KEY_FILE (path).</summary>
    protected AuditKey ResolveSigningKey(string? keyPath, SecureString? key)
        => ResolveKeyring(keyPath is null ? null : new[] { keyPath }, key is null ? null : new[] { key }).Keys[0];

    /// <summary>A payload object (hashtable, PSCustomObject, .NET object, GateReport) as JSON text.</summary>
    protected static string PayloadJson(object? payload)
    {
        var value = payload is PSObject pso ? pso.BaseObject : payload;
        return value switch
        {
            GateReport report => GateReportJson.Serialize(report, indented: false),
            string s when s.TrimStart().StartsWith('{') => s,
            _ => JsonValues.Serialize(Plain(payload, 0)),
        };
    }

    /// <summary>PowerShell objects to plain dictionaries, lists and primitives (depth-limited).</summary>
    private static object? Plain(object? o, int depth)
    {
        if (depth > 20)
        {
            return o?.ToString();
        }

        if (o is PSObject p)
        {
            if (p.BaseObject is PSCustomObject)
            {
                var d = new OrderedStringDictionary();
                foreach (var prop in p.Properties)
                {
                    d[prop.Name] = Plain(prop.Value, depth + 1);
                }

                return d;
            }

            o = p.BaseObject;
        }

        switch (o)
        {
            case null:
            case string:
            case bool:
            case double or float or decimal or long or int or short or byte or sbyte or ulong or uint or ushort:
            case DateTime or DateTimeOffset:
                return o;
            case GateReport report:
                return System.Text.Json.JsonDocument.Parse(GateReportJson.Serialize(report, indented: false)).RootElement.Clone();
            case Enum e:
                return e.ToString();
            case IDictionary dict:
                var d = new OrderedStringDictionary();
                foreach (DictionaryEntry kv in dict)
                {
                    d[Convert.ToString(kv.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = Plain(kv.Value, depth + 1);
                }

                return d;
            case IEnumerable seq:
                var list = new List<object?>();
                foreach (var x in seq)
                {
                    list.Add(Plain(x, depth + 1));
                }

                return list;
            default:
                var obj = new OrderedStringDictionary();
                foreach (var prop in PSObject.AsPSObject(o).Properties.Where(x => x.IsGettable && x.MemberType == PSMemberTypes.Property))
                {
                    obj[prop.Name] = Plain(prop.Value, depth + 1);
                }

                return obj;
        }
    }
}
