using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>evalsig scorecard and evalsig envelope create|verify.</summary>
internal static class ComplianceCommands
{
    private static string ObjectStoreLocationOrPath(string root) => EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root) ? root : Path.GetFullPath(root);

    public static Command Scorecard(TextWriter stdout)
    {
        var ledger = new Option<string?>("--ledger") { Description = "Ledger: a directory or az://, s3://, gs://, r2:// (default: $EVALSIG_AUDIT_BACKEND, else $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };
        var from = new Option<string?>("--from") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var to = new Option<string?>("--to") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
        var asOf = new Option<string?>("--as-of") { Description = "The scorecard as the ledger stood at this time." };
        var project = new Option<string?>("--project-id") { Description = "Only this project." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var cmd = new Command("scorecard", "The T.R.U.S.T. scorecard of a window, from the audit ledger.");
        foreach (var o in new Option[] { ledger, from, to, asOf, project, json })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var card = TrustScorecards.Compute(AuditLog.Open(p.GetValue(ledger)), CliArgs.Instant(p.GetValue(from), "--from"), CliArgs.UpperBound(p.GetValue(to), "--to"), p.GetValue(project), CliArgs.UpperBound(p.GetValue(asOf), "--as-of"));
            if (p.GetValue(json))
            {
                stdout.WriteLine(JsonValues.Serialize(new OrderedStringDictionary
                {
                    ["dimensions"] = card.Dimensions.Select(d => new OrderedStringDictionary { ["name"] = d.Name, ["score"] = d.Score, ["trend"] = d.Trend, ["band"] = d.Band, ["status"] = d.Status, ["record_count"] = d.RecordCount }).ToList(),
                    ["record_count"] = card.RecordCount,
                    ["from"] = card.From is { } f ? IsoTime.Format(f) : null,
                    ["to"] = card.To is { } t ? IsoTime.Format(t) : null,
                    ["as_of"] = card.AsOf is { } a ? IsoTime.Format(a) : null,
                    ["project_id"] = card.ProjectId,
                    ["head_position"] = card.HeadPosition,
                    ["head_hmac"] = card.HeadHmac,
                }, indented: true));
            }
            else
            {
                foreach (var d in card.Dimensions)
                {
                    stdout.WriteLine(d.Score is { } s
                        ? string.Create(CultureInfo.InvariantCulture, $"{d.Name,-20} {s,6:0.0}  {d.Band,-6} {d.Trend,-5} ({d.RecordCount} records)")
                        : $"{d.Name,-20} {"-",6}  no data");
                }

                stdout.WriteLine($"{"Records",-20} {card.RecordCount}");
            }

            return 0;
        });
        return cmd;
    }

    public static Command Envelope(TextWriter stdout)
    {
        var envelope = new Command("envelope", "Audit envelopes: a decision with its data, MAC'd.");

        var baseline = new Argument<FileInfo>("baseline") { Description = "Baseline RunFrame file." };
        var candidate = new Argument<FileInfo>("candidate") { Description = "Candidate RunFrame file." };
        var output = new Option<FileInfo>("--output") { Description = "The envelope to write (never replaced).", Required = true };
        var report = new Option<FileInfo?>("--report") { Description = "A JSON gate report (from gate --output) to record; without it the gate runs here." };
        var minDelta = new Option<double>("--min-delta") { Description = "Min delta, when the gate runs here.", DefaultValueFactory = _ => 0 };
        var ledger = new Option<string?>("--ledger") { Description = "Ledger: a directory or az://, s3://, gs://, r2:// (default: $EVALSIG_AUDIT_BACKEND, else $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };
        var keys = new Option<string[]>("--key-path") { Description = "Key file(s); default: $EVALSIG_AUDIT_KEY (the base64 key text) or $EVALSIG_AUDIT_KEY_FILE (a key file path).", AllowMultipleArgumentsPerToken = true };
        var store = new Option<string?>("--store") { Description = "Also save both runs to this run store (a directory or az://, s3://...)." };
        var project = new Option<string?>("--project") { Description = "Run-store project (and ledger project)." };
        var create = new Command("create", "Record the decision in the ledger and write its envelope.");
        create.Arguments.Add(baseline);
        create.Arguments.Add(candidate);
        foreach (var o in new Option[] { output, report, minDelta, ledger, keys, store, project })
        {
            create.Options.Add(o);
        }

        create.SetAction(p =>
        {
            var b = p.GetValue(baseline)!.FullName;
            var c = p.GetValue(candidate)!.FullName;
            GateReport gate;
            if (p.GetValue(report) is { } r)
            {
                // A report from JSON: recompute it from the files with its recorded options, so the
                // envelope always holds a decision that follows from its data.
                using var doc = JsonDocument.Parse(File.ReadAllBytes(r.FullName));
                gate = EvalGate.Decide(RunFrameFile.Read(b), RunFrameFile.Read(c), GateReportJson.ReadOptions(doc.RootElement));
                if (gate.Verdict.ToString() != doc.RootElement.GetProperty("verdict").GetString())
                {
                    throw new EvalSigException(EvalSigError.EnvelopeInputMismatch, EvalSigErrorKind.InvalidData, $"The report says {doc.RootElement.GetProperty("verdict").GetString()} but these files give {gate.Verdict}: they are not the report's data.");
                }
            }
            else
            {
                gate = EvalGate.Decide(RunFrameFile.Read(b), RunFrameFile.Read(c), new GateOptions { MinDelta = p.GetValue(minDelta) });
            }

            var key = AuditKeyring.Resolve(p.GetValue(keys), null, forSigning: true).SigningKey;
            var info = AuditEnvelopes.Create(gate, b, c, p.GetValue(output)!.FullName, AuditLog.Open(p.GetValue(ledger)), key, p.GetValue(store) is { } s ? RunStores.Open(ObjectStoreLocationOrPath(s)) : null, p.GetValue(project));
            stdout.WriteLine($"{info.Verdict} -> {info.Path} (ledger position {info.LedgerPosition})");
            return gate.ExitCode;
        });

        var path = new Argument<FileInfo>("envelope") { Description = "The envelope to verify." };
        var verifyKeys = new Option<string[]>("--key-path") { Description = "Key file(s).", AllowMultipleArgumentsPerToken = true };
        var verifyLedger = new Option<string?>("--ledger") { Description = "Ledger: a directory or az://, s3://... (default: the one the envelope names)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var verify = new Command("verify", "Verify an envelope: MAC, inputs, ledger record, recomputed decision (exit 0 valid, 1 invalid).");
        verify.Arguments.Add(path);
        verify.Options.Add(verifyKeys);
        verify.Options.Add(verifyLedger);
        verify.Options.Add(json);
        verify.SetAction(p =>
        {
            var l = p.GetValue(verifyLedger);
            var v = AuditEnvelopes.Verify(p.GetValue(path)!.FullName, AuditKeyring.Resolve(p.GetValue(verifyKeys), null), l is null ? null : AuditLog.Open(l));
            if (p.GetValue(json))
            {
                stdout.WriteLine(JsonValues.Serialize(new OrderedStringDictionary
                {
                    ["valid"] = v.Valid,
                    ["verdict"] = v.Verdict,
                    ["reason"] = v.Reason,
                    ["checks"] = v.Checks.Select(c => new OrderedStringDictionary { ["name"] = c.Name, ["passed"] = c.Passed, ["detail"] = c.Detail }).ToList(),
                }, indented: true));
            }
            else
            {
                stdout.WriteLine($"{(v.Valid ? "VALID" : "INVALID")}  {v.Reason}");
                foreach (var c in v.Checks)
                {
                    stdout.WriteLine($"  {(c.Passed ? "ok  " : "FAIL")} {c.Name}: {c.Detail}");
                }
            }

            return v.Valid ? 0 : 1;
        });

        envelope.Subcommands.Add(create);
        envelope.Subcommands.Add(verify);
        return envelope;
    }
}
