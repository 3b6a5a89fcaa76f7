using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Audit;
using EvalSig.Core.Compliance;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using Xunit;

namespace EvalSig.Core.Tests;

public class ComplianceTests
{
    private static void Add(LocalLedger l, string schema, string payload, string? project = "p")
        => AuditLog.Append(l, AuditLedgerTests.Key, new[] { new AuditEntry(schema, project, payload) }, strictSchema: true);

    [Fact]
    public void Scorecard_ScoresEachDimension_ByTheDocumentedRules()
    {
        using var s = new Scratch();
        var l = new LocalLedger(s.Path);
        Add(l, "halluccheck.score.v1", "{\"score\":0.9}");
        Add(l, "halluccheck.score.v1", "{\"score\":70}");
        Add(l, "halluccheck.score.v1", "{\"score\":250}");
        Add(l, "halluccheck.pii.v1", "{\"detected\":false}");
        Add(l, "halluccheck.pii.v1", "{\"detected\":true}");
        Add(l, "halluccheck.gate.v1", "{\"verdict\":\"pass\"}");
        Add(l, "halluccheck.opa.v1", "{\"allowed\":true}");
        Add(l, "halluccheck.auth.v1", "{\"success\":false}");
        var card = TrustScorecards.Compute(l, null, null, null, null);
        Assert.Equal((90 + 70 + 100) / 3.0, card.Hallucination.Score!.Value, 10);
        Assert.Equal(50, card.PiiHygiene.Score);
        Assert.Equal(100, card.GatePassRate.Score);
        Assert.Equal(50, card.CompliancePosture.Score);
        Assert.Null(card.SecretsHygiene.Score);
        Assert.Equal("no data", card.SecretsHygiene.Status);
        Assert.Equal("none", card.SecretsHygiene.Band);
        Assert.Equal("green", card.Hallucination.Band);
        Assert.Equal("red", card.PiiHygiene.Band);
        Assert.Equal(8, card.RecordCount);
    }

    [Theory]
    [InlineData(new double[] { 50, 50, 60, 60 }, "up")]
    [InlineData(new double[] { 60, 60, 50, 50 }, "down")]
    [InlineData(new double[] { 50, 51, 52, 52 }, "flat")]
    [InlineData(new double[] { 50, 52.1 }, "up")]
    [InlineData(new double[] { 50, 52 }, "flat")]
    [InlineData(new double[] { 10 }, "flat")]
    public void Trend_ComparesTheSecondHalfWithTheFirst(double[] values, string trend)
        => Assert.Equal(trend, TrustScorecards.Trend(values));

    [Theory]
    [InlineData(80.0, "green")]
    [InlineData(79.99, "amber")]
    [InlineData(60.0, "amber")]
    [InlineData(59.9, "red")]
    public void Band_HasItsThresholds(double score, string band) => Assert.Equal(band, TrustScorecards.Band(score));

    [Fact]
    public void Scorecard_AsOfAndWindow_AreReproducibleFromTheLedger()
    {
        using var s = new Scratch();
        var l = new LocalLedger(s.Path);
        Add(l, "halluccheck.pii.v1", "{\"detected\":false}");
        Add(l, "halluccheck.pii.v1", "{\"detected\":false}", project: "other");
        var cut = l.Query(new AuditQuery()).Last().Timestamp;
        System.Threading.Thread.Sleep(5);
        Add(l, "halluccheck.pii.v1", "{\"detected\":true}");
        Add(l, "halluccheck.pii.v1", "{\"detected\":true}");
        var then = TrustScorecards.Compute(l, null, null, null, cut);
        Assert.Equal(100, then.PiiHygiene.Score);
        Assert.Equal(2, then.RecordCount);
        var now = TrustScorecards.Compute(l, null, null, null, null);
        Assert.Equal(50, now.PiiHygiene.Score);
        Assert.Equal("down", now.PiiHygiene.Trend);
        var again = TrustScorecards.Compute(l, null, null, null, cut);
        Assert.Equal((then.PiiHygiene.Score, then.PiiHygiene.Trend, then.PiiHygiene.RecordCount, then.HeadHmac), (again.PiiHygiene.Score, again.PiiHygiene.Trend, again.PiiHygiene.RecordCount, again.HeadHmac));
        Assert.Equal(1, TrustScorecards.Compute(l, null, null, "other", null).RecordCount);
    }

    private static Article30Input Complete() => new()
    {
        ControllerName = "Acme Bank plc",
        ControllerContact = "privacy@acme.example",
        DpoName = "J. Doe",
        DpoContact = "dpo@acme.example",
        Purposes = new[] { "Release evaluation of customer-service LLMs" },
        DataSubjectCategories = new[] { "Customers" },
        PersonalDataCategories = new[] { "Chat transcripts (pseudonymised)" },
        RecipientCategories = new[] { "Internal ML platform team" },
        ThirdCountryTransfers = new[] { new ThirdCountryTransfer("US (cloud provider)", "SCCs 2021/914") },
        ErasureTimeLimits = new[] { "Evaluation logs: 13 months" },
        SecurityMeasures = new[] { "Encryption at rest", "HMAC-chained audit ledger" },
        ProjectId = "p",
    };

    [Fact]
    public void Article30_HasEveryField_AndLedgerEvidence_AndAppendsUnderItsOwnKey()
    {
        using var s = new Scratch();
        var l = new LocalLedger(s.Path);
        Add(l, "halluccheck.pii.v1", "{\"detected\":false}");
        var rec = Article30Record.Create(Complete(), l, AuditLedgerTests.Ring, null, null);
        Assert.Equal(1, rec.Evidence.RecordCount);
        Assert.True(rec.Evidence.ChainValid);
        Assert.Equal(l.Query(new AuditQuery()).Last().Hmac, rec.Evidence.HeadHmac);
        var md = rec.ToMarkdown();
        foreach (var text in new[] { "(a) Controller", "(a) Joint controller", "(a) Representative", "(a) Data protection officer", "(b) Purposes", "(c) Categories of data subjects", "(c) Categories of personal data", "(d) Categories of recipients", "(e) Third-country transfers", "(f) Time limits for erasure", "(g) Technical and organisational security measures", "SCCs 2021/914", "Chain verification: valid" })
        {
            Assert.Contains(text, md, StringComparison.Ordinal);
        }

        AuditLog.Append(l, AuditLedgerTests.Key, new[] { new AuditEntry(Article30Record.SchemaKey, "p", rec.ToJson()) }, strictSchema: true);
        var stored = l.Query(new AuditQuery { SchemaKey = Article30Record.SchemaKey }).Single();
        Assert.Equal("Acme Bank plc", ((System.Collections.Generic.IReadOnlyDictionary<string, object?>)stored.Payload["controller"]!)["name"]);
    }

    [Fact]
    public void Article30_MissingRequiredFields_FailWithAllOfThemNamed()
    {
        using var s = new Scratch();
        var ex = Assert.Throws<EvalSigException>(() => Article30Record.Create(Complete() with { ControllerContact = " ", Purposes = Array.Empty<string>(), RecipientCategories = Array.Empty<string>() }, new LocalLedger(s.Path), AuditLedgerTests.Ring, null, null));
        Assert.Equal(EvalSigError.Article30Invalid, ex.Error);
        Assert.Contains("-ControllerContact", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Purpose", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-RecipientCategory", ex.Message, StringComparison.Ordinal);
    }

    private sealed class EnvelopeFixture : IDisposable
    {
        public EnvelopeFixture()
        {
            File.Copy(TestPaths.Reference("binary-unclustered", "baseline.json"), Base);
            File.Copy(TestPaths.Reference("binary-unclustered", "candidate.json"), Cand);
            Report = EvalGate.Decide(RunFrameFile.Read(Base), RunFrameFile.Read(Cand), new GateOptions { MinDelta = 0.005 });
            Ledger = new LocalLedger(Path.Combine(Dir.Path, "ledger"));
            Info = AuditEnvelopes.Create(Report, Base, Cand, Envelope, Ledger, AuditLedgerTests.Key, new EvalRunStore(Path.Combine(Dir.Path, "store")), "proj");
        }

        public Scratch Dir { get; } = new();

        public string Base => Path.Combine(Dir.Path, "base.json");

        public string Cand => Path.Combine(Dir.Path, "cand.json");

        public string Envelope => Path.Combine(Dir.Path, "audit.json");

        public GateReport Report { get; }

        public LocalLedger Ledger { get; }

        public AuditEnvelopeInfo Info { get; }

        public EnvelopeVerification Verify() => AuditEnvelopes.Verify(Envelope, AuditLedgerTests.Ring, null);

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void Envelope_Verifies_AndRecordsTheDecision_AndTheRuns()
    {
        using var f = new EnvelopeFixture();
        var v = f.Verify();
        Assert.True(v.Valid, v.Reason);
        Assert.Equal("ALLOW", v.Verdict);
        Assert.Equal(5, v.Checks.Count);
        var doc = JsonDocument.Parse(File.ReadAllText(f.Envelope)).RootElement;
        foreach (var key in new[] { "verdict", "exit_code", "report", "inputs", "created_at", "tool_version", "ledger", "hmac" })
        {
            Assert.True(doc.TryGetProperty(key, out _), key);
        }

        Assert.Equal("base.json", doc.GetProperty("inputs").GetProperty("baseline").GetProperty("path").GetString());
        Assert.Equal("evalsig.gate.v1", f.Ledger.Query(new AuditQuery()).Single().SchemaKey);
        Assert.Equal(2, new EvalRunStore(Path.Combine(f.Dir.Path, "store")).History("proj").Count);
        Assert.Equal(EvalSigError.FileAlreadyExists, Assert.Throws<EvalSigException>(() => AuditEnvelopes.Create(f.Report, f.Base, f.Cand, f.Envelope, f.Ledger, AuditLedgerTests.Key, null, "proj")).Error);
    }

    [Fact]
    public void Envelope_EditedEnvelope_IsReported()
    {
        using var f = new EnvelopeFixture();
        File.WriteAllText(f.Envelope, File.ReadAllText(f.Envelope).Replace("\"verdict\": \"ALLOW\"", "\"verdict\": \"REJECT\"", StringComparison.Ordinal));
        var v = f.Verify();
        Assert.False(v.Valid);
        Assert.False(v.Checks.Single(c => c.Name == "envelope-mac").Passed);
    }

    [Fact]
    public void Envelope_ChangedInput_IsReported()
    {
        using var f = new EnvelopeFixture();
        File.WriteAllText(f.Cand, File.ReadAllText(f.Cand).Replace("\"score\": 1.0", "\"score\": 0.0", StringComparison.Ordinal));
        var v = f.Verify();
        Assert.False(v.Valid);
        Assert.Contains("candidate file", v.Checks.Single(c => c.Name == "candidate-input").Detail, StringComparison.Ordinal);
        Assert.True(v.Checks.Single(c => c.Name == "baseline-input").Passed);
    }

    [Fact]
    public void Envelope_SwappedBaseline_IsReportedAsSwapped()
    {
        using var f = new EnvelopeFixture();
        var tmp = f.Base + ".tmp";
        File.Move(f.Base, tmp);
        File.Move(f.Cand, f.Base);
        File.Move(tmp, f.Cand);
        var v = f.Verify();
        Assert.False(v.Valid);
        Assert.Contains("swapped", v.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_MismatchedFiles_AreRefused()
    {
        using var f = new EnvelopeFixture();
        var ex = Assert.Throws<EvalSigException>(() => AuditEnvelopes.Create(f.Report, f.Cand, f.Base, Path.Combine(f.Dir.Path, "other.json"), f.Ledger, AuditLedgerTests.Key, null, null));
        Assert.Equal(EvalSigError.EnvelopeInputMismatch, ex.Error);
    }
}
