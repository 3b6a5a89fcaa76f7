using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>
/// A signed tree head: a c2sp.org/tlog-checkpoint (origin, tree size, base64 root hash, one line
/// each) in a c2sp.org/signed-note signed with the log's Ed25519 key. Anyone with the public key can
/// check it; only the holder of the signing key can make one. Parsing a head checks its form only:
/// whether it is signed by a given key is <see cref="CheckSignature"/>.
/// </summary>
public sealed class SignedTreeHead
{
    private readonly byte[] _root;
    private readonly IReadOnlyList<NoteSignature> _signatures;

    private SignedTreeHead(string origin, long treeSize, byte[] root, string text, IReadOnlyList<NoteSignature> signatures, string note)
    {
        Origin = origin;
        TreeSize = treeSize;
        _root = root;
        Text = text;
        _signatures = signatures;
        Note = note;
    }

    /// <summary>The log's identity (the signing key's name for EvalSig logs).</summary>
    public string Origin { get; }

    /// <summary>Records covered: positions 0 .. TreeSize-1.</summary>
    public long TreeSize { get; }

    /// <summary>The RFC 9162 root hash of the first TreeSize records, base64.</summary>
    public string RootHash => Convert.ToBase64String(_root);

    /// <summary>"name+keyid" of every signature line (the log's, and any cosigner's).</summary>
    public IReadOnlyList<string> Signers => _signatures.Select(s => s.Name + "+" + s.KeyHash.ToString("x8", CultureInfo.InvariantCulture)).ToList();

    /// <summary>The signed text: the checkpoint lines.</summary>
    public string Text { get; }

    /// <summary>The whole signed note, as written to the file.</summary>
    public string Note { get; }

    internal ReadOnlySpan<byte> Root => _root;

    /// <summary>Reads a head's form (not its signature); a malformed one is AuditTreeHeadInvalid.</summary>
    public static SignedTreeHead Parse(string note, string source)
        => Parse(Encoding.UTF8.GetBytes(note ?? string.Empty), source);

    public static SignedTreeHead Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new EvalSigException(EvalSigError.AuditTreeHeadInvalid, EvalSigErrorKind.ObjectNotFound, $"The signed tree head '{path}' does not exist.", path);
        }

        return Parse(File.ReadAllBytes(path), $"'{path}'");
    }

    /// <summary>Null when <paramref name="key"/> signed this head and the head names the key's log; else why not.</summary>
    public string? CheckSignature(AuditVerifierKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!string.Equals(Origin, key.Name, StringComparison.Ordinal))
        {
            return $"the head is of the log '{Origin}', not of '{key.Name}' (the public key's log)";
        }

        return SignedNote.Verify(Text, _signatures, key);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Origin} {TreeSize} {RootHash}");

    internal static SignedTreeHead Sign(long treeSize, byte[] root, AuditSigningKey key)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{key.Name}\n{treeSize}\n{Convert.ToBase64String(root)}\n");
        var note = SignedNote.Sign(text, key);
        return Parse(Encoding.UTF8.GetBytes(note), "the new head");
    }

    internal bool SameHead(SignedTreeHead other) => TreeSize == other.TreeSize && _root.AsSpan().SequenceEqual(other._root);

    private static SignedTreeHead Parse(byte[] bytes, string source)
    {
        if (!SignedNote.TryParse(bytes, out var text, out var sigs, out var error))
        {
            throw Invalid(source, "is not a signed note: " + error);
        }

        // c2sp.org/tlog-checkpoint: origin, size (decimal, no leading zero), base64 root; any further
        // lines are extensions (kept in the signed text, not interpreted).
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines.Any(l => l.Length == 0))
        {
            throw Invalid(source, "is not a checkpoint: it needs an origin, a tree size and a root hash, one non-empty line each");
        }

        if (!IsDecimal(lines[1]) || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw Invalid(source, $"has a tree size '{lines[1]}' that is not a decimal number without leading zeros");
        }

        if (!AuditVerifierKey.TryBase64(lines[2], out var root) || root.Length != MerkleTree.HashSize)
        {
            throw Invalid(source, "has a root hash that is not 32 bytes of base64");
        }

        return new SignedTreeHead(lines[0], size, root, text, sigs, Encoding.UTF8.GetString(bytes));
    }

    private static bool IsDecimal(string s) => s.Length > 0 && s.All(char.IsAsciiDigit) && (s == "0" || s[0] != '0') && s.Length <= 18;

    private static EvalSigException Invalid(string source, string what) => new(EvalSigError.AuditTreeHeadInvalid, EvalSigErrorKind.InvalidData, $"The signed tree head {source} {what}.", source);
}
