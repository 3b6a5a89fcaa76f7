using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class GateCommandTests
{
    private static string Ref(string name, string file) => Path.Combine(Paths.Reference(name), file);

    private static JsonElement Expected(string name) => JsonDocument.Parse(File.ReadAllText(Ref(name, "expected.json"))).RootElement;

    public static TheoryData<string, string, string, double, string> Verdicts()
    {
        var data = new TheoryData<string, string, string, double, string>();
        foreach (var name in new[] { "tiny", "binary-unclustered", "binary-clustered", "continuous-clustered", "partial-overlap" })
        {
            foreach (var v in Expected(name).GetProperty("evalsig_verdicts").EnumerateObject())
            {
                var parts = v.Name.Split('|');
                data.Add(name, parts[0] == "paired_t" ? "PairedT" : "ClusteredT", parts[1], double.Parse(parts[2].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture), v.Value.GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void InvokeEvalGate_GivesTheReferenceVerdicts(string name, string method, string sided, double minDelta, string verdict)
    {
        Assert.Equal("one_sided", sided);
        var r = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $c -Method $m -MinDelta $d -OneSided", new()
        {
            ["b"] = Ref(name, "baseline.json"),
            ["c"] = Ref(name, "candidate.json"),
            ["m"] = method,
            ["d"] = minDelta,
        });
        r.ShouldSucceed();
        dynamic report = r.One();
        Assert.Equal(verdict, report.Verdict.ToString());
        Assert.Equal(verdict switch { "ALLOW" => 0, "REJECT" => 1, _ => 2 }, (int)report.ExitCode);
    }

    [Fact]
    public void InvokeEvalGate_NumbersMatchTheReference_ThroughTheCmdlet()
    {
        var e = Expected("binary-clustered");
        var r = PowerShellHost.Run("(Invoke-EvalGate (Import-RunFrame $b) (Import-RunFrame $c) -Method ClusteredT -Alternative TwoSided).Comparison", new() { ["b"] = Ref("binary-clustered", "baseline.json"), ["c"] = Ref("binary-clustered", "candidate.json") });
        r.ShouldSucceed();
        dynamic c = r.One();
        var x = e.GetProperty("clustered_t");
        Assert.Equal(x.GetProperty("se").GetDouble(), (double)c.Se, 1e-12);
        Assert.Equal(x.GetProperty("p_two_sided").GetDouble(), (double)c.PValue, 1e-12);
        Assert.Equal(600, (int)c.NClusters);
        Assert.Equal("clustered_t", (string)c.Method);
    }

    [Fact]
    public void InvokeEvalGate_SignificantRegression_IsRejectRegressed_InTheObjectAndTheJson()
    {
        using var t = new TempDirectory();
        var baseline = Path.Combine(Paths.RepoRoot, "examples", "baseline.json");
        var items = JsonDocument.Parse(File.ReadAllText(baseline)).RootElement.GetProperty("items").EnumerateArray();
        var zero = t.Write("zero.csv", "item_id,score,cluster_id\n" + string.Concat(items.Select(i => $"{i.GetProperty("item_id").GetString()},0,{i.GetProperty("cluster_id").GetString()}\n")));
        var r = PowerShellHost.Run("""
            foreach ($alt in 'Greater', 'TwoSided') {
                $g = Invoke-EvalGate $b $c -MinDelta 0.01 -Alternative $alt
                $g.Reason.ToString()
                $g.ExitCode
                $g | Export-EvalReport Json
            }
            """, new() { ["b"] = baseline, ["c"] = zero });
        r.ShouldSucceed();
        Assert.Equal(6, r.Output.Count);
        for (var k = 0; k < 6; k += 3)
        {
            Assert.Equal("Regressed", r.Output[k].ToString());
            Assert.Equal("1", r.Output[k + 1].ToString());
            var json = JsonDocument.Parse(r.Output[k + 2].ToString()).RootElement;
            Assert.Equal("regressed", json.GetProperty("reason").GetString());
            Assert.Contains("significantly worse", json.GetProperty("explanation").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void InvokeEvalGate_CandidatesFromThePipeline_EachGetAReport()
    {
        var r = PowerShellHost.Run("Import-RunFrame $c1, $c2 | Invoke-EvalGate -Baseline $b -MinDelta 0.005 | ForEach-Object { $_.CandidateRunId }", new()
        {
            ["b"] = Ref("binary-unclustered", "baseline.json"),
            ["c1"] = Ref("binary-unclustered", "candidate.json"),
            ["c2"] = Ref("binary-unclustered", "baseline.json"),
        });
        r.ShouldSucceed();
        Assert.Equal(new[] { "binary-unclustered-cand", "binary-unclustered-base" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void InvokeEvalGate_AutoOnBinaryUnclustered_IsMcNemar_WithTheReferenceCounts()
    {
        var x = Expected("binary-unclustered").GetProperty("mcnemar");
        var r = PowerShellHost.Run("(Invoke-EvalGate $b $c).Comparison", new() { ["b"] = Ref("binary-unclustered", "baseline.json"), ["c"] = Ref("binary-unclustered", "candidate.json") });
        r.ShouldSucceed();
        dynamic c = r.One();
        Assert.Equal("mcnemar_exact", (string)c.Method);
        Assert.Equal(x.GetProperty("b").GetInt64(), (long)c.McNemarB);
        Assert.Equal(x.GetProperty("c").GetInt64(), (long)c.McNemarC);
        Assert.Equal(x.GetProperty("p_one_sided").GetDouble(), (double)c.PValue, 1e-12);
    }

    [Fact]
    public void InvokeEvalGate_Inconclusive_SuggestsTheItemsNeeded()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate $b $c -MinDelta 0.02", new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json") });
        r.ShouldSucceed();
        dynamic report = r.One();
        Assert.Equal("INCONCLUSIVE", report.Verdict.ToString());
        Assert.Contains("paired items in total (now 12)", (string)report.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public void InvokeEvalGate_NonInferiority_AllowsAClearWin()
    {
        var r = PowerShellHost.Run("(Invoke-EvalGate $b $c -Decision NonInferiority -Margin 0.01).Verdict", new() { ["b"] = Ref("binary-unclustered", "baseline.json"), ["c"] = Ref("binary-unclustered", "candidate.json") });
        r.ShouldSucceed();
        Assert.Equal("ALLOW", r.One().ToString());
    }

    [Theory]
    [InlineData("-Alpha 0", "InvalidAlpha")]
    [InlineData("-Alpha 1.5", "InvalidAlpha")]
    [InlineData("-Power 1", "InvalidPower")]
    [InlineData("-MinDelta -0.1", "InvalidMinDelta")]
    [InlineData("-Decision NonInferiority", "InvalidMargin")]
    [InlineData("-Decision NonInferiority -Margin -1", "InvalidMargin")]
    [InlineData("-Margin 0.1", "InvalidMargin")]
    [InlineData("-Resamples 10", "InvalidResamples")]
    [InlineData("-Cluster cluster_id -NoCluster", "InvalidMethod")]
    [InlineData("-OneSided -Alternative TwoSided", "InvalidMethod")]
    [InlineData("-Method McNemarExact", "MethodNotApplicable")]
    [InlineData("-Method ClusteredT", "MethodNotApplicable")]
    [InlineData("-Cluster passage_id", "ClusterKeyNotFound")]
    public void InvokeEvalGate_BadParameters_HaveTheirOwnErrorIds(string args, string id)
    {
        var r = PowerShellHost.Run($"Invoke-EvalGate $b $c {args}", new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json") });
        Assert.Empty(r.Output);
        Assert.Equal($"{id},EvalSig.Commands.InvokeEvalGateCommand", Assert.Single(r.ErrorIds));
    }

    [Fact]
    public void InvokeEvalGate_NoSharedItems_IsNoOverlappingItems()
    {
        using var t = new TempDirectory();
        var other = t.Write("other.csv", "item_id,score\nx1,1\nx2,0\n");
        var r = PowerShellHost.Run("Invoke-EvalGate $b $c", new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = other });
        Assert.Empty(r.Output);
        Assert.Empty(r.Errors);
        var e = r.Terminating!; // a gate that cannot compare stops the script (fail closed)
        Assert.Equal("NoOverlappingItems,EvalSig.Commands.InvokeEvalGateCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
    }

    [Fact]
    public void InvokeEvalGate_MissingBaselineFile_IsExactlyOneRunFrameNotFound()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate /nonexistent/base.json $c", new() { ["c"] = Ref("tiny", "candidate.json") });
        Assert.Empty(r.Output);
        Assert.Equal(new[] { "RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand" }, r.ErrorIds);
    }

    [Theory]
    [InlineData("Invoke-EvalGate")]
    [InlineData("Compare-EvalRun")]
    public void RunPair_MissingCandidate_StopsTheScript_EvenWithoutStopPreference(string cmdlet)
    {
        // A statement-terminating error would let the script go on to `exit $report.ExitCode` with
        // $report = $null: exit 0, "ship". The gate must end the script instead (fail closed).
        var r = PowerShellHost.Run($"$report = {cmdlet} $b /nonexistent/cand.json -ErrorAction SilentlyContinue\n'went on'", new() { ["b"] = Ref("tiny", "baseline.json") });
        Assert.DoesNotContain(r.Output, o => o.ToString() == "went on");
        Assert.Equal(new[] { $"RunFrameNotFound,EvalSig.Commands.{cmdlet.Replace("-", string.Empty, StringComparison.Ordinal)}Command" }, r.ErrorIds);
    }

    [Fact]
    public void InvokeEvalGate_Failure_IsCatchableByItsExceptionType()
    {
        var r = PowerShellHost.Run("""
            try { Invoke-EvalGate $b /nonexistent/cand.json }
            catch [EvalSig.Core.Diagnostics.EvalSigException] { $_.Exception.Error.ToString(); $_.FullyQualifiedErrorId }
            """, new() { ["b"] = Ref("tiny", "baseline.json") });
        r.ShouldSucceed();
        Assert.Equal(new[] { "RunFrameNotFound", "RunFrameNotFound,EvalSig.Commands.InvokeEvalGateCommand" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void InvokeEvalGate_Resampling_WritesProgress_AndIsReproducible()
    {
        var r = PowerShellHost.Run("1..2 | ForEach-Object { (Invoke-EvalGate $b $c -Method PairedBootstrap -Resamples 5000 -Seed 3).Comparison.CiLower }", new() { ["b"] = Ref("continuous-clustered", "baseline.json"), ["c"] = Ref("continuous-clustered", "candidate.json") });
        r.ShouldSucceed();
        Assert.Equal((double)r.Output[0].BaseObject, (double)r.Output[1].BaseObject);
        Assert.Contains(r.Progress, p => p.PercentComplete > 0 && p.Activity.StartsWith("Invoke-EvalGate", StringComparison.Ordinal));
        Assert.Contains(r.Progress, p => p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void InvokeEvalGate_Stop_CancelsLongResampling()
    {
        using var t = new TempDirectory();
        var path = EvalSig.Testing.SyntheticRuns.WriteJson(t.File("b.json"), 100_000, seed: 1, clusterSize: 0);
        var cand = EvalSig.Testing.SyntheticRuns.WriteJson(t.File("c.json"), 100_000, seed: 2, clusterSize: 0);
        var iss = System.Management.Automation.Runspaces.InitialSessionState.CreateDefault2();
        using var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(iss);
        rs.Open();
        using var ps = System.Management.Automation.PowerShell.Create(rs);
        ps.AddScript($"Import-Module '{PowerShellHost.ModuleManifest}'; Invoke-EvalGate '{path}' '{cand}' -Method PairedBootstrap -Resamples 10000000");
        var started = new System.Threading.ManualResetEventSlim();
        ps.Streams.Progress.DataAdded += (_, _) => started.Set();
        var async = ps.BeginInvoke();
        Assert.True(started.Wait(TimeSpan.FromMinutes(2)), "resampling never reported progress");
        var watch = Stopwatch.StartNew();
        ps.Stop();
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "Stop did not stop the resampling");
    }

    [Fact]
    public void CompareEvalRun_IsTwoSidedByDefault_WithEffectSizes()
    {
        var x = Expected("continuous-clustered");
        var r = PowerShellHost.Run("Compare-EvalRun $b $c -Method PairedT -NoCluster", new() { ["b"] = Ref("continuous-clustered", "baseline.json"), ["c"] = Ref("continuous-clustered", "candidate.json") });
        r.ShouldSucceed();
        dynamic cmp = r.One();
        Assert.Equal("EvalSig.Core.Gating.RunComparison", r.One().BaseObject.GetType().FullName);
        Assert.Equal(x.GetProperty("paired_t").GetProperty("p_two_sided").GetDouble(), (double)cmp.Comparison.PValue, 1e-12);
        var d = x.GetProperty("delta").GetDouble() / (x.GetProperty("paired_t").GetProperty("se").GetDouble() * Math.Sqrt(x.GetProperty("n_pairs").GetInt32()));
        Assert.Equal(d, (double)cmp.CohensD, 1e-9);
        Assert.NotNull(cmp.CliffsDelta);
    }

    [Fact]
    public void CompareEvalRun_BinaryScores_HaveNoCliffsDelta()
    {
        var r = PowerShellHost.Run("(Compare-EvalRun $b $c).CliffsDelta -eq $null", new() { ["b"] = Ref("binary-unclustered", "baseline.json"), ["c"] = Ref("binary-unclustered", "candidate.json") });
        r.ShouldSucceed();
        Assert.True((bool)r.One().BaseObject);
    }

    [Fact]
    public void MeasureEvalPower_FromDesign_And_FromRuns()
    {
        var r = PowerShellHost.Run("""
            Measure-EvalPower -StdDev 0.5 -N 400 -TargetMde 0.05 -Alternative TwoSided
            Measure-EvalPower $b $c -TargetMde 0.01
            """, new() { ["b"] = Ref("binary-clustered", "baseline.json"), ["c"] = Ref("binary-clustered", "candidate.json") });
        r.ShouldSucceed();
        dynamic design = r.Output[0];
        Assert.InRange((double)design.Mde, 0.06, 0.08);
        Assert.InRange((long)design.RequiredN, 700L, 900L);
        dynamic runs = r.Output[1];
        Assert.Equal(3000, (int)runs.N);
        Assert.True((double)runs.DesignEffect > 1, "clustered runs have a design effect above 1");
        Assert.NotNull(runs.RequiredClusters);
    }

    [Theory]
    [InlineData("-StdDev -1 -N 10", "InvalidPowerInput")]
    [InlineData("-StdDev 1 -N 1", "InvalidPowerInput")]
    [InlineData("-StdDev 1 -N 10 -Icc 2", "InvalidPowerInput")]
    [InlineData("-StdDev 1 -N 10 -TargetMde 0", "InvalidPowerInput")]
    [InlineData("-StdDev 1 -N 10 -Alpha 2", "InvalidAlpha")]
    [InlineData("-StdDev 1 -N 10 -Power 0", "InvalidPower")]
    public void MeasureEvalPower_BadInput_HasItsOwnErrorId(string args, string id)
    {
        var r = PowerShellHost.Run($"Measure-EvalPower {args}");
        Assert.Empty(r.Output);
        Assert.Equal($"{id},EvalSig.Commands.MeasureEvalPowerCommand", Assert.Single(r.ErrorIds));
    }

    [Fact]
    public void ExportEvalReport_RendersJsonMarkdownAndText()
    {
        var r = PowerShellHost.Run("""
            $g = Invoke-EvalGate $b $c -MinDelta 0.005
            $g | Export-EvalReport Json
            $g | Export-EvalReport Markdown
            $g | Export-EvalReport -Format Text
            """, new() { ["b"] = Ref("binary-unclustered", "baseline.json"), ["c"] = Ref("binary-unclustered", "candidate.json") });
        r.ShouldSucceed();
        var json = JsonDocument.Parse(r.Output[0].ToString()).RootElement;
        Assert.Equal("ALLOW", json.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("comparison").GetProperty("ci")[1].ValueKind);
        Assert.StartsWith("## EvalSig gate: **ALLOW**", r.Output[1].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Verdict      ALLOW (exit 0)", r.Output[2].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExportEvalReport_ToPath_IsAtomic_AndRespectsNoClobber()
    {
        using var t = new TempDirectory();
        var target = t.File("gate.json");
        var r = PowerShellHost.Run("""
            $g = Invoke-EvalGate $b $c
            ($g | Export-EvalReport Json -Path $target -PassThru).Name
            $g | Export-EvalReport Json -Path $target -NoClobber
            """, new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json"), ["target"] = target });
        Assert.Equal("gate.json", r.Output.Single().ToString());
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.ExportEvalReportCommand", Assert.Single(r.ErrorIds));
        Assert.Equal("INCONCLUSIVE", JsonDocument.Parse(File.ReadAllText(target)).RootElement.GetProperty("verdict").GetString());
        Assert.Single(Directory.GetFiles(t.Path));
    }
}
