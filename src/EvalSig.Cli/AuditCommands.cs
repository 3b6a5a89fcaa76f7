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
using EvalSig.Core.Pipelines;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>
/// evalsig audit append|query|verify|export|status|checkpoint|key|repair: the cmdlets' audit trail
/// for bash steps. Exit codes: verify 0 valid / 1 invalid; errors 64 / 65 / 70 as everywhere.
/// </summary>
internal static class AuditCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var audit = new Command("audit", "The tamper-evident audit ledger.");
        audit.Subcommands.Add(Append(stdout));
        audit.Subcommands.Add(Query(stdout));
        audit.Subcommands.Add(Verify(stdout, stderr));
        audit.Subcommands.Add(Export(stdout));
        audit.Subcommands.Add(Status(stdout));
        audit.Subcommands.Add(Checkpoint(stdout));
        audit.Subcommands.Add(Key(stdout));
        audit.Subcommands.Add(Repair(stdout));
        audit.Subcommands.Add(AuditSignCommand.Build(stdout));
        audit.Subcommands.Add(AuditSchemaCommands.Build(stdout));
        return audit;
    }

    internal static Option<string?> LedgerOption() => new("--ledger") { Description = "Ledger directory (default: $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };

    internal static Option<string[]> KeyOption() => new("--key-path") { Description = "Key file(s); default: $EVALSIG_AUDIT_KEY (the base64 key text) or $EVALSIG_AUDIT_KEY_FILE (a key file path). Several for rotated keys.", AllowMultipleArgumentsPerToken = true };

    private static Command Append(TextWriter stdout)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var schema = new Option<string?>("--schema-key") { Description = "Schema key of the record (evalsig.gate.v1 for a gate report)." };
        var project = new Option<string?>("--project-id") { Description = "Project the record belongs to." };
        var payload = new Option<string?>("--payload") { Description = "The payload as JSON text; '-' or none reads JSON lines from stdin (one record each, one batch)." };
        var file = new Option<FileInfo?>("--payload-file") { Description = "A JSON file: one payload, or a gate report (from gate --json / --output)." };
        var loose = new Option<bool>("--no-strict-schema") { Description = "Record unknown schema keys unchecked." };
        var json = new Option<bool>("--json") { Description = "Print the records as JSON lines." };
        var cmd = new Command("append", "Append records (one batch, one fsync).");
        foreach (var o in new Option[] { ledger, keys, schema, project, payload, file, loose, json })
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
            var key = AuditKeyring.Resolve(p.GetValue(keys), null).Keys[0];
            var records = AuditLog.Append(new LocalLedger(p.GetValue(ledger)), key, payloads.Select(x => new AuditEntry(schemaKey, p.GetValue(project), x)).ToList(), !p.GetValue(loose));
            foreach (var r in records)
            {
                stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey} {r.RecordId}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Query(TextWriter stdout)
    {
        var ledger = LedgerOption();
        var schema = new Option<string?>("--schema-key") { Description = "Only this schema key." };
        var project = new Option<string?>("--project-id") { Description = "Only this project." };
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
        var first = new Option<int?>("--first") { Description = "At most this many." };
        var skip = new Option<int>("--skip") { Description = "Skip this many first.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print the stored JSON lines." };
        var cmd = new Command("query", "Records in chain order.");
        foreach (var o in new Option[] { ledger, schema, project, from, to, first, skip, json })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.UpperBound(p.GetValue(to), "--to"), First = p.GetValue(first), Skip = p.GetValue(skip) };
            foreach (var r in new LocalLedger(p.GetValue(ledger)).Query(q))
            {
                stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey,-32} {r.ProjectId ?? "-",-16} {r.RecordId}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Verify(TextWriter stdout, TextWriter stderr)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var path = new Option<FileInfo?>("--path") { Description = "Verify an export (JSONL or CSV, gzipped or not) instead of the ledger." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "A checkpoint kept outside the ledger." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write the result as JUnit XML (one test case: passed when valid)." };
        var ci = new Option<string?>("--ci") { Description = "Pipeline output: auto (default), none, azure-devops or github-actions (a status line, and an error annotation when invalid)." };
        var cmd = new Command("verify", "Verify HMACs, positions and links (exit 0 valid, 1 invalid).");
        foreach (var o in new Option[] { ledger, keys, path, checkpoint, json, junit, ci })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var pipeline = CiOutput.Create(p.GetValue(ci), p.GetValue(json), stdout, stderr);
            var ring = AuditKeyring.Resolve(p.GetValue(keys), null);
            var cp = p.GetValue(checkpoint) is { } c ? AuditCheckpoint.Load(c.FullName) : null;
            ChainVerification v;
            string subject;
            if (p.GetValue(path) is { } export)
            {
                subject = export.FullName;
                v = AuditLog.VerifyExport(export.FullName, ring, cp);
            }
            else
            {
                var local = new LocalLedger(p.GetValue(ledger));
                subject = local.Directory;
                var length = File.Exists(local.LedgerPath) ? new FileInfo(local.LedgerPath).Length : 0;
                var (progress, done) = pipeline.Status("evalsig audit verify " + local.Directory);
                v = AuditLog.Verify(local, ring, cp, progress is null ? null : new Progress(progress, length));
                done();
            }

            if (p.GetValue(junit) is { } junitFile)
            {
                CiOutput.WriteFile(junitFile, JUnitXml.Chain(v, subject, DateTimeOffset.UtcNow));
            }

            if (p.GetValue(json))
            {
                stdout.WriteLine(ChainVerificationText.Json(v));
            }
            else
            {
                pipeline.WriteText(ChainVerificationText.Text(v));
            }

            pipeline.Reporter.Chain(v, subject);
            return v.Valid ? 0 : 1;
        });
        return cmd;
    }

    private static Command Export(TextWriter stdout)
    {
        var ledger = LedgerOption();
        var output = new Option<FileInfo>("--output") { Description = "The export file.", Required = true };
        var format = new Option<string>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => "jsonl" };
        var compress = new Option<bool>("--compress") { Description = "Gzip the file." };
        var noClobber = new Option<bool>("--no-clobber") { Description = "Fail rather than replace a file." };
        var schema = new Option<string?>("--schema-key") { Description = "Only this schema key." };
        var project = new Option<string?>("--project-id") { Description = "Only this project." };
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
        var cmd = new Command("export", "Export records as JSONL or CSV (atomically).");
        foreach (var o in new Option[] { ledger, output, format, compress, noClobber, schema, project, from, to })
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
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.UpperBound(p.GetValue(to), "--to") };
            var n = AuditExport.Write(new LocalLedger(p.GetValue(ledger)).Query(q), p.GetValue(output)!.FullName, f, p.GetValue(compress), p.GetValue(noClobber));
            stdout.WriteLine($"{n} records -> {p.GetValue(output)!.FullName}");
            return 0;
        });
        return cmd;
    }

    private static Command Status(TextWriter stdout)
    {
        var ledger = LedgerOption();
        var cmd = new Command("status", "The ledger's state.");
        cmd.Options.Add(ledger);
        cmd.SetAction(p =>
        {
            var s = new LocalLedger(p.GetValue(ledger)).GetStatus();
            stdout.WriteLine($"{"Status",-14} {s.Status}");
            stdout.WriteLine($"{"Backend",-14} {s.Backend}");
            stdout.WriteLine($"{"Records",-14} {s.RecordCount}");
            stdout.WriteLine($"{"ChainLength",-14} {s.ChainLength}");
            stdout.WriteLine($"{"LastAppendAt",-14} {(s.LastAppendAt is { } t ? IsoTime.Format(t) : "-")}");
            stdout.WriteLine($"{"IndexHealthy",-14} {s.IndexHealthy}");
            stdout.WriteLine($"{"TornTail",-14} {s.TornTail}");
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

    private static Command Checkpoint(TextWriter stdout)
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
            var cp = AuditLog.Checkpoint(new LocalLedger(p.GetValue(ledger)), AuditKeyring.Resolve(p.GetValue(keys), null));
            var bytes = Encoding.UTF8.GetBytes(cp.ToJson() + "\n");
            AtomicFile.Write(p.GetValue(output)!.FullName, s => s.Write(bytes), p.GetValue(noClobber));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint position {cp.Position} ({cp.RecordCount} records) -> {p.GetValue(output)!.FullName}"));
            return 0;
        });
        return cmd;
    }

    private static Command Key(TextWriter stdout)
    {
        var output = new Option<FileInfo?>("--output") { Description = "Create a key file (owner-only permissions)." };
        var force = new Option<bool>("--force") { Description = "Replace an existing key file." };
        var base64 = new Option<bool>("--base64") { Description = "Print a new key as base64 (for a pipeline secret)." };
        var cmd = new Command("key", "Create a 256-bit audit key.");
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

    /// <summary>Bytes verified as a fraction of the ledger's size.</summary>
    private sealed class Progress : IProgress<long>
    {
        private readonly IProgress<double> _inner;
        private readonly double _total;

        public Progress(IProgress<double> inner, long total) => (_inner, _total) = (inner, Math.Max(1, total));

        public void Report(long value) => _inner.Report(value / _total);
    }
}
