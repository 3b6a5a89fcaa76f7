using System;
using System.Collections.Generic;
using System.Text.Json;

namespace EvalSig.Core.Audit;

/// <summary>
/// How a gate record in the ledger says whether the gate passed, across producers: EvalSig and
/// HallucCheck write "verdict" (ALLOW, REJECT, PASS...); the SpanForge SDK's examples write
/// "decision" ("allow"/"deny") and its trust feed also reads "status". One place, so the schema
/// check and the scorecard's gate pass rate accept exactly the same payloads.
/// </summary>
public static class GatePayload
{
    /// <summary>Field names read after "verdict", in this order.</summary>
    public static IReadOnlyList<string> AlternativeFields { get; } = new[] { "decision", "status" };

    private static readonly HashSet<string> PassWords = new(StringComparer.OrdinalIgnoreCase) { "ALLOW", "ALLOWED", "PASS", "PASSED", "APPROVED" };

    /// <summary>
    /// True when the payload's verdict (else decision, else status) is a pass word (allow, allowed,
    /// pass, passed, approved; any case), false for any other text (reject, deny, block,
    /// inconclusive...), null when none of the fields holds text (the record counts for nothing).
    /// </summary>
    public static bool? Passed(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (Read(payload, "verdict") is { } verdict)
        {
            return PassWords.Contains(verdict);
        }

        foreach (var name in AlternativeFields)
        {
            if (Read(payload, name) is { } v)
            {
                return PassWords.Contains(v);
            }
        }

        return null;
    }

    private static string? Read(JsonElement payload, string name)
        => payload.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()!.Trim() : null;
}
