using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace EvalSig.Core.Audit.Transparency;

/// <summary>One signature line of a note: key name, key id and the signature bytes after the id.</summary>
internal sealed record NoteSignature(string Name, uint KeyHash, byte[] Signature);

/// <summary>
/// c2sp.org/signed-note: a UTF-8 text ending in a newline, a blank line, then one or more lines
/// "— &lt;key name&gt; &lt;base64(4-byte big-endian key id || signature)&gt;" (em dash U+2014, space).
/// No control character but the newline; the text ends at the last blank line. Parsing and the
/// rules for unknown and failing signatures follow the specification and golang.org/x/mod/sumdb/note.
/// </summary>
internal static class SignedNote
{
    /// <summary>golang.org/x/mod/sumdb/note refuses notes with more signatures than this.</summary>
    public const int MaxSignatures = 100;

    private const string Dash = "\u2014 ";

    /// <summary>The signed note: text, blank line, the key's signature line.</summary>
    public static string Sign(string text, AuditSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!IsWellFormedText(text))
        {
            throw new ArgumentException("a note text is non-empty UTF-8 ending in a newline, without other control characters or a blank last line", nameof(text));
        }

        var sig = key.Sign(Encoding.UTF8.GetBytes(text));
        var blob = new byte[4 + sig.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, key.VerifierKey.KeyHash);
        sig.CopyTo(blob, 4);
        return text + "\n" + Dash + key.Name + " " + Convert.ToBase64String(blob) + "\n";
    }

    /// <summary>Splits a note into its text and signatures; false (with why) when it is malformed.</summary>
    public static bool TryParse(byte[] note, out string text, out IReadOnlyList<NoteSignature> signatures, out string error)
    {
        text = string.Empty;
        signatures = Array.Empty<NoteSignature>();
        string all;
        try
        {
            all = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(note);
        }
        catch (DecoderFallbackException)
        {
            error = "it is not valid UTF-8";
            return false;
        }

        foreach (var c in all)
        {
            if (c < 0x20 && c != '\n')
            {
                error = c == '\r'
                    ? "it has CR LF line endings, and a signed note has LF only (keep .note files binary in git: autocrlf rewrites them)"
                    : "it holds a control character";
                return false;
            }
        }

        var split = all.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = "it has no blank line before its signatures";
            return false;
        }

        text = all[..(split + 1)];
        var sigs = all[(split + 2)..];
        if (sigs.Length == 0 || !sigs.EndsWith('\n'))
        {
            error = "it has no signature line, or its last line does not end in a newline";
            return false;
        }

        var list = new List<NoteSignature>();
        foreach (var line in sigs[..^1].Split('\n'))
        {
            if (!line.StartsWith(Dash, StringComparison.Ordinal))
            {
                error = "a line after the blank line is not a signature (— name signature)";
                return false;
            }

            var parts = line[Dash.Length..].Split(' ');
            if (parts.Length != 2 || !AuditVerifierKey.IsValidName(parts[0]) || !AuditVerifierKey.TryBase64(parts[1], out var blob) || blob.Length < 5)
            {
                error = "a signature line is malformed";
                return false;
            }

            list.Add(new NoteSignature(parts[0], BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]));
            if (list.Count > MaxSignatures)
            {
                error = $"it has more than {MaxSignatures} signatures";
                return false;
            }
        }

        signatures = list;
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Null when the key signed the text; else why not. Signatures of other keys (other names or
    /// ids: cosigners, rotated keys) are ignored; a signature of this key that fails rejects the note.
    /// </summary>
    public static string? Verify(string text, IReadOnlyList<NoteSignature> signatures, AuditVerifierKey key)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        ArgumentNullException.ThrowIfNull(key);
        var message = Encoding.UTF8.GetBytes(text);
        var verified = false;
        foreach (var s in signatures)
        {
            if (!string.Equals(s.Name, key.Name, StringComparison.Ordinal) || s.KeyHash != key.KeyHash)
            {
                continue;
            }

            if (!key.Verify(message, s.Signature))
            {
                return $"its signature by {key.Name}+{key.KeyId} does not verify: the head was altered or signed by another key";
            }

            verified = true;
        }

        return verified ? null : $"it carries no signature of the key {key.Name}+{key.KeyId}";
    }

    private static bool IsWellFormedText(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.EndsWith('\n') || text.Contains("\n\n", StringComparison.Ordinal) && text.EndsWith("\n\n", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c < 0x20 && c != '\n')
            {
                return false;
            }
        }

        return true;
    }
}
