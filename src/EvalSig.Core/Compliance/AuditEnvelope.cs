using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Audit;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using EvalSig.Core.Time;

namespace EvalSig.Core.Compliance;

/// <summary>What New-AuditEnvelope wrote.</summary>
public sealed record AuditEnvelopeInfo(string Path, string Verdict, string BaselineSha256, string CandidateSha256, string LedgerRecordId, long LedgerPosition, string Hmac, string KeyId);

/// <summary>One check of Test-AuditEnvelope.</summary>
public sealed record EnvelopeCheck(string Name, bool Passed, string Detail);

public sealed record EnvelopeVerification(bool Valid, string Reason, IReadOnlyList<EnvelopeCheck> Checks, string? Verdict, string Path);

/// <summary>
/// The audit envelope (audit.json): the data (both RunFrame files by SHA-256), the exact inference
/// (the full report with its options), the verdict with p-value, CI and MDE, a time and an
/// immutable identity (the ledger record) - MAC'd as a whole with the key derived from the audit key
/// for envelopes (format 2, "version":2), so no other EvalSig MAC can pass for an envelope's.
/// </summary>
public static class AuditEnvelopes
{
    /// <summary>2: MAC'd under the key derived for envelopes. Format-1 envelopes (the undivided key) are not accepted.</summary>
    public const int EnvelopeVersion = 2;

    public static AuditEnvelopeInfo Create(GateReport report, string baselinePath, string candidatePath, string path, IAuditBackend ledger, AuditKey key, IRunStore? store, string? project)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(key);
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new EvalSigException(EvalSigError.FileAlreadyExists, EvalSigErrorKind.ResourceExists, $"The envelope '{full}' already exists. Envelopes are never replaced: a new decision gets a new envelope, and the old one stays.", full);
        }

        var baseline = RunFrameFile.Read(baselinePath);
        var candidate = RunFrameFile.Read(candidatePath);
        if (baseline.RunId != report.BaselineRunId || candidate.RunId != report.CandidateRunId)
        {
            throw new EvalSigException(
                EvalSigError.EnvelopeInputMismatch,
                EvalSigErrorKind.InvalidArgument,
                $"The files do not hold the report's runs: the report compares '{report.CandidateRunId}' against '{report.BaselineRunId}', the files hold '{candidate.RunId}' and '{baseline.RunId}'.",
                report.CandidateRunId);
        }

        var reportJson = GateReportJson.Serialize(report, indented: false);
        var entry = AuditLog.Append(ledger, key, new[] { new AuditEntry("evalsig.gate.v1", project, reportJson) }, strictSchema: true)[0];
        if (store is not null)
        {
            store.SaveReport(StoreIdentifier.Check(project, "project id"), report with { BaselineRun = baseline, CandidateRun = candidate }, force: false);
        }

        var dir = System.IO.Path.GetDirectoryName(full)!;
        using var reportDoc = JsonDocument.Parse(reportJson);
        var body = new OrderedStringDictionary
        {
            ["verdict"] = report.Verdict.ToString(),
            ["exit_code"] = report.ExitCode,
            ["report"] = reportDoc.RootElement.Clone(),
            ["inputs"] = new OrderedStringDictionary
            {
                ["baseline"] = Input(baselinePath, dir, baseline.RunId),
                ["candidate"] = Input(candidatePath, dir, candidate.RunId),
            },
            ["created_at"] = IsoTime.Format(DateTimeOffset.UtcNow),
            ["tool_version"] = EvalGate.ToolVersion,
            ["ledger"] = new OrderedStringDictionary { ["record_id"] = entry.RecordId, ["chain_position"] = entry.ChainPosition, ["hmac"] = entry.Hmac, ["location"] = ledger.Location },
            ["key_id"] = key.KeyId,
            ["version"] = EnvelopeVersion,
        };
        var canonical = CanonicalJson.Canonicalize(JsonValues.Serialize(body));
        var hmac = key.Sign(KeyPurpose.Envelope, canonical);
        body["hmac"] = hmac;
        var bytes = Encoding.UTF8.GetBytes(JsonValues.Serialize(body, indented: true) + "\n");
        Directory.CreateDirectory(dir);
        AtomicFile.Write(full, s => s.Write(bytes), noClobber: true);
        var inputs = (OrderedStringDictionary)body["inputs"]!;
        return new AuditEnvelopeInfo(full, report.Verdict.ToString(), (string)((OrderedStringDictionary)inputs["baseline"]!)["sha256"]!, (string)((OrderedStringDictionary)inputs["candidate"]!)["sha256"]!, entry.RecordId, entry.ChainPosition, hmac, key.KeyId);
    }

    /// <summary>
    /// Re-hashes both inputs, checks the envelope's MAC and its ledger record, and recomputes the gate
    /// from the files with the recorded options: verdict, delta and p-value must match.
    /// </summary>
    public static EnvelopeVerification Verify(string path, AuditKeyring keyring, IAuditBackend? ledger)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new EvalSigException(EvalSigError.EnvelopeInvalid, EvalSigErrorKind.ObjectNotFound, $"The envelope '{full}' does not exist.", full);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(full));
        }
        catch (JsonException ex)
        {
            return new EnvelopeVerification(false, "the envelope is not valid JSON (it was edited): " + ex.Message, new[] { new EnvelopeCheck("envelope", false, ex.Message) }, null, full);
        }

        using (doc)
        {
            var checks = new List<EnvelopeCheck>();
            var root = doc.RootElement;
            string? S(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var dir = System.IO.Path.GetDirectoryName(full)!;

            // 1. The envelope's own MAC.
            var keyId = S(root, "key_id");
            var stored = S(root, "hmac");
            var key = keyId is null ? null : keyring.Find(keyId);
            var body = new OrderedStringDictionary();
            foreach (var p in root.EnumerateObject().Where(p => p.Name != "hmac"))
            {
                body[p.Name] = p.Value.Clone();
            }

            var version = root.TryGetProperty("version", out var ver) && ver.TryGetInt32(out var vv) ? vv : 1;
            var macOk = version == EnvelopeVersion && key is not null && stored is not null && key.Verify(KeyPurpose.Envelope, CanonicalJson.Canonicalize(JsonValues.Serialize(body)), stored);
            checks.Add(new EnvelopeCheck("envelope-mac", macOk, macOk ? "the envelope is as written"
                : version != EnvelopeVersion ? $"the envelope is in format {version}, MAC'd with the undivided audit key, which a free-form signature could forge; it is no longer accepted: create a new envelope (see docs/concepts/audit-chain.md#migration)"
                : key is null ? $"signed with key {keyId}, which is not in the keyring" : "the envelope's HMAC does not verify: the envelope was edited"));

            // 2. The inputs, re-hashed.
            var inputs = root.TryGetProperty("inputs", out var i) ? i : default;
            var b = inputs.ValueKind == JsonValueKind.Object && inputs.TryGetProperty("baseline", out var bi) ? bi : default;
            var c = inputs.ValueKind == JsonValueKind.Object && inputs.TryGetProperty("candidate", out var ci) ? ci : default;
            var bPath = Resolve(dir, S(b, "path"));
            var cPath = Resolve(dir, S(c, "path"));
            var bHash = bPath is not null && File.Exists(bPath) ? Sha256(bPath) : null;
            var cHash = cPath is not null && File.Exists(cPath) ? Sha256(cPath) : null;
            var swapped = bHash is not null && bHash == S(c, "sha256") && cHash == S(b, "sha256") && bHash != cHash;
            checks.Add(InputCheck("baseline", bPath, bHash, S(b, "sha256"), swapped));
            checks.Add(InputCheck("candidate", cPath, cHash, S(c, "sha256"), swapped));

            // 3. The ledger record it names.
            var l = root.TryGetProperty("ledger", out var le) ? le : default;
            var recordId = S(l, "record_id");
            var recordHmac = S(l, "hmac");
            var theLedger = ledger ?? (S(l, "location") is { } loc ? AuditLog.Open(loc) : null);
            if (theLedger is null || recordId is null)
            {
                checks.Add(new EnvelopeCheck("ledger-record", false, "the envelope names no ledger record"));
            }
            else
            {
                var position = l.TryGetProperty("chain_position", out var cp) && cp.TryGetInt64(out var pos) ? pos : -1;
                AuditRecord? record = null;
                string? ledgerProblem = null;
                try
                {
                    record = position < 0 ? null : theLedger.Query(new AuditQuery { Skip = (int)Math.Min(position, int.MaxValue), First = 1 }, new AuditReadOptions { Keyring = keyring }).FirstOrDefault();
                }
                catch (EvalSigException ex)
                {
                    ledgerProblem = ex.Message;
                }

                var recordOk = record is not null && record.RecordId == recordId && record.Hmac == recordHmac
                    && ChainVerifier.Verify(new[] { record }, keyring, wholeChain: false).Valid;
                checks.Add(new EnvelopeCheck("ledger-record", recordOk, recordOk
                    ? $"record {recordId} at position {position} of {theLedger.Location} verifies"
                    : ledgerProblem ?? (record is null ? $"the ledger {theLedger.Location} has no record at position {position}" : $"the ledger record at position {position} is not the one the envelope names (or does not verify)")));
            }

            // 4. The decision, recomputed from the files with the recorded options.
            string? verdict = S(root, "verdict");
            if (root.TryGetProperty("report", out var report) && bPath is not null && cPath is not null && File.Exists(bPath) && File.Exists(cPath))
            {
                try
                {
                    var options = GateReportJson.ReadOptions(report);
                    var again = EvalGate.Decide(RunFrameFile.Read(bPath), RunFrameFile.Read(cPath), options);
                    var recordedDelta = report.GetProperty("comparison").GetProperty("delta").GetDouble();
                    var recordedP = report.GetProperty("comparison").GetProperty("p_value");
                    var pOk = recordedP.ValueKind == JsonValueKind.Null ? double.IsNaN(again.Comparison.PValue) : Same(recordedP.GetDouble(), again.Comparison.PValue);
                    var same = again.Verdict.ToString() == report.GetProperty("verdict").GetString() && again.Verdict.ToString() == verdict && Same(recordedDelta, again.Comparison.Delta) && pOk;
                    checks.Add(new EnvelopeCheck("recomputed-decision", same, string.Create(CultureInfo.InvariantCulture, $"recomputed {again.Verdict}, delta {again.Comparison.Delta:G10}, p {again.Comparison.PValue:G10}; recorded {verdict}, delta {recordedDelta:G10}")));
                }
                catch (Exception ex) when (ex is EvalSigException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    checks.Add(new EnvelopeCheck("recomputed-decision", false, "the decision could not be recomputed: " + ex.Message));
                }
            }
            else
            {
                checks.Add(new EnvelopeCheck("recomputed-decision", false, "the report or an input file is missing"));
            }

            var failed = checks.Where(x => !x.Passed).ToList();
            return new EnvelopeVerification(failed.Count == 0, failed.Count == 0 ? "the envelope, its inputs, its ledger record and its decision all verify" : string.Join("; ", failed.Select(f => $"{f.Name}: {f.Detail}")), checks, verdict, full);
        }
    }

    private static EnvelopeCheck InputCheck(string which, string? path, string? actual, string? recorded, bool swapped)
    {
        if (swapped)
        {
            return new EnvelopeCheck(which + "-input", false, "baseline and candidate files are swapped");
        }

        if (path is null || actual is null)
        {
            return new EnvelopeCheck(which + "-input", false, $"the {which} file '{path}' is missing");
        }

        return actual == recorded
            ? new EnvelopeCheck(which + "-input", true, $"{path} has sha256 {actual}")
            : new EnvelopeCheck(which + "-input", false, $"the {which} file '{path}' changed: sha256 {actual}, recorded {recorded}");
    }

    private static OrderedStringDictionary Input(string path, string envelopeDir, string runId)
    {
        var full = System.IO.Path.GetFullPath(path);
        var relative = System.IO.Path.GetRelativePath(envelopeDir, full);
        var stored = relative.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(relative) ? full : relative.Replace(System.IO.Path.DirectorySeparatorChar, '/');
        return new OrderedStringDictionary { ["path"] = stored, ["sha256"] = Sha256(full), ["run_id"] = runId };
    }

    private static string? Resolve(string envelopeDir, string? stored)
        => stored is null ? null : System.IO.Path.IsPathRooted(stored) ? stored : System.IO.Path.GetFullPath(System.IO.Path.Combine(envelopeDir, stored));

    private static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(fs)).ToLowerInvariant();
    }

    private static bool Same(double a, double b) => a == b || Math.Abs(a - b) <= 1e-12 * Math.Max(Math.Abs(a), Math.Abs(b));
}
