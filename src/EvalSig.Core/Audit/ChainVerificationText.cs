using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using EvalSig.Core.Json;

namespace EvalSig.Core.Audit;

/// <summary>A chain verification as text, Markdown or JSON (the forms the CLI prints and Export-EvalReport writes).</summary>
public static class ChainVerificationText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>"VALID  reason" then the counts and notes, as evalsig audit verify prints them.</summary>
    public static string Text(ChainVerification v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var sb = new StringBuilder();
        sb.Append(Inv, $"{(v.Valid ? "VALID" : "INVALID")}  {v.Reason}").Append('\n');
        sb.Append(Inv, $"verified {v.VerifiedCount}, tampered {v.TamperedCount}, gaps {v.Gaps.Count}, duplicates {v.Duplicates.Count}, anchored {(v.Anchored ? "yes" : "no")}").Append('\n');
        foreach (var n in v.Notes)
        {
            sb.Append("note: ").Append(n).Append('\n');
        }

        return sb.ToString();
    }

    public static string Markdown(ChainVerification v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var sb = new StringBuilder();
        sb.Append(Inv, $"## EvalSig audit chain: **{(v.Valid ? "VALID" : "INVALID")}**").Append("\n\n");
        sb.Append(v.Reason).Append("\n\n");
        sb.Append("| | |\n|---|---|\n");
        sb.Append(Inv, $"| Verified | {v.VerifiedCount} |\n| Tampered | {v.TamperedCount} |\n| Gaps | {v.Gaps.Count} |\n| Duplicates | {v.Duplicates.Count} |\n| Anchored | {(v.Anchored ? "yes" : "no")} |\n");
        if (v.FirstTampered is { } t)
        {
            sb.Append(Inv, $"| First tampered | position {t.Position}: {t.Reason.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        foreach (var n in v.Notes)
        {
            sb.Append("\n- ").Append(n);
        }

        return sb.Append('\n').ToString();
    }

    public static string Json(ChainVerification v, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(v);
        return JsonValues.Serialize(
            new Dictionary<string, object?>
            {
                ["valid"] = v.Valid,
                ["verified_count"] = v.VerifiedCount,
                ["tampered_count"] = v.TamperedCount,
                ["first_tampered"] = v.FirstTampered is { } t ? new Dictionary<string, object?> { ["record_id"] = t.RecordId, ["position"] = t.Position, ["reason"] = t.Reason } : null,
                ["gaps"] = v.Gaps,
                ["duplicates"] = v.Duplicates,
                ["anchored"] = v.Anchored,
                ["torn_tail"] = v.TornTail,
                ["legacy_count"] = v.LegacyCount,
                ["reason"] = v.Reason,
                ["notes"] = v.Notes,
            },
            indented);
    }
}
