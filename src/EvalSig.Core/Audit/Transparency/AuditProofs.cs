using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Json;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// An RFC 9162 inclusion proof: the record at <see cref="Position"/> is leaf Position of the tree of
/// <see cref="TreeSize"/> records whose root is <see cref="RootHash"/>. Hashes run from the leaf's
/// sibling up to the root's child, base64. With a signed head it prints as a c2sp.org/tlog-proof.
/// </summary>
public sealed record AuditInclusionProof
{
    public required long Position { get; init; }

    public required long TreeSize { get; init; }

    /// <summary>SHA-256(0x00 || the record's stored line), base64.</summary>
    public required string LeafHash { get; init; }

    public required string RootHash { get; init; }

    public required IReadOnlyList<string> Hashes { get; init; }

    /// <summary>The signed head the proof is against, when one was given.</summary>
    public SignedTreeHead? Head { get; init; }

    /// <summary>True when the hashes lead from the leaf hash to the root hash.</summary>
    public bool Verify() => MerkleTree.VerifyInclusion(Position, TreeSize, Convert.FromBase64String(LeafHash), Decode(Hashes), Convert.FromBase64String(RootHash));

    /// <summary>c2sp.org/tlog-proof@v1: index, the proof lines, a blank line and the signed head verbatim.</summary>
    public string ToTlogProof()
    {
        if (Head is null)
        {
            throw new EvalSigException(EvalSigError.AuditProofUnavailable, EvalSigErrorKind.InvalidOperation, "A tlog-proof carries the signed head: prove the record against a head (-Checkpoint).");
        }

        var sb = new StringBuilder("c2sp.org/tlog-proof@v1\n");
        sb.Append("index ").Append(Position.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var h in Hashes)
        {
            sb.Append(h).Append('\n');
        }

        return sb.Append('\n').Append(Head.Note).ToString();
    }

    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append("{\"hashes\":");
        AppendStrings(sb, Hashes);
        sb.Append(",\"leaf_hash\":");
        CanonicalJson.AppendString(sb, LeafHash);
        sb.Append(",\"position\":").Append(Position.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"root_hash\":");
        CanonicalJson.AppendString(sb, RootHash);
        sb.Append(",\"tree_size\":").Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('}');
        return sb.ToString();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"record {Position} in tree {TreeSize}: {Hashes.Count} hashes");

    internal static IReadOnlyList<byte[]> Decode(IReadOnlyList<string> hashes) => hashes.Select(h => AuditVerifierKey.TryBase64(h, out var b) ? b : Array.Empty<byte>()).ToList();

    internal static void AppendStrings(StringBuilder sb, IReadOnlyList<string> items)
    {
        sb.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            CanonicalJson.AppendString(sb, items[i]);
        }

        sb.Append(']');
    }
}

/// <summary>
/// An RFC 9162 consistency proof: the tree of <see cref="FromSize"/> records (root FromRoot) is a
/// prefix of the tree of <see cref="ToSize"/> records (root ToRoot) - nothing before FromSize was
/// changed, removed or reordered. Its JSON form is what `evalsig audit prove consistency` prints and
/// Test-AuditChain -ConsistencyProof reads.
/// </summary>
public sealed record AuditConsistencyProof
{
    public required long FromSize { get; init; }

    public required long ToSize { get; init; }

    public required string FromRoot { get; init; }

    public required string ToRoot { get; init; }

    public required IReadOnlyList<string> Hashes { get; init; }

    /// <summary>True when the hashes prove ToRoot extends FromRoot.</summary>
    public bool Verify() => VerifyAgainst(Convert.FromBase64String(FromRoot), Convert.FromBase64String(ToRoot));

    public string ToJson()
    {
        var sb = new StringBuilder();
        sb.Append("{\"from_root\":");
        CanonicalJson.AppendString(sb, FromRoot);
        sb.Append(",\"from_size\":").Append(FromSize.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"hashes\":");
        AuditInclusionProof.AppendStrings(sb, Hashes);
        sb.Append(",\"to_root\":");
        CanonicalJson.AppendString(sb, ToRoot);
        sb.Append(",\"to_size\":").Append(ToSize.ToString(CultureInfo.InvariantCulture)).Append('}');
        return sb.ToString();
    }

    public static AuditConsistencyProof Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new AuditConsistencyProof
            {
                FromSize = r.GetProperty("from_size").GetInt64(),
                ToSize = r.GetProperty("to_size").GetInt64(),
                FromRoot = r.GetProperty("from_root").GetString() ?? throw new FormatException("from_root is null"),
                ToRoot = r.GetProperty("to_root").GetString() ?? throw new FormatException("to_root is null"),
                Hashes = r.GetProperty("hashes").EnumerateArray().Select(h => h.GetString() ?? throw new FormatException("a hash is null")).ToList(),
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EvalSigException(EvalSigError.AuditProofInvalid, EvalSigErrorKind.InvalidData, $"{source} is not a consistency proof (JSON with from_size, to_size, from_root, to_root, hashes): {ex.Message}", source, ex);
        }
    }

    public static AuditConsistencyProof Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditProofInvalid, EvalSigErrorKind.ObjectNotFound, $"The consistency proof '{path}' does not exist.", path);
        }

        return Parse(File.ReadAllText(path, Encoding.UTF8), $"'{path}'");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"tree {FromSize} -> {ToSize}: {Hashes.Count} hashes");

    internal bool VerifyAgainst(ReadOnlySpan<byte> fromRoot, ReadOnlySpan<byte> toRoot) => MerkleTree.VerifyConsistency(FromSize, ToSize, AuditInclusionProof.Decode(Hashes), fromRoot, toRoot);
}
