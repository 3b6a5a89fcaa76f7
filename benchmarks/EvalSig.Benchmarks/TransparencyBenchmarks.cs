using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using EvalSig.Core.Audit;
using EvalSig.Core.Audit.Transparency;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 18 targets at 1,000,000 records: building a proof at most 1 ms; verifying a consistency
/// proof between two 1M-record heads at most 1 ms. Also the tree's share of a single durable append
/// (the whole append is AuditAppendBenchmarks.DurableSingleAppend, now with the tree), signing a
/// head, the auditor's ledger check and a tree rebuild.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class TransparencyBenchmarks
{
    private const int Records = 1_000_000;
    private const long OldSize = 700_001;
    private static readonly AuditKey Key = AuditKey.FromBase64(Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), "bench");
    private static readonly AuditSigningKey Signer = AuditSigningKey.Generate("evalsig.bench/log");
    private string _dir = string.Empty;
    private LocalLedger _ledger = null!;
    private MerkleTreeStore _store = null!;
    private SignedTreeHead _old = null!;
    private SignedTreeHead _new = null!;
    private IReadOnlyList<byte[]> _consistency = Array.Empty<byte[]>();
    private IReadOnlyList<byte[]> _inclusion = Array.Empty<byte[]>();
    private byte[] _leaf = Array.Empty<byte>();
    private long _position;
    private string _treeCopy = string.Empty;
    private byte[] _line = Array.Empty<byte>();

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-tlog-bench-").FullName;
        _ledger = new LocalLedger(_dir);
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using (var w = new StreamWriter(_ledger.LedgerPath, false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" })
        {
            string? prev = null;
            for (var i = 0; i < Records; i++)
            {
                var r = RecordCodec.Create(Key, i, prev, "halluccheck.score.v1", "proj-" + (i % 5), $"{{\"model\":\"acme-7b\",\"score\":0.{i % 1000:D3}}}", start.AddSeconds(i), "local");
                w.WriteLine(r.Line);
                prev = r.Hmac;
            }
        }

        LedgerTree.Rebuild(_dir, _ledger.LedgerPath, new FileInfo(_ledger.LedgerPath).Length);
        _store = MerkleTreeStore.Open(Path.Combine(_dir, MerkleTreeStore.FileName), write: false);
        _old = SignedTreeHead.Sign(OldSize, _store.Root(OldSize), Signer);
        _new = SignedTreeHead.Sign(Records, _store.Root(Records), Signer);
        _consistency = MerkleTree.ConsistencyProof(_store, OldSize, Records);
        _position = 123_457;
        _inclusion = MerkleTree.InclusionProof(_store, _position, Records);
        _leaf = new byte[32];
        _store.Node(0, _position, _leaf);
        _treeCopy = Path.Combine(_dir, "append.tree");
        File.Copy(Path.Combine(_dir, MerkleTreeStore.FileName), _treeCopy);
        _line = Encoding.UTF8.GetBytes(File.ReadLines(_ledger.LedgerPath).First() + "\n");
        Console.WriteLine($"// ledger: {new FileInfo(_ledger.LedgerPath).Length / 1e6:F0} MB, tree: {new FileInfo(_treeCopy).Length / 1e6:F0} MB, {Records:N0} records; consistency proof {_consistency.Count} hashes, inclusion proof {_inclusion.Count} hashes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>Get-AuditProof -Inclusion -Checkpoint: open the store, root at the head's size, PATH, self-check.</summary>
    [Benchmark]
    public int ProveInclusion_AgainstHead_1M() => TransparencyLog.ProveInclusion(_ledger, _position++ % Records, head: _new).Hashes.Count;

    /// <summary>Get-AuditProof -Consistency between two heads (700,001 -> 1,000,000), with the same checks.</summary>
    [Benchmark]
    public int ProveConsistency_BetweenHeads_1M() => TransparencyLog.ProveConsistency(_ledger, OldSize, Records, _old, _new).Hashes.Count;

    /// <summary>RFC 9162 §2.1.4.2 on the proof between the two 1M-record heads.</summary>
    [Benchmark]
    public bool VerifyConsistency_1M() => MerkleTree.VerifyConsistency(OldSize, Records, _consistency, _old.Root, _new.Root);

    /// <summary>RFC 9162 §2.1.3.2 for one record of the 1M tree.</summary>
    [Benchmark]
    public bool VerifyInclusion_1M() => MerkleTree.VerifyInclusion(123_457, Records, _leaf, _inclusion, _new.Root);

    /// <summary>What an auditor without the ledger runs: two Ed25519 signatures and the consistency proof.</summary>
    [Benchmark]
    public bool AuditHeads_WithProof_1M()
        => TransparencyLog.Audit(new TransparencyAudit
        {
            Key = Signer.VerifierKey,
            Heads = new[] { _old, _new },
            ConsistencyProofs = new[] { new AuditConsistencyProof { FromSize = OldSize, ToSize = Records, FromRoot = _old.RootHash, ToRoot = _new.RootHash, Hashes = _consistency.Select(Convert.ToBase64String).ToList() } },
        }).Valid;

    /// <summary>The tree's part of one durable append at 1M: open merkle.tree, read the frontier nodes the carry needs, hash the leaf, write.</summary>
    [Benchmark]
    public long TreeAppend_OneRecord_1M()
    {
        using var store = MerkleTreeStore.Open(_treeCopy, write: true);
        store.AppendLines(_line);
        return store.Size;
    }

    /// <summary>Export-AuditCheckpoint -SigningKeyPath: HMAC verification and the root recomputed from 1M lines, then the signature.</summary>
    [Benchmark]
    public long SignHead_1M() => TransparencyLog.SignHead(_ledger, new AuditKeyring(new[] { Key }), Signer).TreeSize;

    /// <summary>Test-AuditChain -PublicKey with two heads and the ledger: 1M lines hashed, both roots compared, the store's proof checked.</summary>
    [Benchmark]
    public bool AuditHeads_AgainstLedger_1M() => TransparencyLog.Audit(new TransparencyAudit { Key = Signer.VerifierKey, Heads = new[] { _old, _new }, Ledger = _ledger }).Valid;

    /// <summary>Repair-AuditLedger's tree check: the whole tree built from the ledger and compared.</summary>
    [Benchmark]
    public bool CheckTree_1M() => TransparencyLog.CheckTree(_ledger, dryRun: true).Matched;
}
