using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.ObjectStorage;

namespace EvalSig.Commands;

/// <summary>What the audit cmdlets share: the ledger directory, the keyring, an observer, payload conversion.</summary>
public abstract class AuditCmdlet : EvalSigCmdlet
{
    /// <summary>
    /// The ledger: a directory, or object storage (az://container/prefix, s3://bucket/prefix, gs://,
    /// r2://); else $env:EVALSIG_AUDIT_BACKEND, else $env:EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Ledger { get; set; }

    /// <summary>Opens -Ledger (or the environment's ledger) as its backend; a bad location ends the command.</summary>
    protected IAuditBackend OpenLedger(AuditBackendOptions? options = null)
    {
        IAuditBackend? ledger = null;
        var location = Ledger is null || ObjectStoreLocation.IsObjectStoreUri(Ledger) ? Ledger : ResolveOutputPath(Ledger);
        Try(() => ledger = AuditLog.Open(location, options), terminating: true);
        WriteVerbose($"Audit ledger '{ledger!.Location}'.");
        return ledger!;
    }

    /// <summary>
    /// Opens the ledger for what only a local ledger keeps (the Merkle tree, signed heads, proofs, the
    /// format migration); an object-storage location ends the command with StorageLocationInvalid.
    /// </summary>
    protected LocalLedger OpenLocalLedger(string what)
    {
        var ledger = OpenLedger();
        if (ledger is not LocalLedger local)
        {
            ThrowTerminatingError(Error(EvalSigError.StorageLocationInvalid, EvalSigErrorKind.InvalidArgument, $"{what} works on a local ledger (a directory); '{ledger.Location}' is object storage, which keeps the HMAC chain and HMAC checkpoints only.", ledger.Location));
            throw new InvalidOperationException("unreachable");
        }

        return local;
    }

    /// <summary>
    /// Keys from -KeyPath and -Key - or, only when neither is given, EVALSIG_AUDIT_KEY (base64 key
    /// text), else EVALSIG_AUDIT_KEY_FILE (a key file path); none is
    /// AuditKeyMissing (terminating). For signing, an exposed key file is refused (AuditKeyInsecure);
    /// otherwise it is a warning.
    /// </summary>
    protected AuditKeyring ResolveKeyring(IEnumerable<string>? keyPaths, IEnumerable<SecureString>? keys, bool forSigning = false)
    {
        AuditKeyring? ring = null;
        var paths = keyPaths?.Select(ResolveOutputPath).ToList();
        var texts = keys?.Select(k => new NetworkCredential(string.Empty, k).Password).ToList();
        Try(() => ring = AuditKeyring.Resolve(paths, texts, forSigning), terminating: true);
        WriteKeyWarnings(ring!);
        return ring!;
    }

    /// <summary>As <see cref="ResolveKeyring"/> for readers that work without a key: null when none is given anywhere.</summary>
    protected AuditKeyring? TryResolveKeyring(IEnumerable<string>? keyPaths, IEnumerable<SecureString>? keys)
    {
        AuditKeyring? ring = null;
        var paths = keyPaths?.Select(ResolveOutputPath).ToList();
        var texts = keys?.Select(k => new NetworkCredential(string.Empty, k).Password).ToList();
        Try(() => ring = AuditKeyring.TryResolve(paths, texts), terminating: true);
        if (ring is not null)
        {
            WriteKeyWarnings(ring);
        }

        return ring;
    }

    /// <summary>The key that signs new records: the active key of -KeyPath, else -Key, else EVALSIG_AUDIT_KEY (base64 text), else EVALSIG_AUDIT_KEY_FILE (path). A verify-only key is AuditKeyRetired.</summary>
    protected AuditKey ResolveSigningKey(string? keyPath, SecureString? key)
    {
        var ring = ResolveKeyring(keyPath is null ? null : new[] { keyPath }, key is null ? null : new[] { key }, forSigning: true);
        AuditKey? signing = null;
        Try(() => signing = ring.SigningKey, terminating: true);
        return signing!;
    }

    /// <summary>Warnings and progress from Core, written on the pipeline thread.</summary>
    private protected CmdletObserver Observer => _observer ??= new CmdletObserver(this);

    private CmdletObserver? _observer;

    private void WriteKeyWarnings(AuditKeyring ring)
    {
        foreach (var w in ring.Warnings)
        {
            WriteWarning(w);
        }
    }

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
