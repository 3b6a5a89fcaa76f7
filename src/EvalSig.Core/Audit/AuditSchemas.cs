using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Core.Audit;

/// <summary>JSON types a required payload field may be required to have.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "These are the JSON type names.")]
public enum PayloadFieldType
{
    Any,
    String,
    Number,
    Boolean,
    Object,
    Array,
}

/// <summary>
/// A required payload field. <paramref name="Alternatives"/> are other names that satisfy it, for
/// producers that spell the same fact differently (the SpanForge SDK's halluccheck.gate.v1 examples
/// write "decision": "allow" where HallucCheck writes "verdict").
/// </summary>
public sealed record PayloadField(string Name, PayloadFieldType Type, IReadOnlyList<string>? Alternatives = null)
{
    /// <summary>The name and its alternatives, in order of preference.</summary>
    public IReadOnlyList<string> Names => Alternatives is { Count: > 0 } a ? new[] { Name }.Concat(a).ToList() : new[] { Name };

    public override string ToString() => string.Join("|", Names) + (Type == PayloadFieldType.Any ? string.Empty : ":" + Type.ToString().ToLowerInvariant());
}

/// <summary>A schema key and the payload fields it requires.</summary>
public sealed record AuditSchema(string SchemaKey, IReadOnlyList<PayloadField> RequiredFields, bool BuiltIn, string? Description)
{
    public override string ToString() => SchemaKey;
}

/// <summary>
/// The schema keys a ledger accepts: the built-in ones, plus custom keys registered in the ledger
/// directory's schemas.json. Built-in keys check the payload fields that reports rely on.
/// </summary>
public sealed class AuditSchemaRegistry
{
    public const string FileName = "schemas.json";

    private static readonly Regex KeyPattern = new("^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9_-]+)*\\.v[0-9]+\\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static IReadOnlyList<AuditSchema> BuiltIn { get; } = new[]
    {
        S("halluccheck.score.v1", "Hallucination score (0-1, or 0-100).", ("score", PayloadFieldType.Number)),
        S("halluccheck.pii.v1", "PII scan; detected = true when PII was found.", ("detected", PayloadFieldType.Boolean)),
        S("halluccheck.secrets.v1", "Secrets scan; detected = true when a secret was found.", ("detected", PayloadFieldType.Boolean)),
        new("halluccheck.gate.v1", new[] { new PayloadField("verdict", PayloadFieldType.String, GatePayload.AlternativeFields) }, true, "A gate decision from HallucCheck or the SpanForge SDK: verdict (or decision, or status), such as ALLOW/PASS or allow/deny."),
        S("halluccheck.bias.v1", "Bias evaluation."),
        S("halluccheck.drift.v1", "Drift evaluation."),
        S("halluccheck.opa.v1", "Policy (OPA) decision.", ("allowed", PayloadFieldType.Boolean)),
        S("halluccheck.prri.v1", "PRRI risk index."),
        S("halluccheck.auth.v1", "Authentication event.", ("success", PayloadFieldType.Boolean)),
        S("halluccheck.benchmark_run.v1", "A benchmark run.", ("run_id", PayloadFieldType.String)),
        S("halluccheck.benchmark_version.v1", "A benchmark version.", ("version", PayloadFieldType.String)),
        S("spanforge.auth.v1", "SpanForge authentication event."),
        S("spanforge.consent.v1", "SpanForge consent evidence."),
        S("evalsig.gate.v1", "A full EvalSig gate report.", ("verdict", PayloadFieldType.String), ("comparison", PayloadFieldType.Object)),
        S("evalsig.checkpoint.v1", "An EvalSig ledger checkpoint.", ("position", PayloadFieldType.Number), ("head_hmac", PayloadFieldType.String)),
        S("evalsig.migration.v1", "Seals a ledger's format-1 records (written by Update-AuditLedger only).", ("from_version", PayloadFieldType.Number), ("legacy_records", PayloadFieldType.Number), ("legacy_head_hmac", PayloadFieldType.String)),
        S("evalsig.key_rotation.v1", "A key rotation, signed by the new key (written by New-AuditKey -Rotate -RecordRotationIn only).", ("key_id", PayloadFieldType.String), ("retired_key_id", PayloadFieldType.String)),
        S("evalsig.article30.v1", "A GDPR Article 30(1) record of processing activities.", ("controller", PayloadFieldType.Object), ("purposes", PayloadFieldType.Array)),
    };

    private readonly Dictionary<string, AuditSchema> _all;

    private AuditSchemaRegistry(IEnumerable<AuditSchema> custom)
    {
        _all = BuiltIn.ToDictionary(s => s.SchemaKey, StringComparer.Ordinal);
        foreach (var c in custom)
        {
            _all[c.SchemaKey] = c;
        }
    }

    public IReadOnlyList<AuditSchema> All => _all.Values.OrderBy(s => s.BuiltIn ? 0 : 1).ThenBy(s => s.SchemaKey, StringComparer.Ordinal).ToList();

    public static AuditSchemaRegistry Load(string ledgerDirectory)
    {
        var path = Path.Combine(ledgerDirectory, FileName);
        return FromJson(File.Exists(path) ? File.ReadAllBytes(path) : null, path);
    }

    /// <summary>The schemas of any ledger: the local directory's schemas.json, or the object {prefix}/schemas.json.</summary>
    public static AuditSchemaRegistry Load(IAuditBackend ledger)
        => ledger switch
        {
            ObjectLedger o => o.LoadSchemas(),
            LocalLedger l => Load(l.Directory),
            _ => new AuditSchemaRegistry(Array.Empty<AuditSchema>()),
        };

    /// <summary>A registry from the bytes of a schemas.json (null: built-in keys only).</summary>
    internal static AuditSchemaRegistry FromJson(byte[]? json, string source)
    {
        if (json is null)
        {
            return new AuditSchemaRegistry(Array.Empty<AuditSchema>());
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            var custom = new List<AuditSchema>();
            foreach (var s in doc.RootElement.GetProperty("schemas").EnumerateArray())
            {
                var fields = s.GetProperty("required_fields").EnumerateArray()
                    .Select(f => new PayloadField(f.GetProperty("name").GetString()!, Enum.Parse<PayloadFieldType>(f.GetProperty("type").GetString()!, ignoreCase: true)))
                    .ToList();
                custom.Add(new AuditSchema(s.GetProperty("schema_key").GetString()!, fields, false, s.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null));
            }

            return new AuditSchemaRegistry(custom);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidData, $"The schema registry '{source}' is not valid: {ex.Message}", source, ex);
        }
    }

    /// <summary>The schemas.json bytes for a list of custom schemas.</summary>
    internal static byte[] ToJson(IEnumerable<AuditSchema> custom)
    {
        var json = JsonValues.Serialize(new Dictionary<string, object?>
        {
            ["schemas"] = custom.Select(s => new Dictionary<string, object?>
            {
                ["schema_key"] = s.SchemaKey,
                ["description"] = s.Description,
                ["required_fields"] = s.RequiredFields.Select(f => new Dictionary<string, object?> { ["name"] = f.Name, ["type"] = f.Type.ToString().ToLowerInvariant() }).ToList(),
            }).ToList(),
            ["updated_at"] = IsoTime.Format(DateTimeOffset.UtcNow),
        }, indented: true);
        return Encoding.UTF8.GetBytes(json);
    }

    public AuditSchema? Find(string schemaKey) => _all.TryGetValue(schemaKey, out var s) ? s : null;

    /// <summary>Checks a payload against its schema key; unknown keys fail unless strict is off.</summary>
    public void Validate(string schemaKey, JsonElement payload, bool strict)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, "An audit payload must be a JSON object (a hashtable or an object with properties).", schemaKey);
        }

        if (!_all.TryGetValue(schemaKey, out var schema))
        {
            if (!KeyPattern.IsMatch(schemaKey))
            {
                throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{schemaKey}' is not a schema key: use lowercase dotted names ending in a version, like 'acme.review.v1'.", schemaKey);
            }

            if (strict)
            {
                throw new EvalSigException(EvalSigError.AuditSchemaUnknown, EvalSigErrorKind.InvalidArgument, $"Unknown schema key '{schemaKey}'. " + Diagnostics.Surface.Say("Register it with Register-AuditSchema, or pass -StrictSchema:$false to record it unchecked. Get-AuditSchema lists the known keys.", "Register it with `evalsig audit schema register`, or pass --no-strict-schema to record it unchecked. `evalsig audit schema list` lists the known keys."), schemaKey);
            }

            return;
        }

        var problems = new List<string>();
        foreach (var f in schema.RequiredFields)
        {
            var present = f.Names.Select(n => payload.TryGetProperty(n, out var e) && e.ValueKind != JsonValueKind.Null ? (Name: n, Value: e) : ((string Name, JsonElement Value)?)null).FirstOrDefault(x => x is not null);
            var names = string.Join("' or '", f.Names);
            if (present is not { } found)
            {
                problems.Add($"'{names}' is missing");
            }
            else if (!Matches(found.Value.ValueKind, f.Type))
            {
                problems.Add($"'{found.Name}' must be {f.Type.ToString().ToLowerInvariant()}, not {found.Value.ValueKind.ToString().ToLowerInvariant()}");
            }
        }

        if (problems.Count > 0)
        {
            throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, $"The payload does not satisfy schema '{schemaKey}': {string.Join("; ", problems)}.", schemaKey);
        }
    }

    /// <summary>Adds (or replaces) a custom schema in the ledger directory, atomically.</summary>
    public static AuditSchema Register(string ledgerDirectory, string schemaKey, IEnumerable<PayloadField> requiredFields, string? description)
    {
        var added = NewSchema(schemaKey, requiredFields, description);
        Directory.CreateDirectory(ledgerDirectory);
        using var guard = LedgerLock.Acquire(Path.Combine(ledgerDirectory, "schemas.lock"), TimeSpan.FromSeconds(30));
        var existing = Load(ledgerDirectory).All.Where(s => !s.BuiltIn && s.SchemaKey != schemaKey).ToList();
        existing.Add(added);
        var bytes = ToJson(existing);
        AtomicFile.Write(Path.Combine(ledgerDirectory, FileName), s => s.Write(bytes), noClobber: false);
        return added;
    }

    /// <summary>Adds (or replaces) a custom schema of any ledger (object storage: a conditional write of schemas.json).</summary>
    public static AuditSchema Register(IAuditBackend ledger, string schemaKey, IEnumerable<PayloadField> requiredFields, string? description)
        => ledger switch
        {
            ObjectLedger o => o.RegisterSchema(NewSchema(schemaKey, requiredFields, description)),
            LocalLedger l => Register(l.Directory, schemaKey, requiredFields, description),
            _ => throw new ArgumentException("unknown ledger backend", nameof(ledger)),
        };

    private static AuditSchema NewSchema(string schemaKey, IEnumerable<PayloadField> requiredFields, string? description)
    {
        ArgumentNullException.ThrowIfNull(schemaKey);
        if (!KeyPattern.IsMatch(schemaKey))
        {
            throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{schemaKey}' is not a schema key: use lowercase dotted names ending in a version, like 'acme.review.v1'.", schemaKey);
        }

        if (BuiltIn.Any(b => b.SchemaKey == schemaKey))
        {
            throw new EvalSigException(EvalSigError.AuditSchemaInvalid, EvalSigErrorKind.InvalidArgument, $"'{schemaKey}' is a built-in schema key and cannot be redefined.", schemaKey);
        }

        return new AuditSchema(schemaKey, requiredFields.ToList(), false, description);
    }

    private static bool Matches(JsonValueKind kind, PayloadFieldType type) => type switch
    {
        PayloadFieldType.String => kind == JsonValueKind.String,
        PayloadFieldType.Number => kind == JsonValueKind.Number,
        PayloadFieldType.Boolean => kind is JsonValueKind.True or JsonValueKind.False,
        PayloadFieldType.Object => kind == JsonValueKind.Object,
        PayloadFieldType.Array => kind == JsonValueKind.Array,
        _ => true,
    };

    private static AuditSchema S(string key, string description, params (string Name, PayloadFieldType Type)[] fields)
        => new(key, fields.Select(f => new PayloadField(f.Name, f.Type)).ToList(), true, description);
}
