using System;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>Issue 16's everyday details that live in Core: SpanForge gate payloads, one interval format, sample warnings, surface-specific messages.</summary>
public class DetailsTests
{
    private static void Add(LocalLedger l, string schema, string payload)
        => AuditLog.Append(l, AuditLedgerTests.Key, new[] { new AuditEntry(schema, "p", payload) }, strictSchema: true);

    [Fact]
    public void SpanForgeGatePayloads_AreAccepted_AndCountInTheGatePassRate()
    {
        using var s = new Scratch();
        var l = new LocalLedger(s.Path);
        Add(l, "halluccheck.gate.v1", "{\"decision\": \"allow\", \"policy\": \"data-access\"}");
        Add(l, "halluccheck.gate.v1", "{\"decision\": \"deny\", \"policy\": \"data-access\"}");
        Add(l, "halluccheck.gate.v1", "{\"status\": \"PASSED\"}");
        Add(l, "halluccheck.gate.v1", "{\"verdict\": \"REJECT\", \"decision\": \"allow\"}");
        var card = TrustScorecards.Compute(l, null, null, null, null);
        Assert.Equal(4, card.GatePassRate.RecordCount);
        Assert.Equal(50, card.GatePassRate.Score);

        var ex = Assert.Throws<EvalSigException>(() => Add(l, "halluccheck.gate.v1", "{\"policy\": \"data-access\"}"));
        Assert.Equal(EvalSigError.AuditPayloadInvalid, ex.Error);
        Assert.Contains("'verdict' or 'decision' or 'status' is missing", ex.Message, StringComparison.Ordinal);
        Assert.Throws<EvalSigException>(() => Add(l, "halluccheck.gate.v1", "{\"decision\": true}"));
    }

    [Theory]
    [InlineData("{\"decision\":\"allow\"}", true)]
    [InlineData("{\"decision\":\"Allowed\"}", true)]
    [InlineData("{\"verdict\":\"ALLOW\"}", true)]
    [InlineData("{\"verdict\":\"pass\"}", true)]
    [InlineData("{\"decision\":\"deny\"}", false)]
    [InlineData("{\"verdict\":\"INCONCLUSIVE\",\"status\":\"pass\"}", false)]
    [InlineData("{\"policy\":\"data-access\"}", null)]
    public void GatePayload_ReadsVerdictThenDecisionThenStatus(string json, bool? expected)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(expected, GatePayload.Passed(doc.RootElement));
    }

    [Theory]
    [InlineData(0.95, 0.065455, double.PositiveInfinity, "95% [+0.065455, +inf)")]
    [InlineData(0.95, -0.0123, 0.034, "95% [-0.012300, +0.034000]")]
    [InlineData(0.9, double.NegativeInfinity, 0.01, "90% (-inf, +0.010000]")]
    public void Intervals_HaveOneFormat(double level, double lower, double upper, string expected)
        => Assert.Equal(expected, IntervalText.Format(level, lower, upper));

    [Fact]
    public void GateTextMarkdownAndExplanation_WriteTheIntervalTheSameWay()
    {
        var r = EvalGate.Decide(Frame("b", 0.5), Frame("c", 0.9), new GateOptions { MinDelta = 0.01 });
        var ci = IntervalText.Format(r.Comparison.CiLower, r.Comparison.CiUpper);
        Assert.Contains(ci, GateReportText.Text(r), StringComparison.Ordinal);
        Assert.Contains(ci, GateReportText.Markdown(r), StringComparison.Ordinal);
        Assert.Contains(ci, r.Explanation, StringComparison.Ordinal);
        Assert.Contains(ci, Pipelines.CiReporter.VerdictLine(r), StringComparison.Ordinal);
    }

    [Fact]
    public void GateReport_KeepsItsRunsBehindMethods_NotProperties()
    {
        var b = Frame("b", 0.5);
        var c = Frame("c", 0.9);
        var r = EvalGate.Decide(b, c, new GateOptions { MinDelta = 0.01 });
        Assert.Same(b, r.GetBaseline());
        Assert.Same(c, r.GetCandidate());
        Assert.DoesNotContain(typeof(GateReport).GetProperties(), p => p.PropertyType == typeof(RunFrame));
    }

    [Fact]
    public void SampleWarnings_LowCoverageAndFewClusters()
    {
        var b = Frame("b", 0.5, n: 200, clusters: 10);
        var c = Frame("c", 0.6, n: 100, clusters: 10);
        var r = EvalGate.Decide(b, c, new GateOptions { MinDelta = 0.01 });
        var warnings = SampleWarnings.Of(r.Comparison);
        Assert.Contains(warnings, w => w.StartsWith("Low coverage: 100 of 200 items are paired (50%)", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("clusters", StringComparison.Ordinal) && w.StartsWith(r.Comparison.Limitation == GateReason.TooFewClusters ? "Too few clusters" : "Few clusters", StringComparison.Ordinal));
        Assert.Empty(SampleWarnings.Of(EvalGate.Decide(Frame("b", 0.5), Frame("c", 0.9), new GateOptions { MinDelta = 0.01 }).Comparison));
    }

    [Fact]
    public void MessagesThatSayWhatToType_NameTheRunningSurface()
    {
        using var s = new Scratch();
        var l = new LocalLedger(s.Path);
        var before = Surface.Current;
        try
        {
            Surface.Current = CommandSurface.Cli;
            var cli = Assert.Throws<EvalSigException>(() => Add(l, "acme.unknown.v1", "{}"));
            Assert.Contains("--no-strict-schema", cli.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("-StrictSchema", cli.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Register-AuditSchema", cli.Message, StringComparison.Ordinal);
            Surface.Current = CommandSurface.PowerShell;
            var ps = Assert.Throws<EvalSigException>(() => Add(l, "acme.unknown.v1", "{}"));
            Assert.Contains("-StrictSchema:$false", ps.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("--no-strict-schema", ps.Message, StringComparison.Ordinal);
        }
        finally
        {
            Surface.Current = before;
        }
    }

    [Fact]
    public void KeyEnvironment_TextInEvalsigAuditKey_PathInEvalsigAuditKeyFile()
    {
        using var s = new Scratch();
        var path = System.IO.Path.Combine(s.Path, "k.key");
        var key = AuditKeyFile.Create(path, false);
        var saved = (Environment.GetEnvironmentVariable(AuditKey.EnvironmentVariable), Environment.GetEnvironmentVariable(AuditKey.FileEnvironmentVariable));
        try
        {
            Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, null);
            Environment.SetEnvironmentVariable(AuditKey.FileEnvironmentVariable, path);
            Assert.Equal(key.KeyId, AuditKeyring.Resolve(null, null).Keys.Single().KeyId);

            Environment.SetEnvironmentVariable(AuditKey.FileEnvironmentVariable, null);
            Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, path);
            var ex = Assert.Throws<EvalSigException>(() => AuditKeyring.Resolve(null, null));
            Assert.Equal(EvalSigError.AuditKeyInvalid, ex.Error);
            Assert.Contains("EVALSIG_AUDIT_KEY_FILE", ex.Message, StringComparison.Ordinal);

            Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, System.IO.File.ReadAllText(path).Trim());
            Assert.Equal(key.KeyId, AuditKeyring.Resolve(null, null).Keys.Single().KeyId);
        }
        finally
        {
            Environment.SetEnvironmentVariable(AuditKey.EnvironmentVariable, saved.Item1);
            Environment.SetEnvironmentVariable(AuditKey.FileEnvironmentVariable, saved.Item2);
        }
    }

    /// <summary>0/1 scores with the given success rate (deterministic pattern), optionally clustered.</summary>
    private static RunFrame Frame(string id, double rate, int n = 400, int clusters = 0)
    {
        var ids = Enumerable.Range(0, n).Select(i => $"q{i:D5}").ToArray();
        var scores = Enumerable.Range(0, n).Select(i => ((i * 7919) % 100) < rate * 100 ? 1.0 : 0.0).ToArray();
        var cl = clusters > 0 ? Enumerable.Range(0, n).Select(i => (string?)$"c{i % clusters}").ToArray() : null;
        return RunFrame.Create(id, "m", "t", "accuracy", ids, scores, cl);
    }
}
