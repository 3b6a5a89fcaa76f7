using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using EvalSig.Core.Audit;
using EvalSig.Core.Gating;
using EvalSig.Core.Release;

namespace EvalSig.Core.Pipelines;

/// <summary>
/// Gate decisions and chain verifications as JUnit XML test results, so Azure's PublishTestResults@2
/// (testResultsFormat: JUnit) and GitHub test reporters show them next to the build's tests.
/// One test case per gate: passed on ALLOW; a failure carrying the numbers on REJECT; on INCONCLUSIVE
/// a failure, or skipped when the report's InconclusiveAs is SucceededWithIssues or Succeeded.
/// The shape satisfies both the Ant JUnit schema (windyroad JUnit.xsd: testsuites without attributes,
/// testsuite with package, id, timestamp without zone, hostname, properties, system-out and system-err)
/// and Jenkins' junit-10.xsd; tests validate every file against both.
/// </summary>
public static class JUnitXml
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One suite, one test case per gate report.</summary>
    public static string Gates(IReadOnlyList<GateReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var cases = reports.Select(Case).ToList();
        var properties = reports.SelectMany(r => Properties(r, CaseName(r))).ToList();
        var stamp = reports.Count > 0 ? reports.Min(r => r.EvaluatedAt) : DateTimeOffset.UtcNow;
        return Write("EvalSig gate", stamp, properties, cases, string.Join("\n", reports.Select(GateReportText.Text)));
    }

    /// <summary>One suite for a release gate: a test case per task, and one for the release verdict.</summary>
    public static string Release(ReleaseReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var cases = report.Tasks.Select(Case).ToList();
        cases.Add(new TestCase(
            Invariant($"release ({report.Decision})"),
            "EvalSig.Release",
            Outcome(report.Verdict, report.InconclusiveAs),
            (report.Verdict == GateVerdict.INCONCLUSIVE && report.InconclusiveAs != InconclusiveOutcome.Failed ? Invariant($"INCONCLUSIVE treated as {report.InconclusiveAs}: ") : string.Empty) + Invariant($"{report.Verdict}: {report.Explanation}"),
            Invariant($"{report.Verdict} ({report.Decision})"),
            ReleaseReportText.Text(report)));
        var properties = new List<(string, string)>
        {
            ("release.verdict", report.Verdict.ToString()),
            ("release.decision", ReleaseOptions.DecisionName(report.Decision)),
            ("release.correction", ReleaseOptions.CorrectionName(report.Correction)),
            ("release.exit_code", report.ExitCode.ToString(Inv)),
        };
        properties.AddRange(report.Tasks.SelectMany(t => Properties(t, t.Task!)));
        return Write("EvalSig release gate", report.EvaluatedAt, properties, cases, ReleaseReportText.Text(report));
    }

    /// <summary>One suite, one test case: passed when the chain verified, a failure with the reason otherwise.</summary>
    public static string Chain(ChainVerification verification, string subject, DateTimeOffset verifiedAt)
    {
        ArgumentNullException.ThrowIfNull(verification);
        ArgumentNullException.ThrowIfNull(subject);
        var v = verification;
        var text = ChainVerificationText.Text(v);
        var testCase = new TestCase(
            "audit chain " + subject,
            "EvalSig.Audit",
            v.Valid ? CaseOutcome.Passed : CaseOutcome.Failed,
            v.Reason,
            v.Valid ? "VALID" : "INVALID",
            text);
        var properties = new List<(string, string)>
        {
            ("valid", v.Valid ? "true" : "false"),
            ("verified_count", v.VerifiedCount.ToString(Inv)),
            ("tampered_count", v.TamperedCount.ToString(Inv)),
            ("gaps", v.Gaps.Count.ToString(Inv)),
            ("duplicates", v.Duplicates.Count.ToString(Inv)),
            ("anchored", v.Anchored ? "true" : "false"),
        };
        return Write("EvalSig audit chain", verifiedAt, properties, new[] { testCase }, text);
    }

    private enum CaseOutcome
    {
        Passed,
        Failed,
        Skipped,
    }

    private sealed record TestCase(string Name, string ClassName, CaseOutcome Outcome, string Message, string Type, string Detail);

    private static CaseOutcome Outcome(GateVerdict verdict, InconclusiveOutcome inconclusiveAs) => verdict switch
    {
        GateVerdict.ALLOW => CaseOutcome.Passed,
        GateVerdict.REJECT => CaseOutcome.Failed,
        _ => inconclusiveAs == InconclusiveOutcome.Failed ? CaseOutcome.Failed : CaseOutcome.Skipped,
    };

    private static string CaseName(GateReport r) => r.Task ?? $"{r.CandidateRunId} vs {r.BaselineRunId}";

    private static TestCase Case(GateReport r)
    {
        var message = $"{r.Verdict} ({r.Reason}): {r.Explanation}";
        if (r.Verdict == GateVerdict.INCONCLUSIVE && r.Options.InconclusiveAs != InconclusiveOutcome.Failed)
        {
            message = $"INCONCLUSIVE treated as {r.Options.InconclusiveAs}: " + message;
        }

        return new TestCase(CaseName(r), "EvalSig.Gate", Outcome(r.Verdict, r.Options.InconclusiveAs), message, $"{r.Verdict}.{r.Reason}", GateReportText.Text(r));
    }

    private static IEnumerable<(string, string)> Properties(GateReport r, string name)
    {
        var c = r.Comparison;
        yield return (name + ".verdict", r.Verdict.ToString());
        yield return (name + ".reason", GateReportJson.ReasonName(r.Reason));
        yield return (name + ".delta", Raw(c.Delta));
        yield return (name + ".ci_lower", Raw(c.CiLower));
        yield return (name + ".ci_upper", Raw(c.CiUpper));
        yield return (name + ".p_value", Raw(c.PValue));
        if (r.AdjustedPValue is { } adjusted)
        {
            yield return (name + ".adjusted_p_value", Raw(adjusted));
        }

        yield return (name + ".mde", Raw(c.Mde));
        yield return (name + ".method", c.Method);
    }

    private static string Write(string suite, DateTimeOffset timestamp, IEnumerable<(string Name, string Value)> properties, IReadOnlyList<TestCase> cases, string systemOut)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), NewLineChars = "\n" };
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("testsuites");
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", suite);
            w.WriteAttributeString("package", "EvalSig");
            w.WriteAttributeString("id", "0");
            // The Ant schema's timestamp has no zone; it is UTC.
            w.WriteAttributeString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", Inv));
            w.WriteAttributeString("hostname", HostName());
            w.WriteAttributeString("tests", cases.Count.ToString(Inv));
            w.WriteAttributeString("failures", cases.Count(c => c.Outcome == CaseOutcome.Failed).ToString(Inv));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("skipped", cases.Count(c => c.Outcome == CaseOutcome.Skipped).ToString(Inv));
            w.WriteAttributeString("time", "0");
            w.WriteStartElement("properties");
            foreach (var (name, value) in properties)
            {
                w.WriteStartElement("property");
                w.WriteAttributeString("name", Clean(name));
                w.WriteAttributeString("value", Clean(value));
                w.WriteEndElement();
            }

            w.WriteEndElement();
            foreach (var c in cases)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("name", Clean(c.Name));
                w.WriteAttributeString("classname", c.ClassName);
                w.WriteAttributeString("time", "0");
                if (c.Outcome == CaseOutcome.Failed)
                {
                    w.WriteStartElement("failure");
                    w.WriteAttributeString("message", Clean(c.Message));
                    w.WriteAttributeString("type", Clean(c.Type));
                    w.WriteString(Clean(c.Detail));
                    w.WriteEndElement();
                }
                else if (c.Outcome == CaseOutcome.Skipped)
                {
                    w.WriteStartElement("skipped");
                    w.WriteAttributeString("message", Clean(c.Message));
                    w.WriteEndElement();
                }

                w.WriteEndElement();
            }

            w.WriteElementString("system-out", Clean(systemOut));
            w.WriteElementString("system-err", string.Empty);
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndDocument();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static string HostName()
    {
        try
        {
            var name = Environment.MachineName;
            return string.IsNullOrWhiteSpace(name) ? "localhost" : Clean(name);
        }
        catch (InvalidOperationException)
        {
            return "localhost";
        }
    }

    /// <summary>XML 1.0 cannot carry every character (control characters, lone surrogates): those become U+FFFD.</summary>
    private static string Clean(string text)
    {
        if (text.All(XmlConvert.IsXmlChar))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(text[i]).Append(text[i + 1]);
                i++;
            }
            else
            {
                sb.Append(XmlConvert.IsXmlChar(text[i]) ? text[i] : '\uFFFD');
            }
        }

        return sb.ToString();
    }

    private static string Raw(double v) => v.ToString("R", Inv);

    private static string Invariant(FormattableString s) => s.ToString(Inv);
}
