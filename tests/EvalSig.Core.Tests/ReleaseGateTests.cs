using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Release;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;
using Xunit;

namespace EvalSig.Core.Tests;

public class ReleaseGateTests
{
    private static readonly GateOptions PairedT = new() { Inference = new InferenceOptions { Method = InferenceMethod.PairedT, Alternative = Alternative.Greater } };

    private static GateTask Task(string name, double minDelta = 0, GateOptions? options = null) => new()
    {
        Name = name,
        Baseline = RunFrameFile.Read(TestPaths.Reference(name, "baseline.json")),
        Candidate = RunFrameFile.Read(TestPaths.Reference(name, "candidate.json")),
        Options = (options ?? PairedT) with { MinDelta = minDelta },
    };

    /// <summary>The five reference cases as five tasks, in p_adjust.json's order.</summary>
    private static List<GateTask> FiveTasks()
        => PValueAdjustmentTests.Reference().GetProperty("reference_tasks").GetProperty("names").EnumerateArray().Select(n => Task(n.GetString()!)).ToList();

    [Theory]
    [InlineData("holm")]
    [InlineData("BH")]
    [InlineData("bonferroni")]
    public void AnyImproves_AdjustedPValues_MatchRsPAdjustOfTheReferencePValues(string method)
    {
        var reference = PValueAdjustmentTests.Reference().GetProperty("reference_tasks");
        var expected = reference.GetProperty(method).EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var rawReference = reference.GetProperty("p").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var report = ReleaseGate.Decide(FiveTasks(), new ReleaseOptions { Decision = ReleaseDecision.AnyImproves, Correction = PValueAdjustmentTests.Correction(method) });
        Assert.Equal(PValueAdjustmentTests.Correction(method), report.Correction);
        for (var i = 0; i < expected.Length; i++)
        {
            var t = report.Tasks[i];
            // The raw p-values match scipy to 1e-9 (reference README); the adjustment carries that through.
            Assert.True(Math.Abs(t.Comparison.PValue - rawReference[i]) <= 1e-9 * rawReference[i], $"raw p {t.Task}");
            Assert.True(Math.Abs(t.AdjustedPValue!.Value - expected[i]) <= 1e-9 * expected[i], $"{method} {t.Task}: {t.AdjustedPValue:R} vs R {expected[i]:R}");
        }
    }

    [Fact]
    public void AnyImproves_HolmIsStricterThanBenjaminiHochberg_OnTheBorderlineTask()
    {
        // binary-clustered: raw p 0.0263; Holm-adjusted 0.0527 (not significant), BH-adjusted 0.0329 (significant).
        var holm = ReleaseGate.Decide(FiveTasks(), new ReleaseOptions { Decision = ReleaseDecision.AnyImproves, Correction = MultipleTestingCorrection.Holm });
        var bh = ReleaseGate.Decide(FiveTasks(), new ReleaseOptions { Decision = ReleaseDecision.AnyImproves, Correction = MultipleTestingCorrection.BenjaminiHochberg });
        var single = EvalGate.Decide(Task("binary-clustered").Baseline, Task("binary-clustered").Candidate, PairedT);
        Assert.Equal(GateVerdict.ALLOW, single.Verdict);
        var holmTask = holm.Tasks.Single(t => t.Task == "binary-clustered");
        Assert.Equal(GateVerdict.INCONCLUSIVE, holmTask.Verdict);
        Assert.Equal(GateReason.Underpowered, holmTask.Reason);
        Assert.StartsWith("Holm-adjusted over 5 tasks (raw p = 0.02635): ", holmTask.Explanation, StringComparison.Ordinal);
        Assert.Equal(single.Comparison.PValue, holmTask.Comparison.PValue);
        Assert.Equal(GateVerdict.ALLOW, bh.Tasks.Single(t => t.Task == "binary-clustered").Verdict);
        Assert.Equal(GateVerdict.ALLOW, holm.Verdict);
        Assert.Equal(GateVerdict.ALLOW, bh.Verdict);
        Assert.Contains("continuous-clustered (adjusted p = 0.007619)", holm.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void AllMustPass_RejectsWhenAnyTaskRejects()
    {
        var tasks = new[] { Task("binary-unclustered", 0.02), Task("binary-clustered", 0.02), Task("continuous-clustered", 0.005) };
        var report = ReleaseGate.Decide(tasks, new ReleaseOptions());
        Assert.Equal(new[] { GateVerdict.ALLOW, GateVerdict.REJECT, GateVerdict.ALLOW }, report.Tasks.Select(t => t.Verdict));
        Assert.Equal(GateVerdict.REJECT, report.Verdict);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal(MultipleTestingCorrection.None, report.Correction);
        Assert.Equal($"AllMustPass: 1 of 3 tasks REJECT - binary-clustered REJECT ({report.Tasks[1].Reason}).", report.Explanation);
        foreach (var (task, gate) in tasks.Zip(report.Tasks))
        {
            // Intersection-union: every task at its own alpha, exactly the single gate's verdict and p.
            var single = EvalGate.Decide(task.Baseline, task.Candidate, task.Options);
            Assert.Equal(single.Verdict, gate.Verdict);
            Assert.Equal(single.Comparison.PValue, gate.AdjustedPValue);
            Assert.Equal(task.Name, gate.Task);
        }
    }

    [Fact]
    public void AllMustPass_AllowsWhenAllAllow_AndIsInconclusiveWhenOneIsAndNoneRejects()
    {
        var all = ReleaseGate.Decide(new[] { Task("binary-unclustered", 0.02), Task("continuous-clustered", 0.005) }, new ReleaseOptions());
        Assert.Equal(GateVerdict.ALLOW, all.Verdict);
        var some = ReleaseGate.Decide(new[] { Task("binary-unclustered", 0.02), Task("tiny", 0.005) }, new ReleaseOptions { InconclusiveAs = InconclusiveOutcome.SucceededWithIssues });
        Assert.Equal(GateVerdict.INCONCLUSIVE, some.Verdict);
        Assert.Equal(2, some.ExitCode);
        Assert.Equal(0, some.StepExitCode);
        Assert.All(some.Tasks, t => Assert.Equal(InconclusiveOutcome.SucceededWithIssues, t.Options.InconclusiveAs));
    }

    [Fact]
    public void AnyImproves_ASignificantRegressionRejects()
    {
        var b = RunFrameFile.Read(TestPaths.Reference("binary-unclustered", "baseline.json"));
        var zero = RunFrame.Create("zero", "m", "t", "acc", b.Items.Select(i => i.ItemId).ToArray(), b.Items.Select(_ => 0.0).ToArray(), epochs: b.Items.Select(i => i.Epoch).ToArray());
        var tasks = new[] { Task("continuous-clustered"), new GateTask { Name = "safety", Baseline = b, Candidate = zero, Options = PairedT } };
        var report = ReleaseGate.Decide(tasks, new ReleaseOptions { Decision = ReleaseDecision.AnyImproves });
        Assert.Equal(GateVerdict.ALLOW, report.Tasks[0].Verdict);
        Assert.Equal(GateReason.Regressed, report.Tasks[1].Reason);
        Assert.Equal(GateVerdict.REJECT, report.Verdict);
        Assert.Contains("a significant regression rejects the release", report.Explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ReleaseDecision.AllMustPass, MultipleTestingCorrection.Holm)]
    [InlineData(ReleaseDecision.AnyImproves, MultipleTestingCorrection.None)]
    public void ContradictoryDecisionAndCorrection_IsInvalidCorrection(ReleaseDecision decision, MultipleTestingCorrection correction)
    {
        var ex = Assert.Throws<EvalSigException>(() => ReleaseGate.Decide(new[] { Task("tiny") }, new ReleaseOptions { Decision = decision, Correction = correction }));
        Assert.Equal(EvalSigError.InvalidCorrection, ex.Error);
        Assert.Equal(EvalSigErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void BadTasks_AreManifestInvalid_WithEveryProblem()
    {
        var nonInferior = Task("tiny", 0, PairedT with { Decision = GateDecision.NonInferiority, Margin = 0.01 }) with { Name = "ok" };
        var ex = Assert.Throws<EvalSigException>(() => ReleaseGate.Decide(new[] { Task("tiny") with { Name = "a b" }, Task("tiny") with { Name = "x" }, Task("tiny") with { Name = "X" }, nonInferior }, new ReleaseOptions { Decision = ReleaseDecision.AnyImproves }));
        Assert.Equal(EvalSigError.ManifestInvalid, ex.Error);
        Assert.Contains("'a b' is not valid", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'X' is used twice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'ok' is a NonInferiority task", ex.Message, StringComparison.Ordinal);
        Assert.Throws<EvalSigException>(() => ReleaseGate.Decide(Array.Empty<GateTask>(), new ReleaseOptions()));
    }

    [Fact]
    public void ReleaseJson_CarriesEachTasksAdjustedPValue()
    {
        var report = ReleaseGate.Decide(FiveTasks(), new ReleaseOptions { Decision = ReleaseDecision.AnyImproves, Correction = MultipleTestingCorrection.Bonferroni });
        var root = JsonDocument.Parse(ReleaseReportJson.Serialize(report)).RootElement;
        Assert.Equal("ALLOW", root.GetProperty("verdict").GetString());
        Assert.Equal("any_improves", root.GetProperty("decision").GetString());
        Assert.Equal("bonferroni", root.GetProperty("correction").GetString());
        var tasks = root.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(5, tasks.Count);
        Assert.Equal("tiny", tasks[0].GetProperty("task").GetString());
        Assert.Equal(report.Tasks[0].AdjustedPValue, tasks[0].GetProperty("adjusted_p_value").GetDouble());
        Assert.Equal(Math.Min(1, 5 * report.Tasks[0].Comparison.PValue), tasks[0].GetProperty("adjusted_p_value").GetDouble(), 12);
        // A single gate's report keeps EVALSIG's shape: no task fields.
        Assert.False(JsonDocument.Parse(GateReportJson.Serialize(EvalGate.Decide(Task("tiny").Baseline, Task("tiny").Candidate, PairedT))).RootElement.TryGetProperty("task", out _));
    }
}
