using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Audit;
using EvalSig.Core.Time;

namespace EvalSig.Core.Compliance;

/// <summary>One T.R.U.S.T. dimension: a 0-100 score (null when there is no data), its trend and band.</summary>
public sealed record TrustDimension(string Name, double? Score, string Trend, string Band, int RecordCount, IReadOnlyList<string> SchemaKeys)
{
    /// <summary>"no data" when no record fed the dimension; never an invented score.</summary>
    public string Status => Score is null ? "no data" : Band;
}

/// <summary>The T.R.U.S.T. scorecard of a window, computed from the ledger alone (so reproducible).</summary>
public sealed record TrustScorecard
{
    public required TrustDimension Hallucination { get; init; }

    public required TrustDimension PiiHygiene { get; init; }

    public required TrustDimension SecretsHygiene { get; init; }

    public required TrustDimension GatePassRate { get; init; }

    public required TrustDimension CompliancePosture { get; init; }

    public IReadOnlyList<TrustDimension> Dimensions => new[] { Hallucination, PiiHygiene, SecretsHygiene, GatePassRate, CompliancePosture };

    /// <summary>Records in the window that fed a dimension.</summary>
    public required int RecordCount { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>The scorecard as the ledger stood at this time (records after it are ignored).</summary>
    public DateTimeOffset? AsOf { get; init; }

    public string? ProjectId { get; init; }

    /// <summary>The newest ledger record the scorecard saw: its position and HMAC, for reproduction.</summary>
    public long? HeadPosition { get; init; }

    public string? HeadHmac { get; init; }

    public required DateTimeOffset GeneratedAt { get; init; }
}

/// <summary>Builds the scorecard from ledger records.</summary>
public static class TrustScorecards
{
    /// <summary>Trends beyond +/- this many points are up or down.</summary>
    public const double TrendThreshold = 2.0;

    public static TrustScorecard Compute(IAuditBackend ledger, DateTimeOffset? from, DateTimeOffset? to, string? projectId, DateTimeOffset? asOf, System.Threading.CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        // As of a time: the window ends at the earlier of -To and -AsOf.
        var until = asOf is { } a && (to is null || a < to) ? a : to;
        var records = ledger.Query(new AuditQuery { From = from, To = until, ProjectId = projectId }, cancel).ToList();

        var values = new Dictionary<string, List<(DateTimeOffset At, long Position, double Value)>>(StringComparer.Ordinal)
        {
            ["hallucination"] = new(),
            ["pii"] = new(),
            ["secrets"] = new(),
            ["gate"] = new(),
            ["posture"] = new(),
        };
        foreach (var r in records)
        {
            var (dimension, value) = Value(r);
            if (dimension is not null && value is { } v)
            {
                values[dimension].Add((r.Timestamp, r.ChainPosition, v));
            }
        }

        var head = records.LastOrDefault();
        return new TrustScorecard
        {
            Hallucination = Dimension("Hallucination", values["hallucination"], "halluccheck.score.v1"),
            PiiHygiene = Dimension("PII hygiene", values["pii"], "halluccheck.pii.v1"),
            SecretsHygiene = Dimension("Secrets hygiene", values["secrets"], "halluccheck.secrets.v1"),
            GatePassRate = Dimension("Gate pass rate", values["gate"], "halluccheck.gate.v1", "evalsig.gate.v1"),
            CompliancePosture = Dimension("Compliance posture", values["posture"], "halluccheck.opa.v1", "halluccheck.auth.v1"),
            RecordCount = values.Values.Sum(v => v.Count),
            From = from,
            To = to,
            AsOf = asOf,
            ProjectId = projectId,
            HeadPosition = head?.ChainPosition,
            HeadHmac = head?.Hmac,
            GeneratedAt = IsoTime.ToMicroseconds(DateTimeOffset.UtcNow),
        };
    }

    /// <summary>green &gt;= 80, amber &gt;= 60, red below; "none" without a score.</summary>
    public static string Band(double? score) => score switch
    {
        null => "none",
        >= 80 => "green",
        >= 60 => "amber",
        _ => "red",
    };

    /// <summary>Second-half mean minus first-half mean (records sorted by time): &gt; +2 up, &lt; -2 down.</summary>
    public static string Trend(IReadOnlyList<double> valuesInTimeOrder)
    {
        ArgumentNullException.ThrowIfNull(valuesInTimeOrder);
        if (valuesInTimeOrder.Count < 2)
        {
            return "flat";
        }

        var half = valuesInTimeOrder.Count / 2;
        var change = valuesInTimeOrder.Skip(half).Average() - valuesInTimeOrder.Take(half).Average();
        return change > TrendThreshold ? "up" : change < -TrendThreshold ? "down" : "flat";
    }

    private static TrustDimension Dimension(string name, List<(DateTimeOffset At, long Position, double Value)> v, params string[] keys)
    {
        var ordered = v.OrderBy(x => x.At).ThenBy(x => x.Position).Select(x => x.Value).ToList();
        double? score = ordered.Count == 0 ? null : ordered.Average();
        return new TrustDimension(name, score, Trend(ordered), Band(score), ordered.Count, keys);
    }

    /// <summary>The dimension a record feeds and its 0-100 value; records without the field count for nothing.</summary>
    private static (string? Dimension, double? Value) Value(AuditRecord r)
    {
        using var doc = JsonDocument.Parse(r.PayloadJson);
        var p = doc.RootElement;
        bool? Bool(string name) => p.TryGetProperty(name, out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
        switch (r.SchemaKey)
        {
            case "halluccheck.score.v1":
                if (p.TryGetProperty("score", out var s) && s.ValueKind == JsonValueKind.Number)
                {
                    var x = s.GetDouble();
                    return ("hallucination", x <= 1 ? 100 * Math.Max(0, x) : Math.Min(x, 100));
                }

                return (null, null);
            case "halluccheck.pii.v1":
                return ("pii", Bool("detected") is { } d ? (d ? 0 : 100) : null);
            case "halluccheck.secrets.v1":
                return ("secrets", Bool("detected") is { } sd ? (sd ? 0 : 100) : null);
            case "halluccheck.gate.v1":
            case "evalsig.gate.v1":
                // verdict, else decision/status (the SpanForge SDK's {"decision": "allow"}): see GatePayload.
                return ("gate", Audit.GatePayload.Passed(p) is { } passed ? (passed ? 100 : 0) : null);
            case "halluccheck.opa.v1":
                return ("posture", Bool("allowed") is { } allowed ? (allowed ? 100 : 0) : null);
            case "halluccheck.auth.v1":
                return ("posture", Bool("success") is { } ok ? (ok ? 100 : 0) : null);
            default:
                return (null, null);
        }
    }
}
