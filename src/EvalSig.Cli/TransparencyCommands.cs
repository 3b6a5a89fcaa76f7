using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Json;

namespace EvalSig.Cli;

/// <summary>
/// The ledger as a transparency log on the command line: `evalsig audit prove inclusion|consistency`,
/// and the signed-head, public-key and proof-export modes of audit checkpoint, verify, export, key
/// and repair. Exit codes: verify 0 valid / 1 invalid; errors 64 / 65 / 70 as everywhere.
/// </summary>
internal static class TransparencyCommands
{
    public static Command Prove(TextWriter stdout)
    {
        var prove = new Command("prove", "RFC 9162 proofs from the ledger's Merkle tree, as JSON (or a c2sp.org/tlog-proof).");
        prove.Subcommands.Add(Inclusion(stdout));
        prove.Subcommands.Add(Consistency(stdout));
        return prove;
    }

    /// <summary>`audit checkpoint --signing-key`: a signed tree head of the verified ledger.</summary>
    public static int Checkpoint(TextWriter stdout, LocalLedger ledger, AuditKeyring ring, FileInfo? signingKey, FileInfo output, bool noClobber)
    {
        var key = AuditSigningKey.Resolve(signingKey?.FullName);
        var head = TransparencyLog.SignHead(ledger, ring, key);
        AtomicFile.Write(output.FullName, s => s.Write(Encoding.UTF8.GetBytes(head.Note)), noClobber);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"signed tree head: {head.TreeSize} records, root {head.RootHash}, key {key.Name}+{key.KeyId} -> {output.FullName}"));
        return 0;
    }

    /// <summary>`audit key --type ed25519`: the signing key file and its .pub beside it.</summary>
    public static int Key(TextWriter stdout, FileInfo output, string? name, bool force)
    {
        var info = AuditSigningKeyFile.Create(output.FullName, name, force);
        stdout.WriteLine($"ed25519 signing key {info.Name}+{info.KeyId} -> {info.Path}");
        stdout.WriteLine($"public key (give it to auditors) -> {info.PublicKeyPath}");
        stdout.WriteLine(info.VerifierKey);
        return 0;
    }

    /// <summary>`audit verify --public-key`: heads, consistency, the ledger and/or a proof export, without the HMAC key.</summary>
    public static int Verify(TextWriter stdout, string publicKey, FileInfo[] heads, FileInfo[] proofs, string? ledgerOption, FileInfo? export, bool json)
    {
        var key = AuditVerifierKey.Resolve(publicKey);
        var proofList = proofs.Select(p => AuditConsistencyProof.Load(p.FullName)).ToList();
        var request = new TransparencyAudit
        {
            Key = key,
            Heads = heads.Select(h => SignedTreeHead.Load(h.FullName)).ToList(),
            Ledger = export is null && (ledgerOption is not null || proofList.Count == 0) ? new LocalLedger(ledgerOption) : null,
            ProofExportPath = export?.FullName,
            ConsistencyProofs = proofList,
        };
        var v = TransparencyLog.Audit(request);
        if (json)
        {
            stdout.WriteLine(JsonValues.Serialize(
                new Dictionary<string, object?>
                {
                    ["valid"] = v.Valid,
                    ["reason"] = v.Reason,
                    ["origin"] = v.Origin,
                    ["tree_size"] = v.TreeSize,
                    ["root_hash"] = v.RootHash,
                    ["heads_verified"] = v.HeadsVerified,
                    ["consistent"] = v.Consistent,
                    ["ledger_record_count"] = v.LedgerRecordCount,
                    ["included_count"] = v.IncludedCount,
                    ["not_included_count"] = v.NotIncludedCount,
                    ["findings"] = v.Findings.Select(f => f.ToString()).ToList(),
                    ["problems"] = v.Problems,
                    ["notes"] = v.Notes,
                },
                indented: true));
        }
        else
        {
            stdout.WriteLine($"{(v.Valid ? "VALID" : "INVALID")}  {v.Reason}");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"log {v.Origin}, tree {v.TreeSize}, heads verified {v.HeadsVerified}, consistent {Tri(v.Consistent)}, ledger records {(v.LedgerRecordCount?.ToString(CultureInfo.InvariantCulture) ?? "-")}, included {v.IncludedCount}, not included {v.NotIncludedCount}"));
            if (v.Findings.Count > 0)
            {
                stdout.WriteLine("findings: " + string.Join(", ", v.Findings));
            }

            foreach (var p in v.Problems.Skip(1))
            {
                stdout.WriteLine("problem: " + p);
            }

            foreach (var n in v.Notes)
            {
                stdout.WriteLine("note: " + n);
            }
        }

        return v.Valid ? 0 : 1;
    }

    /// <summary>`audit export --with-proofs --checkpoint head`: records with their inclusion proofs.</summary>
    public static int Export(TextWriter stdout, TextWriter stderr, LocalLedger ledger, AuditQuery query, FileInfo? checkpoint, string format, FileInfo output, bool compress, bool noClobber)
    {
        if (checkpoint is null || !string.Equals(format, "jsonl", StringComparison.OrdinalIgnoreCase))
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "--with-proofs writes JSONL against a signed tree head: give --checkpoint <head> (from `evalsig audit checkpoint --signing-key`) and no --format csv.");
        }

        var head = SignedTreeHead.Load(checkpoint.FullName);
        var r = TransparencyLog.ExportWithProofs(ledger, ledger.Query(query), head, output.FullName, compress, noClobber);
        if (r.LeftOut > 0)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"evalsig: warning: {r.LeftOut} matching record(s) were appended after the signed head ({head.TreeSize} records) and are not in the export; sign a new head to include them"));
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Written} records with inclusion proofs against the head of {head.TreeSize} records -> {r.Path}"));
        return 0;
    }

    /// <summary>`audit repair`: the tree is checked (and, unless a dry run, rebuilt when it differs).</summary>
    public static void RepairTree(TextWriter stdout, LocalLedger ledger, bool dryRun)
    {
        var check = TransparencyLog.CheckTree(ledger, dryRun);
        stdout.WriteLine("tree: " + check.Reason);
    }

    private static Command Inclusion(TextWriter stdout)
    {
        var ledger = new Option<string?>("--ledger") { Description = "Ledger directory (default: $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };
        var position = new Option<long>("--position") { Description = "The record's chain position.", Required = true };
        var size = new Option<long?>("--tree-size") { Description = "The tree to prove against (default: the whole ledger)." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "A signed tree head: prove against it (checked before printing)." };
        var tlog = new Option<bool>("--tlog-proof") { Description = "Print a c2sp.org/tlog-proof (needs --checkpoint) instead of JSON." };
        var output = new Option<FileInfo?>("--output") { Description = "Write the proof to this file." };
        var cmd = new Command("inclusion", "Prove that the record at a position is in the tree.");
        foreach (var o in new Option[] { ledger, position, size, checkpoint, tlog, output })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var head = p.GetValue(checkpoint) is { } c ? SignedTreeHead.Load(c.FullName) : null;
            var proof = TransparencyLog.ProveInclusion(new LocalLedger(p.GetValue(ledger)), p.GetValue(position), p.GetValue(size), head);
            Emit(stdout, p.GetValue(tlog) ? proof.ToTlogProof() : proof.ToJson() + "\n", p.GetValue(output));
            return 0;
        });
        return cmd;
    }

    private static Command Consistency(TextWriter stdout)
    {
        var ledger = new Option<string?>("--ledger") { Description = "Ledger directory (default: $EVALSIG_AUDIT_ROOT, else ~/.evalsig/audit)." };
        var from = new Option<long?>("--from") { Description = "The earlier tree size." };
        var to = new Option<long?>("--to") { Description = "The later tree size." };
        var checkpoint = new Option<FileInfo[]>("--checkpoint") { Description = "Two signed tree heads, older then newer (their sizes replace --from and --to).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo?>("--output") { Description = "Write the proof to this file." };
        var cmd = new Command("consistency", "Prove that the later tree extends the earlier one.");
        foreach (var o in new Option[] { ledger, from, to, checkpoint, output })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var heads = (p.GetValue(checkpoint) ?? Array.Empty<FileInfo>()).Select(f => SignedTreeHead.Load(f.FullName)).ToList();
            long a, b;
            if (heads.Count == 2)
            {
                (a, b) = (heads[0].TreeSize, heads[1].TreeSize);
            }
            else if (heads.Count == 0 && p.GetValue(from) is { } f && p.GetValue(to) is { } t)
            {
                (a, b) = (f, t);
            }
            else
            {
                throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidArgument, "Give --from and --to, or two signed heads (--checkpoint older newer).");
            }

            var proof = TransparencyLog.ProveConsistency(new LocalLedger(p.GetValue(ledger)), a, b, heads.Count == 2 ? heads[0] : null, heads.Count == 2 ? heads[1] : null);
            Emit(stdout, proof.ToJson() + "\n", p.GetValue(output));
            return 0;
        });
        return cmd;
    }

    private static void Emit(TextWriter stdout, string text, FileInfo? output)
    {
        if (output is null)
        {
            stdout.Write(text);
            return;
        }

        AtomicFile.Write(output.FullName, s => s.Write(Encoding.UTF8.GetBytes(text)), noClobber: false);
        stdout.WriteLine("proof -> " + output.FullName);
    }

    private static string Tri(bool? b) => b switch { true => "yes", false => "no", null => "not checked" };
}
