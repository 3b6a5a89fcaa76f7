using System;
using System.IO;
using System.Linq;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Release;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class ManifestTests
{
    private static string RefDir => Path.Combine(TestPaths.RepoRoot, "tests", "data", "reference");

    private const string Json = """
        {
          "version": 1,
          "release_decision": "any_improves",
          "correction": "benjamini_hochberg",
          "inconclusive_as": "succeeded_with_issues",
          "defaults": { "method": "paired_t", "min_delta": 0.005 },
          "tasks": [
            { "name": "mmlu-pro", "baseline": "REF/binary-unclustered/baseline.json", "candidate": "REF/binary-unclustered/candidate.json" },
            { "name": "gsm8k", "baseline": "REF/continuous-clustered/baseline.json", "candidate": "REF/continuous-clustered/candidate.json", "min_delta": 0.02, "alpha": 0.01 }
          ]
        }
        """;

    private const string Yaml = """
        # The same manifest in YAML.
        version: 1
        release_decision: any-improves
        correction: BH
        inconclusive_as: SucceededWithIssues
        defaults:
          method: paired_t
          min_delta: 0.005
        tasks:
          - name: mmlu-pro
            baseline: REF/binary-unclustered/baseline.json
            candidate: REF/binary-unclustered/candidate.json
          - name: gsm8k
            baseline: REF/continuous-clustered/baseline.json
            candidate: REF/continuous-clustered/candidate.json
            min_delta: 0.02
            alpha: 0.01
        """;

    [Theory]
    [InlineData("gates.json")]
    [InlineData("gates.yml")]
    [InlineData("gates.yaml")]
    public void Manifest_JsonAndYaml_ReadTheSameTasks(string file)
    {
        using var scratch = new Scratch();
        var text = (file.EndsWith(".json", StringComparison.Ordinal) ? Json : Yaml).Replace("REF", Path.GetRelativePath(scratch.Path, RefDir).Replace('\\', '/'), StringComparison.Ordinal);
        var m = GateManifest.Load(scratch.Write(file, text), new GateOptions { Inference = new InferenceOptions { Alternative = Alternative.Greater, Resamples = 500 } });
        Assert.Equal(ReleaseDecision.AnyImproves, m.Decision);
        Assert.Equal(MultipleTestingCorrection.BenjaminiHochberg, m.Correction);
        Assert.Equal(InconclusiveOutcome.SucceededWithIssues, m.InconclusiveAs);
        Assert.Equal(new[] { "mmlu-pro", "gsm8k" }, m.Tasks.Select(t => t.Name));
        Assert.Equal("binary-unclustered-base", m.Tasks[0].Baseline.RunId);
        Assert.Equal(0.005, m.Tasks[0].Options.MinDelta);
        Assert.Equal(0.05, m.Tasks[0].Options.Inference.Alpha);
        Assert.Equal(0.02, m.Tasks[1].Options.MinDelta);
        Assert.Equal(0.01, m.Tasks[1].Options.Inference.Alpha);
        Assert.All(m.Tasks, t => Assert.Equal(InferenceMethod.PairedT, t.Options.Inference.Method));
        // Command-line defaults the manifest does not override survive.
        Assert.All(m.Tasks, t => Assert.Equal(500, t.Options.Inference.Resamples));
    }

    [Fact]
    public void Manifest_ReportsEveryProblem()
    {
        using var scratch = new Scratch();
        var path = scratch.Write("bad.json", """
            { "decision": "all_must_pass", "colour": "blue",
              "defaults": { "min_delta": "lots" },
              "tasks": [ { "name": "a b", "baseline": "x.json" }, { "candidate": "y.json", "alpah": 0.1 }, { "name": "dup", "baseline": "b", "candidate": "c" }, { "name": "DUP", "baseline": "b", "candidate": "c" } ] }
            """);
        var ex = Assert.Throws<EvalSigException>(() => GateManifest.Load(path, new GateOptions()));
        Assert.Equal(EvalSigError.ManifestInvalid, ex.Error);
        foreach (var expected in new[]
        {
            "top-level 'decision' is ambiguous",
            "unknown top-level key 'colour'",
            "defaults: 'min_delta' must be a number, not 'lots'",
            "tasks[0] ('a b'): name 'a b' is not valid",
            "tasks[0] ('a b'): 'candidate' is missing",
            "tasks[1]: 'name' is missing",
            "tasks[1]: 'baseline' is missing",
            "tasks[1]: unknown key 'alpah'",
            "task name 'dup' is used 2 times",
        })
        {
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Manifest_MissingRuns_AreRunFrameNotFound_NamingEachOne()
    {
        using var scratch = new Scratch();
        var path = scratch.Write("m.json", """{ "tasks": [ { "name": "a", "baseline": "nope-b.json", "candidate": "nope-c.json" } ] }""");
        var ex = Assert.Throws<EvalSigException>(() => GateManifest.Load(path, new GateOptions()));
        Assert.Equal(EvalSigError.RunFrameNotFound, ex.Error);
        Assert.Contains(Path.Combine(scratch.Path, "nope-b.json"), ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(scratch.Path, "nope-c.json"), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", false, "not valid JSON")]
    [InlineData("tasks: [a, b\n  c: ]", true, "not valid YAML")]
    [InlineData("[1, 2]", false, "must be an object")]
    [InlineData("{}", false, "'tasks' is missing")]
    [InlineData("{\"tasks\": []}", false, "'tasks' is empty")]
    [InlineData("{\"tasks\": [], \"version\": 2}", false, "version 2 is not supported")]
    public void Manifest_Unreadable_IsManifestInvalid(string text, bool yaml, string message)
    {
        var ex = Assert.Throws<EvalSigException>(() => GateManifest.Parse(text, yaml, "/tmp/m", new GateOptions()));
        Assert.Equal(EvalSigError.ManifestInvalid, ex.Error);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_Missing_IsManifestNotFound()
        => Assert.Equal(EvalSigError.ManifestNotFound, Assert.Throws<EvalSigException>(() => GateManifest.Load("/nonexistent/gates.json", new GateOptions())).Error);

    [Fact]
    public void Yaml_TypesPlainScalarsByTheCoreSchema_AndKeepsQuotedOnesAsText()
    {
        var json = Bridge.YamlText.ToJson("a: 1\nb: 0.5\nc: true\nd: ~\ne: '1'\nf: text\ng: [1, x]\nh: .inf\n");
        Assert.Equal("""{"a":1,"b":0.5,"c":true,"d":null,"e":"1","f":"text","g":[1,"x"],"h":".inf"}""", json);
    }

    [Fact]
    public void Overrides_AcceptPowerShellSpellingsAndValues()
    {
        var problems = new System.Collections.Generic.List<string>();
        var o = GateOptionOverrides.Apply(
            new GateOptions(),
            new System.Collections.Generic.Dictionary<string, object?> { ["MinDelta"] = 0.01, ["Method"] = InferenceMethod.ClusteredT, ["Decision"] = GateDecision.NonInferiority, ["Margin"] = 0.02, ["NoCluster"] = false, ["Seed"] = 7, ["Name"] = "x" },
            k => k == "NAME",
            "-Pair[0]",
            problems);
        Assert.Empty(problems);
        Assert.Equal(0.01, o.MinDelta);
        Assert.Equal(InferenceMethod.ClusteredT, o.Inference.Method);
        Assert.Equal(GateDecision.NonInferiority, o.Decision);
        Assert.Equal(0.02, o.Margin);
        Assert.Equal(7, o.Inference.Seed);
    }
}
