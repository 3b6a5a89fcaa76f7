using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Json;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>
/// evalsig audit append|query|verify|export|status|checkpoint|key|repair|migrate: the cmdlets'
/// audit trail for bash steps. Exit codes: verify 0 valid / 1 invalid; errors 64 / 65 / 70 as
/// everywhere. Warnings and progress go to stderr.
/// </summary>
internal static class AuditCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var observer = CliObserver.ForConsole(stderr);
        var audit = new Command("audit", "The tamper-evident audit ledger.");
        audit.Subcommands.Add(Append(stdout, observer));
        audit.Subcommands.Add(Query(stdout, observer));
        audit.Subcommands.Add(Verify(stdout, observer));
        audit.Subcommands.Add(Export(stdout, observer));
        audit.Subcommands.Add(Status(stdout, observer));
        audit.Subcommands.Add(Checkpoint(stdout, observer));
        audit.Subcommands.Add(Key(stdout, observer));
        audit.Subcommands.Add(Repair(stdout));
        audit.Subcommands.Add(Migrate(stdout, observer));
        return audit;
    }

    /// <summary>The signing key of --key-path (else $EVALSIG_AUDIT_KEY): an exposed key file or a verify-only key is refused.</summary>
    private static AuditKey SigningKey(string[]? paths, CliObserver observer)
    {
        var ring = AuditKeyring.Resolve(paths, null, forSigning: true);
        observer.Keyring(ring);
        return ring.SigningKey;
    }

    private static AuditKeyring Ring(string[]? paths, CliObserver observer, bool forSigning = false)
    {
        var ring = AuditKeyring.Resolve(paths, null, forSigning);
        observer.Keyring(ring);
        return ring;
    }

    private static AuditReadOptions ReadOptions(string[]? paths, CliObserver observer)
    {
        var ring = AuditKeyring.TryResolve(paths, null);
        observer.Keyring(ring);
        return new AuditReadOptions { Keyring = ring, Observer = observer };
    }

    private static Option<string?> LedgerOption() => new("--ledger") { Description = "Ledger directory (default: $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };

    private static Option<string[]> KeyOption(string description = "Key file(s); default: $EVALSIG_AUDIT_KEY (only when no --key-path is given). Several for rotated keys.") => new("--key-path") { Description = description, AllowMultipleArgumentsPerToken = true };

    private static Command Append(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var schema = new Option<string?>("--schema-key") { Description = "Schema key of the record (evalsig.gate.v1 for a gate report)." };
        var project = new Option<string?>("--project-id") { Description = "Project the record belongs to." };
        var payload = new Option<string?>("--payload") { Description = "The payload as JSON text; '-' or none reads JSON lines from stdin (one record each, one batch)." };
        var file = new Option<FileInfo?>("--payload-file") { Description = "A JSON file: one payload, or a gate report (from gate --json / --output)." };
        var loose = new Option<bool>("--no-strict-schema") { Description = "Record unknown schema keys unchecked." };
        var json = new Option<bool>("--json") { Description = "Print the records as JSON lines." };
        var updateIndex = new Option<bool>("--update-index") { Description = "Bring index.sqlite level as part of the append (the next query has nothing to catch up)." };
        var cmd = new Command("append", "Append records (one batch, one fsync).");
        foreach (var o in new Option[] { ledger, keys, schema, project, payload, file, loose, json, updateIndex })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var payloads = new List<string>();
            if (p.GetValue(file) is { } f)
            {
                if (!f.Exists)
                {
                    throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.ObjectNotFound, $"The payload file '{f.FullName}' does not exist.");
                }

                payloads.Add(File.ReadAllText(f.FullName));
            }
            else if (p.GetValue(payload) is { } text && text != "-")
            {
                payloads.Add(text);
            }
            else
            {
                string? line;
                while ((line = Console.In.ReadLine()) is not null)
                {
                    if (line.Trim().Length > 0)
                    {
                        payloads.Add(line);
                    }
                }
            }

            var schemaKey = p.GetValue(schema) ?? (payloads.Count > 0 && LooksLikeGateReport(payloads[0]) ? "evalsig.gate.v1" : null)
                ?? throw new EvalSigException(EvalSigError.AuditSchemaUnknown, EvalSigErrorKind.InvalidArgument, "Give --schema-key (only a gate report is recorded without one).");
            var key = SigningKey(p.GetValue(keys), observer);
            var records = AuditLog.Append(new LocalLedger(p.GetValue(ledger)), key, payloads.Select(x => new AuditEntry(schemaKey, p.GetValue(project), x)).ToList(), !p.GetValue(loose), new AuditAppendOptions { UpdateIndex = p.GetValue(updateIndex), Observer = observer });
            foreach (var r in records)
            {
                stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey} {r.RecordId}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Query(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption("Key file(s) to authenticate index.sqlite; default: $EVALSIG_AUDIT_KEY; without a key the index is read unauthenticated (a warning says so).");
        var schema = new Option<string?>("--schema-key") { Description = "Only this schema key." };
        var project = new Option<string?>("--project-id") { Description = "Only this project." };
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601)." };
        var first = new Option<int?>("--first") { Description = "At most this many." };
        var skip = new Option<int>("--skip") { Description = "Skip this many first.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the stored JSON lines." };
        var cmd = new Command("query", "Records in chain order.");
        foreach (var o in new Option[] { ledger, keys, schema, project, from, to, first, skip, json })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.Instant(p.GetValue(to), "--to"), First = p.GetValue(first), Skip = p.GetValue(skip) };
            foreach (var r in new LocalLedger(p.GetValue(ledger)).Query(q, ReadOptions(p.GetValue(keys), observer)))
            {
                stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey,-32} {r.ProjectId ?? "-",-16} {r.RecordId}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Verify(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var path = new Option<FileInfo?>("--path") { Description = "Verify an export (JSONL or CSV, gzipped or not) instead of the ledger." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "A checkpoint kept outside the ledger (always checked)." };
        var range = new Option<bool>("--range") { Description = "The export is a contiguous range on purpose, not the whole chain from position 0." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var cmd = new Command("verify", "Verify canonical lines, HMACs, positions and links (exit 0 valid, 1 invalid; 65 when there is nothing to verify).");
        foreach (var o in new Option[] { ledger, keys, path, checkpoint, range, json })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var ring = Ring(p.GetValue(keys), observer);
            var cp = p.GetValue(checkpoint) is { } c ? AuditCheckpoint.Load(c.FullName) : null;
            if (p.GetValue(range) && p.GetValue(path) is null)
            {
                throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.InvalidArgument, "--range applies to an export (--path): a ledger is always verified whole.");
            }

            var v = p.GetValue(path) is { } export
                ? AuditLog.VerifyExport(export.FullName, ring, cp, p.GetValue(range))
                : AuditLog.Verify(new LocalLedger(p.GetValue(ledger)), ring, cp);
            if (p.GetValue(json))
            {
                stdout.WriteLine(JsonValues.Serialize(new Dictionary<string, object?>
                {
                    ["valid"] = v.Valid,
                    ["verified_count"] = v.VerifiedCount,
                    ["tampered_count"] = v.TamperedCount,
                    ["first_tampered"] = v.FirstTampered is { } t ? new Dictionary<string, object?> { ["record_id"] = t.RecordId, ["position"] = t.Position, ["reason"] = t.Reason } : null,
                    ["gaps"] = v.Gaps,
                    ["duplicates"] = v.Duplicates,
                    ["anchored"] = v.Anchored,
                    ["torn_tail"] = v.TornTail,
                    ["legacy_count"] = v.LegacyCount,
                    ["reason"] = v.Reason,
                    ["notes"] = v.Notes,
                }, indented: true));
            }
            else
            {
                stdout.WriteLine($"{(v.Valid ? "VALID" : "INVALID")}  {v.Reason}");
                stdout.WriteLine($"verified {v.VerifiedCount}, tampered {v.TamperedCount}, gaps {v.Gaps.Count}, duplicates {v.Duplicates.Count}, anchored {(v.Anchored ? "yes" : "no")}");
                foreach (var n in v.Notes)
                {
                    stdout.WriteLine("note: " + n);
                }
            }

            return v.Valid ? 0 : 1;
        });
        return cmd;
    }

    private static Command Export(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption("Key file(s) to authenticate index.sqlite for the query; default: $EVALSIG_AUDIT_KEY.");
        var output = new Option<FileInfo>("--output") { Description = "The export file.", Required = true };
        var format = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        var compress = new Option<bool>("--compress") { Description = "Gzip the file." };
        var noClobber = new Option<bool>("--no-clobber") { Description = "Fail rather than replace a file." };
        var schema = new Option<string?>("--schema-key") { Description = "Only this schema key." };
        var project = new Option<string?>("--project-id") { Description = "Only this project." };
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601)." };
        var cmd = new Command("export", "Export records as JSONL or CSV (atomically).");
        foreach (var o in new Option[] { ledger, keys, output, format, compress, noClobber, schema, project, from, to })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var f = p.GetValue(format)!.ToUpperInvariant() switch
            {
                "JSONL" => AuditExportFormat.Jsonl,
                "CSV" => AuditExportFormat.Csv,
                _ => throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.InvalidArgument, "--format must be jsonl or csv."),
            };
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.Instant(p.GetValue(to), "--to") };
            var n = AuditExport.Write(new LocalLedger(p.GetValue(ledger)).Query(q, ReadOptions(p.GetValue(keys), observer)), p.GetValue(output)!.FullName, f, p.GetValue(compress), p.GetValue(noClobber));
            stdout.WriteLine($"{n} records -> {p.GetValue(output)!.FullName}");
            return 0;
        });
        return cmd;
    }

    private static Command Status(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption("Key file(s) to authenticate index.sqlite; default: $EVALSIG_AUDIT_KEY.");
        var cmd = new Command("status", "The ledger's state.");
        cmd.Options.Add(ledger);
        cmd.Options.Add(keys);
        cmd.SetAction(p =>
        {
            var s = new LocalLedger(p.GetValue(ledger)).GetStatus(ReadOptions(p.GetValue(keys), observer));
            stdout.WriteLine($"{"Status",-14} {s.Status}");
            stdout.WriteLine($"{"Backend",-14} {s.Backend}");
            stdout.WriteLine($"{"Records",-14} {s.RecordCount}");
            stdout.WriteLine($"{"ChainLength",-14} {s.ChainLength}");
            stdout.WriteLine($"{"LastAppendAt",-14} {(s.LastAppendAt is { } t ? IsoTime.Format(t) : "-")}");
            stdout.WriteLine($"{"IndexHealthy",-14} {s.IndexHealthy}");
            stdout.WriteLine($"{"IndexAuthenticated",-14} {s.IndexAuthenticated}");
            stdout.WriteLine($"{"RecordFormat",-14} {s.RecordFormat}");
            stdout.WriteLine($"{"TornTail",-14} {s.TornTail}");
            stdout.WriteLine($"{"Uncommitted",-14} {s.UncommittedBytes}");
            stdout.WriteLine($"{"Schemas",-14} {s.SchemaCount}");
            stdout.WriteLine($"{"Ledger",-14} {s.LedgerPath}");
            foreach (var problem in s.Problems)
            {
                stdout.WriteLine($"{"Problem",-14} {problem}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Checkpoint(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var output = new Option<FileInfo>("--output") { Description = "Where to write the checkpoint.", Required = true };
        var noClobber = new Option<bool>("--no-clobber") { Description = "Fail rather than replace a file." };
        var cmd = new Command("checkpoint", "Write a MAC'd checkpoint of the head, to keep outside the ledger.");
        foreach (var o in new Option[] { ledger, keys, output, noClobber })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var cp = AuditLog.Checkpoint(new LocalLedger(p.GetValue(ledger)), Ring(p.GetValue(keys), observer, forSigning: true));
            var bytes = Encoding.UTF8.GetBytes(cp.ToJson() + "\n");
            AtomicFile.Write(p.GetValue(output)!.FullName, s => s.Write(bytes), p.GetValue(noClobber));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint position {cp.Position} ({cp.RecordCount} records) -> {p.GetValue(output)!.FullName}"));
            return 0;
        });
        return cmd;
    }

    private static Command Key(TextWriter stdout, CliObserver observer)
    {
        var output = new Option<FileInfo?>("--output") { Description = "Create a key file (owner-only permissions)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file (prefer 'evalsig audit key rotate')." };
        var base64 = new Option<bool>("--base64") { Description = "Print a new key as base64 (for a pipeline secret)." };
        var cmd = new Command("key", "Create a 256-bit audit key; 'key rotate' rotates a key file.");
        foreach (var o in new Option[] { output, force, base64 })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            if (p.GetValue(base64))
            {
                stdout.WriteLine(AuditKey.Generate().ExportBase64());
                return 0;
            }

            var file = p.GetValue(output) ?? throw new EvalSigException(EvalSigError.AuditKeyMissing, EvalSigErrorKind.InvalidArgument, "Give --output <file> or --base64.");
            var key = AuditKeyFile.Create(file.FullName, p.GetValue(force));
            stdout.WriteLine($"key_id {key.KeyId} -> {file.FullName}");
            return 0;
        });

        var keyPath = new Option<FileInfo>("--key-path") { Description = "The key file to rotate.", Required = true };
        var ledger = LedgerOption();
        ledger.Description = "Also record the rotation in this ledger (signed by the new key).";
        var rotate = new Command("rotate", "Rotate a key file: a new active key signs from now on, the old one stays verify-only.");
        rotate.Options.Add(keyPath);
        rotate.Options.Add(ledger);
        rotate.SetAction(p =>
        {
            var path = p.GetValue(keyPath)!.FullName;
            var (next, retired) = AuditKeyFile.Rotate(path);
            if (p.GetValue(ledger) is { } l)
            {
                var r = AuditLog.RecordRotation(new LocalLedger(l), next, retired.KeyId);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rotation recorded at position {r.ChainPosition} of {r.Backend} ledger {l}"));
            }

            stdout.WriteLine($"key_id {next.KeyId} active, {retired.KeyId} verify-only -> {path}");
            return 0;
        });
        cmd.Subcommands.Add(rotate);
        return cmd;
    }

    private static Command Migrate(TextWriter stdout, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption("The key that signs the migration record, and any older keys the format-1 records need; default: $EVALSIG_AUDIT_KEY.");
        var cmd = new Command("migrate", "Verify a format-1 ledger and seal its records with a migration record (explicit, once; nothing is rewritten).");
        cmd.Options.Add(ledger);
        cmd.Options.Add(keys);
        cmd.SetAction(p =>
        {
            var result = AuditLog.Migrate(new LocalLedger(p.GetValue(ledger)), Ring(p.GetValue(keys), observer, forSigning: true));
            stdout.WriteLine((result.Migrated ? "migrated: " : "unchanged: ") + result.Reason);
            return 0;
        });
        return cmd;
    }

    private static Command Repair(TextWriter stdout)
    {
        var ledger = LedgerOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be done." };
        var cmd = new Command("repair", "Move a torn final line (or interrupted batch) to quarantine/.");
        cmd.Options.Add(ledger);
        cmd.Options.Add(dryRun);
        cmd.SetAction(p =>
        {
            var l = new LocalLedger(p.GetValue(ledger));
            var plan = l.PlanRepair();
            if (plan is null)
            {
                stdout.WriteLine("nothing to repair");
                return 0;
            }

            if (p.GetValue(dryRun))
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"would quarantine {plan.Value.Length} bytes from offset {plan.Value.From} ({plan.Value.Reason})"));
                return 0;
            }

            stdout.WriteLine($"quarantined -> {l.Repair()}");
            return 0;
        });
        return cmd;
    }

    private static bool LooksLikeGateReport(string json)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && doc.RootElement.TryGetProperty("verdict", out _) && doc.RootElement.TryGetProperty("comparison", out _);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
