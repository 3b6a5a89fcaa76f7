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
/// evalsig audit append|query|verify|export|status|checkpoint|key|repair|migrate|prove: the cmdlets'
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
        audit.Subcommands.Add(Verify(stdout, stderr, observer));
        audit.Subcommands.Add(Export(stdout, observer));
        audit.Subcommands.Add(Status(stdout, observer));
        audit.Subcommands.Add(Checkpoint(stdout, observer));
        audit.Subcommands.Add(Key(stdout, observer));
        audit.Subcommands.Add(Repair(stdout));
        audit.Subcommands.Add(Migrate(stdout, observer));
        audit.Subcommands.Add(TransparencyCommands.Prove(stdout));
        audit.Subcommands.Add(AuditSignCommand.Build(stdout));
        audit.Subcommands.Add(AuditSchemaCommands.Build(stdout));
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

    /// <summary>Payloads from --payload-file, else --payload, else JSON lines on stdin ('-' or none); blank lines are skipped.</summary>
    internal static List<string> ReadPayloads(FileInfo? file, string? payload)
    {
        var payloads = new List<string>();
        if (file is { } f)
        {
            if (!f.Exists)
            {
                throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.ObjectNotFound, $"The payload file '{f.FullName}' does not exist.");
            }

            payloads.Add(File.ReadAllText(f.FullName));
        }
        else if (payload is { } text && text != "-")
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

        return payloads;
    }

    internal static Option<string?> LedgerOption() => new("--ledger") { Description = "Ledger: a directory, or az://container/prefix, s3://bucket/prefix, gs://..., r2://... (default: $EVALSIG_AUDIT_BACKEND, else $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };

    /// <summary>Queries any backend; a local ledger's index is authenticated with the key (or read unauthenticated, with a warning).</summary>
    private static IEnumerable<AuditRecord> QueryAny(IAuditBackend backend, AuditQuery q, string[]? keys, CliObserver observer)
        => backend is LocalLedger local ? local.Query(q, ReadOptions(keys, observer)) : backend.Query(q);

    internal static Option<string[]> KeyOption(string description = "Key file(s); default (only when no --key-path is given): $EVALSIG_AUDIT_KEY (the base64 key text), else $EVALSIG_AUDIT_KEY_FILE (a key file path). Several for rotated keys.") => new("--key-path") { Description = description, AllowMultipleArgumentsPerToken = true };

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
        var batchSize = new Option<int?>("--batch-size") { Description = "Append stdin's lines in batches of this many, each acknowledged on its own (default: all in one batch)." };
        var immutable = new Option<bool>("--immutable") { Description = "Object storage: create each object with write-once retention (S3 Object Lock, Azure immutability policy)." };
        var retentionDays = new Option<int>("--retention-days") { Description = "With --immutable: days of retention from the write.", DefaultValueFactory = _ => 365 };
        var retentionMode = new Option<string>("--retention-mode") { Description = "With --immutable: governance or compliance.", DefaultValueFactory = _ => "governance" };
        var cmd = new Command("append", "Append records (one batch, one fsync or one object).");
        foreach (var o in new Option[] { ledger, keys, schema, project, payload, file, loose, json, updateIndex, batchSize, immutable, retentionDays, retentionMode })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var payloads = ReadPayloads(p.GetValue(file), p.GetValue(payload));

            var schemaKey = p.GetValue(schema) ?? (payloads.Count > 0 && LooksLikeGateReport(payloads[0]) ? "evalsig.gate.v1" : null)
                ?? throw new EvalSigException(EvalSigError.AuditSchemaUnknown, EvalSigErrorKind.InvalidArgument, "Give --schema-key (only a gate report is recorded without one).");
            var key = SigningKey(p.GetValue(keys), observer);
            var options = p.GetValue(immutable) ? new AuditBackendOptions { Retention = AuditRetention.Parse(p.GetValue(retentionMode) + ":" + p.GetValue(retentionDays).ToString(CultureInfo.InvariantCulture)) } : null;
            var target = AuditLog.Open(p.GetValue(ledger), options);
            var entries = payloads.Select(x => new AuditEntry(schemaKey, p.GetValue(project), x)).ToList();
            var size = p.GetValue(batchSize) ?? Math.Max(1, entries.Count);
            if (size < 1)
            {
                throw new EvalSigException(EvalSigError.AuditPayloadInvalid, EvalSigErrorKind.InvalidArgument, "--batch-size must be 1 or more.");
            }

            for (var i = 0; i < entries.Count; i += size)
            {
                foreach (var r in AuditLog.Append(target, key, entries.GetRange(i, Math.Min(size, entries.Count - i)), !p.GetValue(loose), new AuditAppendOptions { UpdateIndex = p.GetValue(updateIndex), Observer = observer }))
                {
                    stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey} {r.RecordId}");
                }

                stdout.Flush();
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
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
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
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.UpperBound(p.GetValue(to), "--to"), First = p.GetValue(first), Skip = p.GetValue(skip) };
            foreach (var r in QueryAny(AuditLog.Open(p.GetValue(ledger)), q, p.GetValue(keys), observer))
            {
                stdout.WriteLine(p.GetValue(json) ? r.ToJson() : $"{r.ChainPosition,8} {r.TimestampText} {r.SchemaKey,-32} {r.ProjectId ?? "-",-16} {r.RecordId}");
            }

            return 0;
        });
        return cmd;
    }

    private static Command Verify(TextWriter stdout, TextWriter stderr, CliObserver observer)
    {
        var ledger = LedgerOption();
        var keys = KeyOption();
        var path = new Option<FileInfo?>("--path") { Description = "Verify an export (JSONL or CSV, gzipped or not) instead of the ledger." };
        var checkpoint = new Option<FileInfo[]>("--checkpoint") { Description = "A checkpoint kept outside the ledger (always checked); with --public-key, signed tree heads, oldest first.", AllowMultipleArgumentsPerToken = true };
        var range = new Option<bool>("--range") { Description = "The export is a contiguous range on purpose, not the whole chain from position 0." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write the result as JUnit XML (one test case: passed when valid)." };
        var ci = new Option<string?>("--ci") { Description = "Pipeline output: auto (default), none, azure-devops or github-actions (a status line, and an error annotation when invalid)." };
        var publicKey = new Option<string?>("--public-key") { Description = "Verify signed tree heads with the log's public key (verifier key text or .pub file): no HMAC key needed." };
        var proofs = new Option<FileInfo[]>("--consistency-proof") { Description = "With --public-key: consistency proofs between the heads (from `audit prove consistency`), instead of the ledger.", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("verify", "Verify canonical lines, HMACs, positions and links; or, with --public-key, signed heads, their consistency, the ledger against them and proof exports (exit 0 valid, 1 invalid; 65 when there is nothing to verify).");
        foreach (var o in new Option[] { ledger, keys, path, checkpoint, range, json, junit, ci, publicKey, proofs })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var checkpoints = p.GetValue(checkpoint) ?? Array.Empty<FileInfo>();
            if (p.GetValue(publicKey) is { } pk)
            {
                return TransparencyCommands.Verify(stdout, pk, checkpoints, p.GetValue(proofs) ?? Array.Empty<FileInfo>(), p.GetValue(ledger), p.GetValue(path), p.GetValue(json));
            }

            if (checkpoints.Length > 1)
            {
                throw new EvalSigException(EvalSigError.AuditCheckpointInvalid, EvalSigErrorKind.InvalidArgument, "With the HMAC key, give one --checkpoint. Several signed tree heads are verified with --public-key.");
            }

            if (p.GetValue(range) && p.GetValue(path) is null)
            {
                throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.InvalidArgument, "--range applies to an export (--path): a ledger is always verified whole.");
            }

            var pipeline = CiOutput.Create(p.GetValue(ci), p.GetValue(json), stdout, stderr);
            var ring = Ring(p.GetValue(keys), observer);
            var cp = checkpoints.Length == 1 ? AuditCheckpoint.Load(checkpoints[0].FullName) : null;
            ChainVerification v;
            string subject;
            if (p.GetValue(path) is { } export)
            {
                subject = export.FullName;
                v = AuditLog.VerifyExport(export.FullName, ring, cp, p.GetValue(range));
            }
            else
            {
                var backend = AuditLog.Open(p.GetValue(ledger));
                subject = backend.Location;
                if (backend is LocalLedger local)
                {
                    local.RequireLedger();
                }

                var length = AuditLog.StoredBytes(backend);
                var (progress, done) = pipeline.Status("evalsig audit verify " + backend.Location);
                v = AuditLog.Verify(backend, ring, cp, progress is null ? null : new Progress(progress, length));
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
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
        var withProofs = new Option<bool>("--with-proofs") { Description = "Write each record with its inclusion proof against the signed head --checkpoint, so the file verifies alone." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "The signed tree head the proofs of --with-proofs are against." };
        var cmd = new Command("export", "Export records as JSONL or CSV (atomically).");
        foreach (var o in new Option[] { ledger, keys, output, format, compress, noClobber, schema, project, from, to, withProofs, checkpoint })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            if (p.GetValue(withProofs))
            {
                var pq = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.UpperBound(p.GetValue(to), "--to") };
                return TransparencyCommands.Export(stdout, Console.Error, new LocalLedger(p.GetValue(ledger)), pq, p.GetValue(checkpoint), p.GetValue(format)!, p.GetValue(output)!, p.GetValue(compress), p.GetValue(noClobber));
            }

            var f = p.GetValue(format)!.ToUpperInvariant() switch
            {
                "JSONL" => AuditExportFormat.Jsonl,
                "CSV" => AuditExportFormat.Csv,
                _ => throw new EvalSigException(EvalSigError.AuditExportInvalid, EvalSigErrorKind.InvalidArgument, "--format must be jsonl or csv."),
            };
            var q = new AuditQuery { SchemaKey = p.GetValue(schema), ProjectId = p.GetValue(project), From = CliArgs.Instant(p.GetValue(from), "--from"), To = CliArgs.UpperBound(p.GetValue(to), "--to") };
            var n = AuditExport.Write(QueryAny(AuditLog.Open(p.GetValue(ledger)), q, p.GetValue(keys), observer), p.GetValue(output)!.FullName, f, p.GetValue(compress), p.GetValue(noClobber));
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
            var opened = AuditLog.Open(p.GetValue(ledger));
            var s = opened is LocalLedger localLedger ? localLedger.GetStatus(ReadOptions(p.GetValue(keys), observer)) : opened.GetStatus();
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
            if (s.Container is not null)
            {
                stdout.WriteLine($"{"Container",-14} {s.Container}");
                stdout.WriteLine($"{"Endpoint",-14} {s.Endpoint}");
                stdout.WriteLine($"{"Conditional",-14} {(s.ConditionalWrites is { } c ? (c ? "yes (If-None-Match enforced)" : "no (If-None-Match ignored)") : "unknown")}");
                stdout.WriteLine($"{"Writers",-14} {s.WriterMode}");
                stdout.WriteLine($"{"Retention",-14} {(s.RetentionEnforced is { } e ? (e ? "enforced" : "not enforced") : "unknown")}{(s.Retention is null ? string.Empty : " - " + s.Retention)}");
            }
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
        var signingKey = new Option<FileInfo?>("--signing-key") { Description = "An Ed25519 signing key (audit key --type ed25519): write a signed tree head that auditors verify with the public key." };
        var signed = new Option<bool>("--sign") { Description = "Write a signed tree head with the key in $EVALSIG_SIGNING_KEY (or --signing-key)." };
        var cmd = new Command("checkpoint", "Write a checkpoint of the head to keep outside the ledger: MAC'd, or a signed tree head (--signing-key).");
        foreach (var o in new Option[] { ledger, keys, output, noClobber, signingKey, signed })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var backend = AuditLog.Open(p.GetValue(ledger));
            if (p.GetValue(signingKey) is not null || p.GetValue(signed))
            {
                if (backend is not LocalLedger localLedger)
                {
                    throw new EvalSigException(EvalSigError.AuditTreeHeadInvalid, EvalSigErrorKind.InvalidArgument, "Signed tree heads are kept for a local ledger; an object-storage ledger has HMAC checkpoints only.", backend.Location);
                }

                return TransparencyCommands.Checkpoint(stdout, localLedger, Ring(p.GetValue(keys), observer, forSigning: true), p.GetValue(signingKey), p.GetValue(output)!, p.GetValue(noClobber));
            }

            var cp = AuditLog.Checkpoint(backend, Ring(p.GetValue(keys), observer, forSigning: true));
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
        var type = new Option<string>("--type") { Description = "hmac (the key that MACs records) or ed25519 (the key that signs tree heads; its public key goes to <output>.pub).", DefaultValueFactory = _ => "hmac" };
        var name = new Option<string?>("--name") { Description = "With --type ed25519: the log's name, the origin of its heads (e.g. example.com/audit)." };
        var cmd = new Command("key", "Create an audit key: a 256-bit HMAC key, or an Ed25519 signing key for tree heads; 'key rotate' rotates an HMAC key file.");
        foreach (var o in new Option[] { output, force, base64, type, name })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            switch (p.GetValue(type)!.ToUpperInvariant())
            {
                case "ED25519":
                    var keyFile = p.GetValue(output) is { } kf && !p.GetValue(base64) ? kf : throw new EvalSigException(EvalSigError.AuditSigningKeyInvalid, EvalSigErrorKind.InvalidArgument, "An Ed25519 key is created as a file: give --output <file> (its public key goes to <file>.pub), not --base64.");
                    return TransparencyCommands.Key(stdout, keyFile, p.GetValue(name), p.GetValue(force));
                case "HMAC":
                    break;
                default:
                    throw new EvalSigException(EvalSigError.AuditKeyInvalid, EvalSigErrorKind.InvalidArgument, "--type must be hmac or ed25519.");
            }

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
        var rebuild = new Option<bool>("--rebuild-index") { Description = "Also rebuild the query index (MAC'd with --key-path, else $EVALSIG_AUDIT_KEY; or an object-storage ledger's local cache) from the records." };
        var keys = KeyOption("Key file(s) for --rebuild-index of a local ledger's authenticated index; default: $EVALSIG_AUDIT_KEY.");
        var cmd = new Command("repair", "Move a torn final line (or interrupted batch) to quarantine/; check the Merkle tree and rebuild it if it differs; --rebuild-index rebuilds the query index.");
        cmd.Options.Add(keys);
        cmd.Options.Add(ledger);
        cmd.Options.Add(dryRun);
        cmd.Options.Add(rebuild);
        cmd.SetAction(p =>
        {
            var opened = AuditLog.Open(p.GetValue(ledger));
            if (opened is ObjectLedger cloud)
            {
                if (p.GetValue(rebuild) && !p.GetValue(dryRun))
                {
                    cloud.RebuildIndex();
                    stdout.WriteLine($"query cache rebuilt from the objects -> {cloud.CacheDirectory}");
                }

                stdout.WriteLine("nothing to repair: object storage writes each object whole");
                return 0;
            }

            var l = (LocalLedger)opened;
            var plan = l.PlanRepair();
            if (plan is null)
            {
                if (p.GetValue(rebuild) && !p.GetValue(dryRun))
                {
                    l.RebuildIndex(AuditKeyring.Resolve(p.GetValue(keys), null));
                    stdout.WriteLine("index rebuilt");
                }

                stdout.WriteLine("nothing to repair");
            }
            else if (p.GetValue(dryRun))
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"would quarantine {plan.Value.Length} bytes from offset {plan.Value.From} ({plan.Value.Reason})"));
            }
            else
            {
                stdout.WriteLine($"quarantined -> {l.Repair()}");
            }

            TransparencyCommands.RepairTree(stdout, l, p.GetValue(dryRun));
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
