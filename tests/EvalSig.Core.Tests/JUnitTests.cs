using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using EvalSig.Core.Audit;
using EvalSig.Core.Gating;
using EvalSig.Core.Pipelines;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>JUnit files are checked against two published schemas (tests/data/junit, sources in tests/data/README.md).</summary>
public class JUnitTests
{
    public static IEnumerable<object[]> Schemas() => new[] { new object[] { "windyroad-JUnit.xsd" }, new object[] { "jenkins-junit-10.xsd" } };

    /// <summary>
    /// Every schema error, or none. Warnings are not errors: the Ant schema declares &lt;skipped/&gt;
    /// without attributes (anyType), so its message attribute is only "not found in the schema".
    /// </summary>
    internal static List<string> Validate(string xml, string schema)
    {
        var set = new XmlSchemaSet();
        set.Add(null, Path.Combine(TestPaths.RepoRoot, "tests", "data", "junit", schema));
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = set };
        settings.ValidationEventHandler += (_, e) =>
        {
            if (e.Severity == XmlSeverityType.Error)
            {
                errors.Add($"line {e.Exception?.LineNumber}: {e.Message}");
            }
        };
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        while (reader.Read())
        {
        }

        return errors;
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void GateReports_ValidateAgainstTheSchema(string schema)
    {
        var reports = new[]
        {
            PipelineOutputTests.Gate("binary-unclustered", 0.02),
            PipelineOutputTests.Gate("binary-clustered", 0.02),
            PipelineOutputTests.Gate("tiny", 0.005),
            PipelineOutputTests.Gate("tiny", 0.005, InconclusiveOutcome.SucceededWithIssues),
        };
        var xml = JUnitXml.Gates(reports);
        Assert.Empty(Validate(xml, schema));
        Assert.Empty(Validate(GateReportText.Render(reports[1], ReportFormat.JUnit), schema));
    }

    [Fact]
    public void GateReports_OneCasePerGate_PassFailureOrSkipped()
    {
        var allow = PipelineOutputTests.Gate("binary-unclustered", 0.02);
        var reject = PipelineOutputTests.Gate("binary-clustered", 0.02);
        var failed = PipelineOutputTests.Gate("tiny", 0.005);
        var skipped = PipelineOutputTests.Gate("tiny", 0.005, InconclusiveOutcome.SucceededWithIssues);
        var doc = XDocument.Parse(JUnitXml.Gates(new[] { allow, reject, failed, skipped }));
        var suite = doc.Root!.Element("testsuite")!;
        Assert.Equal("4", suite.Attribute("tests")!.Value);
        Assert.Equal("2", suite.Attribute("failures")!.Value);
        Assert.Equal("1", suite.Attribute("skipped")!.Value);
        Assert.Equal("0", suite.Attribute("errors")!.Value);
        var cases = suite.Elements("testcase").ToList();
        Assert.Equal("binary-unclustered-cand vs binary-unclustered-base", cases[0].Attribute("name")!.Value);
        Assert.Empty(cases[0].Elements());
        var failure = cases[1].Element("failure")!;
        Assert.Equal("REJECT." + reject.Reason, failure.Attribute("type")!.Value);
        Assert.Equal($"REJECT ({reject.Reason}): {reject.Explanation}", failure.Attribute("message")!.Value);
        Assert.Equal(GateReportText.Text(reject), failure.Value);
        Assert.Equal("INCONCLUSIVE." + failed.Reason, cases[2].Element("failure")!.Attribute("type")!.Value);
        Assert.StartsWith("INCONCLUSIVE treated as SucceededWithIssues: INCONCLUSIVE", cases[3].Element("skipped")!.Attribute("message")!.Value, StringComparison.Ordinal);
        var props = suite.Element("properties")!.Elements("property").GroupBy(p => p.Attribute("name")!.Value).ToDictionary(g => g.Key, g => g.First().Attribute("value")!.Value);
        Assert.Equal("REJECT", props["binary-clustered-cand vs binary-clustered-base.verdict"]);
        Assert.Equal(reject.Comparison.PValue, double.Parse(props["binary-clustered-cand vs binary-clustered-base.p_value"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public void ChainVerification_ValidatesAgainstTheSchema_AndFailsWhenInvalid(string schema)
    {
        var valid = new ChainVerification { Valid = true, VerifiedCount = 3, TamperedCount = 0, Gaps = Array.Empty<long>(), Duplicates = Array.Empty<long>(), Anchored = false, Reason = "All 3 records verified.", RecordCount = 3 };
        var invalid = valid with { Valid = false, TamperedCount = 1, VerifiedCount = 2, Reason = "Record at position 1: HMAC mismatch <edited> & \u0001control.", FirstTampered = new TamperedRecord("r1", 1, "HMAC mismatch") };
        var now = DateTimeOffset.Parse("2026-12-02T01:02:03.456789Z", System.Globalization.CultureInfo.InvariantCulture);
        var ok = JUnitXml.Chain(valid, "/var/ledger", now);
        var bad = JUnitXml.Chain(invalid, "/var/ledger", now);
        Assert.Empty(Validate(ok, schema));
        Assert.Empty(Validate(bad, schema));
        var okCase = XDocument.Parse(ok).Root!.Element("testsuite")!.Element("testcase")!;
        Assert.Equal("audit chain /var/ledger", okCase.Attribute("name")!.Value);
        Assert.Empty(okCase.Elements());
        var failure = XDocument.Parse(bad).Root!.Element("testsuite")!.Element("testcase")!.Element("failure")!;
        Assert.Equal("Record at position 1: HMAC mismatch <edited> & \uFFFDcontrol.", failure.Attribute("message")!.Value);
        Assert.Equal("2026-12-02T01:02:03", XDocument.Parse(bad).Root!.Element("testsuite")!.Attribute("timestamp")!.Value);
    }
}
