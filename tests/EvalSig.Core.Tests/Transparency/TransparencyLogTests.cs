using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;
using Xunit;

namespace EvalSig.Core.Tests.Transparency;

public class TransparencyLogTests
{
    private static readonly AuditSigningKey Signer = AuditSigningKey.Generate("evalsig.test/log");
    private static readonly AuditVerifierKey Public = AuditVerifierKey.Parse(Signer.VerifierKey.ToString());

    private static string StorePath(LocalLedger l) => Path.Combine(l.Directory, MerkleTreeStore.FileName);

    private static byte[] RootOfLines(LocalLedger l, long? size = null)
    {
        var map = new NodeMap();
        foreach (var line in File.ReadAllLines(l.LedgerPath).Take(size is { } n ? (int)n : int.MaxValue))
        {
            map.Add(Encoding.UTF8.GetBytes(line));
        }

        return map.Root();
    }

    private static SignedTreeHead Sign(LocalLedger l) => TransparencyLog.SignHead(l, AuditLedgerTests.Ring, Signer);

    [Fact]
    public void Append_KeepsTheTreeLevel_SingleAndBatched_WithoutRecomputation()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 1);
        AuditLedgerTests.Fill(ledger, 37);
        AuditLedgerTests.Fill(ledger, 1);
        AuditLedgerTests.Fill(ledger, 5);
        using var store = MerkleTreeStore.Open(StorePath(ledger), write: false);
        Assert.Equal(44, store.Size);
        Assert.Equal(32 * ((2 * 44) - 1), new FileInfo(StorePath(ledger)).Length);
        Assert.Equal(RootOfLines(ledger), store.Root(44));
        Assert.Equal(RootOfLines(ledger, 10), store.Root(10));
    }

    [Fact]
    public void Append_CatchesUpATreeThatLags_AndBuildsAMissingOne()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 20);

        // A crash after the ledger's fsync but before the tree write: the tree is 3 leaves short.
        using (var fs = new FileStream(StorePath(ledger), FileMode.Open))
        {
            fs.SetLength(32 * ((2 * 17) - 1));
        }

        AuditLedgerTests.Fill(ledger, 2);
        Assert.Equal(RootOfLines(ledger), TreeRoot(ledger, 22));

        // A ledger from before trees: the first append builds the tree once.
        File.Delete(StorePath(ledger));
        AuditLedgerTests.Fill(ledger, 1);
        Assert.Equal(RootOfLines(ledger), TreeRoot(ledger, 23));
    }

    [Fact]
    public void SignHead_SignsTheRecomputedRoot_WhichThePublicKeyVerifies()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 9);
        var head = Sign(ledger);
        Assert.Equal(9, head.TreeSize);
        Assert.Equal(Convert.ToBase64String(RootOfLines(ledger)), head.RootHash);
        Assert.Equal(Signer.Name, head.Origin);
        Assert.Null(head.CheckSignature(Public));

        // The derived store is not trusted: a damaged one is rebuilt before the head is signed.
        var bytes = File.ReadAllBytes(StorePath(ledger));
        bytes[^1] ^= 1;
        File.WriteAllBytes(StorePath(ledger), bytes);
        Assert.Equal(head.RootHash, Sign(ledger).RootHash);
        Assert.Equal(RootOfLines(ledger), TreeRoot(ledger, 9));
    }

    [Fact]
    public void SignHead_RefusesAnEmpty_ATampered_AndATornLedger()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        Assert.Equal(EvalSigError.AuditCheckpointInvalid, Assert.Throws<EvalSigException>(() => Sign(ledger)).Error);
        AuditLedgerTests.Fill(ledger, 4);
        var lines = File.ReadAllLines(ledger.LedgerPath);
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines.Select((l, i) => i == 2 ? l.Replace("\"score\":2.5", "\"score\":9.5", StringComparison.Ordinal) : l)) + "\n");
        Assert.Equal(EvalSigError.AuditCheckpointInvalid, Assert.Throws<EvalSigException>(() => Sign(ledger)).Error);
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines) + "\n{\"torn");
        Assert.Equal(EvalSigError.AuditLedgerTorn, Assert.Throws<EvalSigException>(() => Sign(ledger)).Error);
    }

    [Fact]
    public void Proofs_FromTheStore_VerifyForEveryPosition_AndAgainstASignedHead()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        var records = AuditLedgerTests.Fill(ledger, 13);
        var old = Sign(ledger);
        records = records.Concat(AuditLedgerTests.Fill(ledger, 8)).ToList();
        var head = Sign(ledger);
        foreach (var r in records)
        {
            var p = TransparencyLog.ProveInclusion(ledger, r.ChainPosition, head: head);
            Assert.True(p.Verify());
            Assert.Equal(Convert.ToBase64String(MerkleTree.LeafHash(Encoding.UTF8.GetBytes(r.ToJson()))), p.LeafHash);
            Assert.Equal(head.RootHash, p.RootHash);
        }

        var tlog = TransparencyLog.ProveInclusion(ledger, 5, head: head).ToTlogProof();
        Assert.StartsWith("c2sp.org/tlog-proof@v1\nindex 5\n", tlog, StringComparison.Ordinal);
        Assert.EndsWith("\n\n" + head.Note, tlog, StringComparison.Ordinal);

        var c = TransparencyLog.ProveConsistency(ledger, old.TreeSize, head.TreeSize, old, head);
        Assert.True(c.Verify());
        Assert.True(AuditConsistencyProof.Parse(c.ToJson(), "test").Verify());
        Assert.Equal(EvalSigError.AuditProofUnavailable, Assert.Throws<EvalSigException>(() => TransparencyLog.ProveInclusion(ledger, 21)).Error);
        Assert.Equal(EvalSigError.AuditProofUnavailable, Assert.Throws<EvalSigException>(() => TransparencyLog.ProveConsistency(ledger, 0, 5)).Error);
        Assert.Equal(EvalSigError.AuditProofUnavailable, Assert.Throws<EvalSigException>(() => TransparencyLog.ProveConsistency(ledger, 5, 22)).Error);
    }

    [Fact]
    public void Audit_TwoHeadsAndTheLedger_IsValid_WithoutTheHmacKey()
    {
        using var s = new Scratch();
        var (ledger, old, head) = TwoHeads(s, 40, 25);
        var v = Audit(ledger, old, head);
        Assert.True(v.Valid, v.Reason);
        Assert.True(v.Consistent);
        Assert.Equal(65, v.LedgerRecordCount);
        Assert.Equal(2, v.HeadsVerified);
        Assert.Empty(v.Findings);
    }

    [Fact]
    public void Audit_FindsTruncation_OfTheLedger_AndOfTheLog()
    {
        using var s = new Scratch();
        var (ledger, old, head) = TwoHeads(s, 40, 25);
        var lines = File.ReadAllLines(ledger.LedgerPath);
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines.Take(50)) + "\n");
        var v = Audit(ledger, old, head);
        Assert.False(v.Valid);
        Assert.Contains(LogFinding.Truncated, v.Findings);
        Assert.True(v.Consistent); // the heads themselves still agree: the ledger lost records after the newer one was signed

        // The operator truncates and signs the shorter log: the newer head is smaller.
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines.Take(30)) + "\n");
        TransparencyLog.CheckTree(ledger, dryRun: false);
        var shrunk = Sign(ledger);
        var w = Audit(ledger, head, shrunk);
        Assert.Contains(LogFinding.Truncated, w.Findings);
        Assert.False(w.Consistent);
    }

    [Fact]
    public void Audit_FindsARewrittenRecord_WhenTheTreeStoreIsLeftAsItWas_AndWhenItIsRebuilt()
    {
        using var s = new Scratch();
        var (ledger, old, head) = TwoHeads(s, 40, 25);
        Rewrite(ledger, 7);
        var v = Audit(ledger, old, head);
        Assert.False(v.Valid);
        Assert.Contains(LogFinding.Rewritten, v.Findings);
        Assert.True(v.Consistent); // the store still proves the heads consistent: only the ledger changed

        TransparencyLog.CheckTree(ledger, dryRun: false);
        var w = Audit(ledger, old, head);
        Assert.Contains(LogFinding.Rewritten, w.Findings);
        Assert.DoesNotContain(LogFinding.Forked, w.Findings); // not provable from a tree that no longer matches either head
    }

    [Fact]
    public void Audit_FindsAFork_WhenTheLogRewritesHistoryAndSignsIt()
    {
        using var s = new Scratch();
        var (ledger, old, _) = TwoHeads(s, 40, 25);

        // A rewrite the HMAC key holder can make: re-MAC the chain from record 7 on, rebuild, re-sign.
        var lines = File.ReadAllLines(ledger.LedgerPath);
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines.Take(7)) + "\n");
        File.Delete(StorePath(ledger));
        AuditLedgerTests.Fill(ledger, 58, project: "rewritten");
        var forged = Sign(ledger);
        Assert.Equal(65, forged.TreeSize);

        var v = Audit(ledger, old, forged);
        Assert.False(v.Valid);
        Assert.Contains(LogFinding.Forked, v.Findings);
        Assert.Contains(LogFinding.Rewritten, v.Findings);
        Assert.False(v.Consistent);

        // Without the ledger: the heads and the log's own consistency proof.
        var proof = TransparencyLog.ProveConsistency(ledger, old.TreeSize, forged.TreeSize);
        var w = TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = new[] { old, forged }, ConsistencyProofs = new[] { proof } });
        Assert.Contains(LogFinding.Forked, w.Findings);

        // Two heads of one size with different roots.
        var twin = SignedTreeHead.Sign(old.TreeSize, MerkleTree.LeafHash("x"u8), Signer);
        Assert.Contains(LogFinding.Forked, TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = new[] { old, twin } }).Findings);
    }

    [Fact]
    public void Audit_FindsABadSignature_AndChecksNothingElseAgainstIt()
    {
        using var s = new Scratch();
        var (ledger, old, head) = TwoHeads(s, 10, 5);
        var altered = SignedTreeHead.Parse(head.Note.Replace("\n15\n", "\n14\n", StringComparison.Ordinal), "test");
        var v = Audit(ledger, old, altered);
        Assert.Equal(new[] { LogFinding.SignatureInvalid }, v.Findings);
        Assert.Null(v.LedgerRecordCount);
        var other = AuditSigningKey.Generate(Signer.Name);
        var w = TransparencyLog.Audit(new TransparencyAudit { Key = other.VerifierKey, Heads = new[] { head }, Ledger = ledger });
        Assert.Equal(new[] { LogFinding.SignatureInvalid }, w.Findings);
    }

    [Fact]
    public void Audit_TwoHeadsWithNothingToCheckConsistency_IsNotValid()
    {
        using var s = new Scratch();
        var (_, old, head) = TwoHeads(s, 10, 5);
        var v = TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = new[] { old, head } });
        Assert.False(v.Valid);
        Assert.Null(v.Consistent);
        Assert.Contains("could not be checked", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_GivenRecords_AreProvenIncluded_AndAnAlteredOneIsNot()
    {
        using var s = new Scratch();
        var (ledger, _, head) = TwoHeads(s, 10, 5);
        var records = ledger.Query(new AuditQuery()).ToList();
        var v = TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = new[] { head }, Ledger = ledger, Records = records });
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(15, v.IncludedCount);

        var forged = RecordCodec.Parse(records[3].ToJson().Replace("\"p1\"", "\"p2\"", StringComparison.Ordinal), "test");
        var w = TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = new[] { head }, Ledger = ledger, Records = new[] { records[2], forged } });
        Assert.Equal(1, w.IncludedCount);
        Assert.Equal(1, w.NotIncludedCount);
        Assert.Equal(new[] { LogFinding.NotIncluded }, w.Findings);
    }

    [Fact]
    public void ExportWithProofs_OfOneSchema_VerifiesAlone_AndAnyEditFails()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 12, schema: "halluccheck.score.v1");
        AuditLog.Append(ledger, AuditLedgerTests.Key, Enumerable.Range(0, 6).Select(i => new AuditEntry("halluccheck.pii.v1", "p9", "{\"detected\":false}")).ToList(), strictSchema: true);
        AuditLedgerTests.Fill(ledger, 3);
        var head = Sign(ledger);
        AuditLog.Append(ledger, AuditLedgerTests.Key, new[] { new AuditEntry("halluccheck.pii.v1", "p9", "{\"detected\":true}") }, strictSchema: true);

        var path = s.File("pii.jsonl");
        var result = TransparencyLog.ExportWithProofs(ledger, ledger.Query(new AuditQuery { SchemaKey = "halluccheck.pii.v1" }), head, path, compress: false, noClobber: false);
        Assert.Equal(6, result.Written);
        Assert.Equal(1, result.LeftOut); // appended after the head: the head cannot prove it

        // The auditor: the public key and the file, nothing else.
        var v = TransparencyLog.Audit(new TransparencyAudit { Key = Public, ProofExportPath = path });
        Assert.True(v.Valid, v.Reason);
        Assert.Equal(6, v.IncludedCount);
        Assert.Equal(head.RootHash, v.RootHash);

        var text = File.ReadAllText(path);
        var edited = s.Write("edited.jsonl", text.Replace("\"detected\":false", "\"detected\":true", StringComparison.Ordinal));
        var w = TransparencyLog.Audit(new TransparencyAudit { Key = Public, ProofExportPath = edited });
        Assert.False(w.Valid);
        Assert.Equal(6, w.NotIncludedCount);

        var lines = text.Split('\n');
        var moved = s.Write("moved.jsonl", string.Join("\n", lines.Select((l, i) => i == 2 ? l.Replace("{\"index\":", "{\"index\":1", StringComparison.Ordinal) : l)));
        Assert.Equal(1, TransparencyLog.Audit(new TransparencyAudit { Key = Public, ProofExportPath = moved }).NotIncludedCount);

        var gz = s.File("pii.jsonl.gz");
        TransparencyLog.ExportWithProofs(ledger, ledger.Query(new AuditQuery { SchemaKey = "halluccheck.pii.v1" }), head, gz, compress: true, noClobber: false);
        Assert.True(TransparencyLog.Audit(new TransparencyAudit { Key = Public, ProofExportPath = gz }).Valid);

        var otherHead = SignedTreeHead.Sign(head.TreeSize, MerkleTree.LeafHash("y"u8), AuditSigningKey.Generate("evalsig.test/other"));
        var forgedHead = s.Write("forged.jsonl", text.Replace(JsonString(head.Note), JsonString(otherHead.Note), StringComparison.Ordinal));
        Assert.Equal(new[] { LogFinding.SignatureInvalid }, TransparencyLog.Audit(new TransparencyAudit { Key = Public, ProofExportPath = forgedHead }).Findings);
    }

    [Fact]
    public void CheckTree_FindsADamagedStore_RebuildsIt_AndADryRunChangesNothing()
    {
        using var s = new Scratch();
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, 30);
        Assert.True(TransparencyLog.CheckTree(ledger, dryRun: false).Matched);

        var bytes = File.ReadAllBytes(StorePath(ledger));
        bytes[100] ^= 0x40;
        File.WriteAllBytes(StorePath(ledger), bytes);
        var dry = TransparencyLog.CheckTree(ledger, dryRun: true);
        Assert.False(dry.Matched);
        Assert.False(dry.Rebuilt);
        Assert.Equal(bytes, File.ReadAllBytes(StorePath(ledger)));

        var fixedUp = TransparencyLog.CheckTree(ledger, dryRun: false);
        Assert.True(fixedUp.Rebuilt);
        Assert.Equal(30, fixedUp.LedgerRecords);
        Assert.True(TransparencyLog.CheckTree(ledger, dryRun: false).Matched);

        File.Delete(StorePath(ledger));
        Assert.Contains("missing", TransparencyLog.CheckTree(ledger, dryRun: false).Reason, StringComparison.Ordinal);
        Assert.Equal(RootOfLines(ledger), TreeRoot(ledger, 30));
    }

    [Fact]
    public void SigningKeyFile_IsOwnerOnly_WithItsPublicKeyBeside()
    {
        using var s = new Scratch();
        var info = AuditSigningKeyFile.Create(s.File("log.key"), "example.com/log", force: false);
        Assert.Equal("example.com/log", info.Name);
        Assert.Equal(info.VerifierKey, File.ReadAllText(info.PublicKeyPath).Trim());
        Assert.Equal(info.KeyId, AuditSigningKey.FromFile(info.Path).KeyId);
        Assert.Equal(info.KeyId, AuditVerifierKey.Resolve(info.PublicKeyPath).KeyId);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(info.Path));
        }

        Assert.Equal(EvalSigError.FileAlreadyExists, Assert.Throws<EvalSigException>(() => AuditSigningKeyFile.Create(s.File("log.key"), null, force: false)).Error);
        Assert.Equal(EvalSigError.AuditVerifierKeyInvalid, Assert.Throws<EvalSigException>(() => AuditVerifierKey.Resolve(s.File("missing.pub"))).Error);
    }

    internal static (LocalLedger Ledger, SignedTreeHead Old, SignedTreeHead New) TwoHeads(Scratch s, int first, int then)
    {
        var ledger = new LocalLedger(s.Path);
        AuditLedgerTests.Fill(ledger, first);
        var old = Sign(ledger);
        AuditLedgerTests.Fill(ledger, then);
        return (ledger, old, Sign(ledger));
    }

    private static LogVerification Audit(LocalLedger ledger, params SignedTreeHead[] heads)
        => TransparencyLog.Audit(new TransparencyAudit { Key = Public, Heads = heads, Ledger = ledger });

    private static void Rewrite(LocalLedger ledger, int position)
    {
        var lines = File.ReadAllLines(ledger.LedgerPath);
        lines[position] = lines[position].Replace("\"p1\"", "\"p7\"", StringComparison.Ordinal);
        File.WriteAllText(ledger.LedgerPath, string.Join("\n", lines) + "\n");
    }

    private static byte[] TreeRoot(LocalLedger ledger, long size)
    {
        using var store = MerkleTreeStore.Open(StorePath(ledger), write: false);
        Assert.Equal(size, store.Size);
        return store.Root(size);
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder();
        Json.CanonicalJson.AppendString(sb, s);
        return sb.ToString();
    }
}
