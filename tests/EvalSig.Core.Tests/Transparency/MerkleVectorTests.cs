using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Audit.Transparency;
using Xunit;

namespace EvalSig.Core.Tests.Transparency;

/// <summary>
/// The reference test vectors of transparency-dev/merkle (tests/data/transparency, source and
/// licence in tests/data/README.md): RFC 6962/9162 hashes, the roots and nodes of the 8-leaf
/// reference tree, and every inclusion and consistency verification probe with its expected outcome.
/// </summary>
public class MerkleVectorTests
{
    private static readonly string Root = Path.Combine(TestPaths.RepoRoot, "tests", "data", "transparency");

    private static JsonElement Tree { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "rfc6962-tree.json"))).RootElement;

    public static IEnumerable<object[]> InclusionProbes() => Probes("inclusion");

    public static IEnumerable<object[]> ConsistencyProbes() => Probes("consistency");

    [Fact]
    public void Hasher_MatchesTheReferenceHashes()
    {
        var h = Tree.GetProperty("hasher");
        Assert.Equal(h.GetProperty("emptyRoot").GetString(), Hex(MerkleTree.EmptyRoot));
        Assert.Equal(h.GetProperty("emptyLeaf").GetString(), Hex(MerkleTree.LeafHash(Array.Empty<byte>())));
        Assert.Equal(h.GetProperty("leafL123456").GetString(), Hex(MerkleTree.LeafHash("L123456"u8)));
        var node = new byte[32];
        MerkleTree.NodeHash("N123"u8, "N456"u8, node);
        Assert.Equal(h.GetProperty("nodeN123N456").GetString(), Hex(node));
    }

    [Fact]
    public void ReferenceTree_EveryPrefixRoot_AndEveryCompleteNode_MatchTheVectors()
    {
        var leaves = Tree.GetProperty("leafInputs").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToList();
        var roots = Tree.GetProperty("rootHashes").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(roots[0], Hex(new MerkleFrontier().Root()));
        var map = new NodeMap();
        for (var n = 1; n <= leaves.Count; n++)
        {
            map.Add(leaves[n - 1]);
            Assert.Equal(roots[n], Hex(map.Root()));
            Assert.Equal(roots[n], Hex(MerkleTree.Root(map, n)));
        }

        var level = 0;
        foreach (var row in Tree.GetProperty("nodeHashes").EnumerateArray())
        {
            var i = 0;
            foreach (var hash in row.EnumerateArray())
            {
                Assert.Equal(hash.GetString(), Hex(map.Get(level, i++)));
            }

            level++;
        }

        // The same tree through the on-disk store, in one batch and leaf by leaf.
        using var s = new Scratch();
        using (var batch = MerkleTreeStore.Open(s.File("batch.tree"), write: true))
        using (var single = MerkleTreeStore.Open(s.File("single.tree"), write: true))
        {
            batch.AppendLeafHashes(leaves.Select(l => MerkleTree.LeafHash(l)).ToList());
            foreach (var l in leaves)
            {
                single.AppendLeafHashes(new[] { MerkleTree.LeafHash(l) });
                Assert.Equal(roots[(int)single.Size], Hex(single.Root(single.Size)));
            }

            for (var n = 1; n <= leaves.Count; n++)
            {
                Assert.Equal(roots[n], Hex(batch.Root(n)));
            }
        }

        Assert.Equal(File.ReadAllBytes(s.File("batch.tree")), File.ReadAllBytes(s.File("single.tree")));
        Assert.Equal(32 * ((2 * leaves.Count) - 1), new FileInfo(s.File("batch.tree")).Length);
    }

    [Theory]
    [MemberData(nameof(InclusionProbes))]
    public void InclusionProbe_VerifiesExactlyWhenExpected(string file)
    {
        var p = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "transparency-dev", file))).RootElement;
        var ok = MerkleTree.VerifyInclusion(Size(p, "leafIdx"), Size(p, "treeSize"), Bytes(p, "leafHash"), Proof(p), Bytes(p, "root"));
        Assert.Equal(!p.GetProperty("wantErr").GetBoolean(), ok);
    }

    [Theory]
    [MemberData(nameof(ConsistencyProbes))]
    public void ConsistencyProbe_VerifiesExactlyWhenExpected(string file)
    {
        var p = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "transparency-dev", file))).RootElement;
        var ok = MerkleTree.VerifyConsistency(Size(p, "size1"), Size(p, "size2"), Proof(p), Bytes(p, "root1"), Bytes(p, "root2"));
        Assert.Equal(!p.GetProperty("wantErr").GetBoolean(), ok);
    }

    [Fact]
    public void Probes_AreAllThere()
    {
        // 4 sets of 13-18 mutations each plus the additional and single-entry cases (transparency-dev/merkle testdata).
        Assert.Equal(98, InclusionProbes().Count());
        Assert.Equal(98, ConsistencyProbes().Count());
    }

    [Fact]
    public void GeneratedProofs_EqualTheHappyPathVectors_OfTheReferenceTree()
    {
        var leaves = Tree.GetProperty("leafInputs").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToList();
        var map = NodeMap.OfLeaves(leaves);
        var checkedInclusion = 0;
        var checkedConsistency = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "transparency-dev"), "happy-path.json", SearchOption.AllDirectories))
        {
            var p = JsonDocument.Parse(File.ReadAllText(file)).RootElement;
            if (p.TryGetProperty("leafIdx", out var idx))
            {
                var proof = MerkleTree.InclusionProof(map, idx.GetInt64(), p.GetProperty("treeSize").GetInt64());
                Assert.Equal(Proof(p).Select(Hex), proof.Select(Hex));
                Assert.Equal(Hex(Bytes(p, "leafHash")), Hex(map.Leaf(idx.GetInt64())));
                checkedInclusion++;
            }
            else
            {
                var proof = MerkleTree.ConsistencyProof(map, p.GetProperty("size1").GetInt64(), p.GetProperty("size2").GetInt64());
                Assert.Equal(Proof(p).Select(Hex), proof.Select(Hex));
                checkedConsistency++;
            }
        }

        Assert.Equal(5, checkedInclusion);
        Assert.Equal(5, checkedConsistency);
    }

    [Fact]
    public void EveryProof_OfTheReferenceTree_Verifies_AndFailsForAnotherLeaf()
    {
        var leaves = Tree.GetProperty("leafInputs").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToList();
        var map = NodeMap.OfLeaves(leaves);
        for (long n = 1; n <= leaves.Count; n++)
        {
            var root = MerkleTree.Root(map, n);
            for (long m = 0; m < n; m++)
            {
                var proof = MerkleTree.InclusionProof(map, m, n);
                Assert.True(MerkleTree.VerifyInclusion(m, n, map.Leaf(m), proof, root), $"{m} in {n}");
                Assert.False(MerkleTree.VerifyInclusion(m, n, map.Leaf((m + 1) % 8), proof, root), $"other leaf, {m} in {n}");
            }

            for (long m = 1; m <= n; m++)
            {
                var proof = MerkleTree.ConsistencyProof(map, m, n);
                Assert.True(MerkleTree.VerifyConsistency(m, n, proof, MerkleTree.Root(map, m), root), $"{m} -> {n}");
            }
        }
    }

    private static IEnumerable<object[]> Probes(string kind)
        => Directory.EnumerateFiles(Path.Combine(Root, "transparency-dev", kind), "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(Root, "transparency-dev"), f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f });

    /// <summary>The probes hold uint64 values; one beyond long (a mutation such as "minus 1" of 0) stands for "too large".</summary>
    private static long Size(JsonElement p, string name) => p.GetProperty(name).TryGetInt64(out var v) ? v : long.MaxValue;

    private static byte[] Bytes(JsonElement p, string name) => Convert.FromBase64String(p.GetProperty(name).GetString() ?? string.Empty);

    private static List<byte[]> Proof(JsonElement p)
        => p.GetProperty("proof").ValueKind == JsonValueKind.Null ? new List<byte[]>() : p.GetProperty("proof").EnumerateArray().Select(e => Convert.FromBase64String(e.GetString()!)).ToList();

    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();
}
