using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace EvalSig.Bridge.Cloud;

/// <summary>
/// Removes credentials from text that leaves the bridge (exception messages): the secrets the store
/// was opened with, and anything shaped like an account key, SAS signature or session token.
/// </summary>
internal sealed class Redaction
{
    private static readonly Regex Shaped = new(
        "(?i)(AccountKey=|SharedAccessSignature=|[?&]sig=|X-Amz-Signature=|X-Amz-Security-Token=|X-Amz-Credential=|Signature=)[^;&\\s\"']+",
        RegexOptions.CultureInvariant,
        TimeSpan.FromSeconds(1));

    private readonly string[] _secrets;

    public Redaction(IEnumerable<string?> secrets)
        => _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= 6).Select(s => s!).Distinct(StringComparer.Ordinal).ToArray();

    public string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        foreach (var s in _secrets)
        {
            text = text.Replace(s, "***", StringComparison.Ordinal);
        }

        return Shaped.Replace(text, m => m.Groups[1].Value + "***");
    }

    /// <summary>The first line of a service message, cleaned: SDK messages append request dumps below it.</summary>
    public string FirstLine(string? text)
    {
        var cleaned = Clean(text);
        var nl = cleaned.AsSpan().IndexOfAny('\r', '\n');
        return (nl < 0 ? cleaned : cleaned[..nl]).Trim();
    }
}
