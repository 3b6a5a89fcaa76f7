using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Audit.Transparency;
using EvalSig.Core.Diagnostics;
using Xunit;

namespace EvalSig.Core.Tests.Transparency;

/// <summary>
/// c2sp.org/signed-note against the reference vectors of golang.org/x/mod/sumdb/note and the
/// specification's own example (tests/data/transparency/signed-note.json).
/// </summary>
public class SignedNoteTests
{
    private static readonly JsonElement V = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tests", "data", "transparency", "signed-note.json"))).RootElement;

    private static string Peter(string name) => V.GetProperty("peterNeumann").GetProperty(name).GetString()!;

    private static string Enoch(string name) => V.GetProperty("enochRoot").GetProperty(name).GetString()!;

    [Fact]
    public void Sign_WithTheReferenceKey_ReproducesTheReferenceNote_ByteForByte()
    {
        var key = AuditSigningKey.Parse(Peter("signerKey"), "vector");
        Assert.Equal("PeterNeumann", key.Name);
        Assert.Equal("c74f20a3", key.KeyId);
        Assert.Equal(Peter("verifierKey"), key.VerifierKey.ToString());
        Assert.Equal(Peter("note"), SignedNote.Sign(Peter("text"), key));
        Assert.Equal(Peter("signerKey"), key.ExportText());
        Assert.DoesNotContain("AYEK", key.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_TheReferenceNotes_AndTheSpecificationExample()
    {
        var peter = AuditVerifierKey.Parse(Peter("verifierKey"));
        Assert.True(Open(Peter("note"), peter) is null);

        var c2sp = V.GetProperty("c2spExample");
        Assert.True(Open(c2sp.GetProperty("note").GetString()!, AuditVerifierKey.Parse(c2sp.GetProperty("verifierKey").GetString()!)) is null);

        // Another key's signature is ignored; both verify with both keys; none with only unknown keys.
        var enoch = AuditVerifierKey.Parse(Enoch("verifierKey"));
        var both = Peter("text") + "\n" + Peter("signatureLine") + Enoch("signatureLine");
        Assert.Null(Open(both, peter));
        Assert.Null(Open(both, enoch));
        Assert.Contains("no signature of the key", Open(Peter("text") + "\n" + Enoch("signatureLine"), peter), StringComparison.Ordinal);

        // A signature of the key that fails rejects the note, even next to a good one.
        var sig = Peter("signatureLine");
        var broken = Peter("text") + "\n" + sig[..60] + "ABCD" + sig[60..];
        Assert.Contains("does not verify", Open(broken, peter), StringComparison.Ordinal);
        Assert.Contains("does not verify", Open(Peter("note").Replace("problem,", "problem;", StringComparison.Ordinal), peter), StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedNotes_AreRefused()
    {
        var text = Peter("text");
        var sig = Peter("signatureLine");
        foreach (var bad in new[]
        {
            Encoding.UTF8.GetBytes(text),
            Encoding.UTF8.GetBytes(text + "\n"),
            Encoding.UTF8.GetBytes(text + "\n" + sig[..^1]),
            Encoding.UTF8.GetBytes("\u0001" + text + "\n" + sig),
            new byte[] { 0xff }.Concat(Encoding.UTF8.GetBytes(text + "\n" + sig)).ToArray(),
            Encoding.UTF8.GetBytes(text + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
            Encoding.UTF8.GetBytes(text + "\n" + sig + "Unexpected line.\n"),
            Encoding.UTF8.GetBytes(text + "\n" + string.Concat(Enumerable.Repeat(sig, 101))),
        })
        {
            Assert.False(SignedNote.TryParse(bad, out _, out _, out _), Encoding.UTF8.GetString(bad));
        }
    }

    [Fact]
    public void VerifierKey_EveryManglingOfTheReferenceKey_IsRefused()
    {
        var vkey = Peter("verifierKey");
        Assert.Equal("c74f20a3", AuditVerifierKey.Parse(vkey).KeyId);
        foreach (var k in Manglings(vkey).Concat(V.GetProperty("badVerifierKeys").EnumerateArray().Select(e => e.GetString()!)))
        {
            var ex = Assert.Throws<EvalSigException>(() => AuditVerifierKey.Parse(k));
            Assert.Equal(EvalSigError.AuditVerifierKeyInvalid, ex.Error);
        }
    }

    [Fact]
    public void SignerKey_EveryManglingOfTheReferenceKey_IsRefused()
    {
        var skey = Peter("signerKey");
        foreach (var k in Manglings(skey))
        {
            var ex = Assert.Throws<EvalSigException>(() => AuditSigningKey.Parse(k, "test"));
            Assert.Equal(EvalSigError.AuditSigningKeyInvalid, ex.Error);
            Assert.DoesNotContain("AYEKFALV", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SignedTreeHead_RoundTrips_AndFailsWhenAlteredOrCheckedWithAnotherKey()
    {
        var key = AuditSigningKey.Generate("example.com/audit");
        var root = MerkleTree.LeafHash("x"u8);
        var head = SignedTreeHead.Sign(42, root, key);
        Assert.Equal("example.com/audit\n42\n" + Convert.ToBase64String(root) + "\n", head.Text);
        Assert.StartsWith(head.Text + "\n\u2014 example.com/audit ", head.Note, StringComparison.Ordinal);
        var again = SignedTreeHead.Parse(head.Note, "test");
        Assert.Equal(42, again.TreeSize);
        Assert.Equal(Convert.ToBase64String(root), again.RootHash);
        Assert.Equal("example.com/audit", again.Origin);
        Assert.Null(again.CheckSignature(key.VerifierKey));
        Assert.Equal(new[] { "example.com/audit+" + key.KeyId }, again.Signers);

        var grown = SignedTreeHead.Parse(head.Note.Replace("\n42\n", "\n43\n", StringComparison.Ordinal), "test");
        Assert.Contains("does not verify", grown.CheckSignature(key.VerifierKey), StringComparison.Ordinal);
        Assert.Contains("not of", again.CheckSignature(AuditSigningKey.Generate("example.com/other").VerifierKey), StringComparison.Ordinal);
        Assert.Contains("no signature", again.CheckSignature(AuditSigningKey.Generate("example.com/audit").VerifierKey), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com/audit\n042\nAAAA\n\n\u2014 k QUJDREVG\n")]
    [InlineData("example.com/audit\n-1\nAAAA\n\n\u2014 k QUJDREVG\n")]
    [InlineData("example.com/audit\n5\nAAAA\n\n\u2014 k QUJDREVG\n")]
    [InlineData("example.com/audit\n5\n\n\u2014 k QUJDREVG\n")]
    [InlineData("not a note at all")]
    public void SignedTreeHead_Malformed_IsAuditTreeHeadInvalid(string note)
    {
        var ex = Assert.Throws<EvalSigException>(() => SignedTreeHead.Parse(note, "test"));
        Assert.Equal(EvalSigError.AuditTreeHeadInvalid, ex.Error);
    }

    [Fact]
    public void GeneratedKey_SignsHeadsItsVerifierKeyChecks_AndHasADefaultName()
    {
        var key = AuditSigningKey.Generate(null);
        Assert.Matches("^evalsig/[0-9a-f]{8}$", key.Name);
        var back = AuditSigningKey.Parse(key.ExportText(), "test");
        Assert.Equal(key.KeyId, back.KeyId);
        var vk = AuditVerifierKey.Parse(key.VerifierKey.ToString());
        Assert.Null(SignedTreeHead.Sign(1, MerkleTree.EmptyRoot, back).CheckSignature(vk));
        Assert.Throws<EvalSigException>(() => AuditSigningKey.Generate("has space"));
        Assert.Throws<EvalSigException>(() => AuditSigningKey.Generate("has+plus"));
    }

    private static string? Open(string note, AuditVerifierKey key)
    {
        Assert.True(SignedNote.TryParse(Encoding.UTF8.GetBytes(note), out var text, out var sigs, out var error), error);
        return SignedNote.Verify(text, sigs, key);
    }

    /// <summary>Every proper substring and every one-byte increment (the manglings of the reference tests).</summary>
    private static System.Collections.Generic.IEnumerable<string> Manglings(string key)
    {
        var b = Encoding.UTF8.GetBytes(key);
        for (var i = 0; i <= b.Length; i++)
        {
            for (var j = i + 1; j <= b.Length; j++)
            {
                if (i != 0 || j != b.Length)
                {
                    yield return Encoding.UTF8.GetString(b, i, j - i);
                }
            }
        }

        for (var i = 0; i < b.Length; i++)
        {
            var c = (byte[])b.Clone();
            c[i]++;
            yield return Encoding.UTF8.GetString(c);
        }
    }
}
