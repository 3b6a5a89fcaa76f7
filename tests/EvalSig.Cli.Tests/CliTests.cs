using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

public class CliTests
{
    [Fact]
    public void TheCliRuntimeConfig_CarriesItsStartUpAndMemorySettings()
    {
        // Issue 16: these runtime settings are what make a 1M-item gate take ~0.8 s instead of ~1.45 s and
        // peak lower; losing one in a project edit would not fail any other test.
        var dll = typeof(Cli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "CliDll").Value!;
        using var config = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(dll, ".runtimeconfig.json")));
        var p = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(p.GetProperty("System.Runtime.TieredPGO").GetBoolean());
        Assert.Equal(20, p.GetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs").GetInt32());
        Assert.False(p.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.True(p.GetProperty("EvalSig.RunFrames.ReturnMemoryBetweenRowGroups").GetBoolean());
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        var r = Cli.Run("version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^evalsig \d+\.\d+\.\d+", r.Stdout);
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public void Gate_OnTheBundledExamples_AllowsWithVerdictFirst()
    {
        var r = Cli.Run("gate", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--min-delta", "0.005");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Verdict      ALLOW (exit 0)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("wild_cluster_bootstrap", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("binary-unclustered", "paired_t", "0.02", 0)]
    [InlineData("binary-clustered", "clustered_t", "0.02", 1)]
    [InlineData("tiny", "paired_t", "0.005", 2)]
    public void Gate_ExitCodeIsTheVerdict(string name, string method, string minDelta, int exit)
    {
        var r = Cli.Run("gate", Cli.Reference(name, "baseline.json"), Cli.Reference(name, "candidate.json"), "--method", method, "--min-delta", minDelta, "--one-sided");
        Assert.Equal(exit, r.ExitCode);
        Assert.Empty(r.Stderr);
    }

    [Fact]
    public void Gate_Json_IsTheReportJson()
    {
        var r = Cli.Run("gate", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--min-delta", "0.005", "--json");
        Assert.Equal(0, r.ExitCode);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal("ALLOW", root.GetProperty("verdict").GetString());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("comparison").GetProperty("ci")[1].ValueKind);
        Assert.Equal("wild_cluster_bootstrap", root.GetProperty("comparison").GetProperty("method").GetString());
        Assert.Equal(0.005, root.GetProperty("min_delta").GetDouble());
    }

    [Fact]
    public void Gate_Markdown_AndOutputFile()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-").FullName;
        try
        {
            var output = Path.Combine(dir, "gate.json");
            var r = Cli.Run("gate", Cli.Reference("tiny", "baseline.json"), Cli.Reference("tiny", "candidate.json"), "--markdown", "--output", output);
            Assert.Equal(2, r.ExitCode);
            Assert.StartsWith("## EvalSig gate: **INCONCLUSIVE**", r.Stdout, StringComparison.Ordinal);
            Assert.Equal("INCONCLUSIVE", JsonDocument.Parse(File.ReadAllText(output)).RootElement.GetProperty("verdict").GetString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(64, "UsageError", "gate", "--bogus")]
    [InlineData(64, "UsageError", "gate")]
    [InlineData(64, "UsageError", "frobnicate")]
    [InlineData(64, "InvalidAlpha", "gate", "{b}", "{c}", "--alpha", "2")]
    [InlineData(64, "InvalidPower", "gate", "{b}", "{c}", "--power", "0")]
    [InlineData(64, "InvalidMinDelta", "gate", "{b}", "{c}", "--min-delta", "-1")]
    [InlineData(64, "InvalidMargin", "gate", "{b}", "{c}", "--decision", "non-inferiority")]
    [InlineData(64, "InvalidResamples", "gate", "{b}", "{c}", "--resamples", "5")]
    [InlineData(64, "InvalidMethod", "gate", "{b}", "{c}", "--method", "magic")]
    [InlineData(64, "MethodNotApplicable", "gate", "{b}", "{c}", "--method", "mcnemar_exact")]
    [InlineData(64, "ClusterKeyNotFound", "gate", "{b}", "{c}", "--cluster", "passage_id")]
    [InlineData(65, "RunFrameNotFound", "gate", "/nonexistent/base.json", "{c}")]
    [InlineData(65, "RunFrameNotFound", "compare", "{b}", "/nonexistent/cand.json")]
    [InlineData(64, "InvalidPowerInput", "mde")]
    [InlineData(64, "InvalidPowerInput", "mde", "--std-dev", "-1", "--n", "10")]
    [InlineData(70, "RunFrameWriteFailed", "gate", "{b}", "{c}", "--output", "/nonexistent/dir/gate.json")]
    public void Errors_GoToStderr_WithTheStableIdAndExitCode(int exit, string id, params string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = args[i].Replace("{b}", Cli.Reference("tiny", "baseline.json"), StringComparison.Ordinal).Replace("{c}", Cli.Reference("tiny", "candidate.json"), StringComparison.Ordinal);
        }

        var r = Cli.Run(args);
        Assert.Equal(exit, r.ExitCode);
        Assert.Contains($"error {id}", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Gate_InvalidRunFrameAndNoOverlap_AreDataErrors()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.json");
            File.WriteAllText(bad, """{"run_id":"r","model_id":"m","task_id":"t","metric_name":"a","items":[{"item_id":"a"}]}""");
            var other = Path.Combine(dir, "other.csv");
            File.WriteAllText(other, "item_id,score\nzz,1\n");
            var r1 = Cli.Run("gate", Cli.Reference("tiny", "baseline.json"), bad);
            Assert.Equal(65, r1.ExitCode);
            Assert.Contains("error RunFrameInvalid", r1.Stderr, StringComparison.Ordinal);
            Assert.Contains("item 0, field 'score'", r1.Stderr, StringComparison.Ordinal);
            var r2 = Cli.Run("gate", Cli.Reference("tiny", "baseline.json"), other, "--method", "paired_t");
            Assert.Equal(65, r2.ExitCode);
            Assert.Contains("error NoOverlappingItems", r2.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Compare_PrintsEffectSizes_AndJson()
    {
        var text = Cli.Run("compare", Cli.Reference("continuous-clustered", "baseline.json"), Cli.Reference("continuous-clustered", "candidate.json"));
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Cohen's d", text.Stdout, StringComparison.Ordinal);
        var json = Cli.Run("compare", Cli.Reference("continuous-clustered", "baseline.json"), Cli.Reference("continuous-clustered", "candidate.json"), "--json", "--method", "paired_t", "--no-cluster");
        Assert.Equal(0, json.ExitCode);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        var expected = JsonDocument.Parse(File.ReadAllText(Cli.Reference("continuous-clustered", "expected.json"))).RootElement;
        Assert.Equal(expected.GetProperty("paired_t").GetProperty("p_two_sided").GetDouble(), root.GetProperty("comparison").GetProperty("p_value").GetDouble(), 1e-12);
    }

    [Fact]
    public void Mde_FromDesignAndFromRuns()
    {
        var design = Cli.Run("mde", "--std-dev", "0.5", "--n", "400", "--target-mde", "0.05", "--alternative", "two-sided", "--json");
        Assert.Equal(0, design.ExitCode);
        var d = JsonDocument.Parse(design.Stdout).RootElement;
        Assert.InRange(d.GetProperty("required_n").GetInt64(), 700, 900);
        var runs = Cli.Run("mde", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--target-mde", "0.02");
        Assert.Equal(0, runs.ExitCode);
        Assert.Contains("Needed", runs.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Mde_FromATargetAlone_GivesPairsAndClusters_WithTheClusterDf()
    {
        var r = Cli.Run("mde", "--std-dev", "0.5", "--target-mde", "0.05", "--icc", "0.2", "--cluster-size", "20", "--json");
        Assert.Equal(0, r.ExitCode);
        var e = JsonDocument.Parse(r.Stdout).RootElement;
        var pairs = e.GetProperty("required_n").GetInt64();
        Assert.Equal((long)Math.Ceiling(pairs / 20.0), e.GetProperty("required_clusters").GetInt64());
        Assert.Equal(pairs, e.GetProperty("n").GetInt64());
        Assert.Equal(e.GetProperty("clusters").GetDouble() - 1, e.GetProperty("df").GetDouble(), 9);
        Assert.Equal(64, Cli.Run("mde", "--std-dev", "0.5").ExitCode);
    }

    [Fact]
    public void Gate_ARegression_IsRejectRegressed_InTheJsonAndTheText()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-").FullName;
        try
        {
            var zero = Path.Combine(dir, "zero.csv");
            var items = JsonDocument.Parse(File.ReadAllText(Cli.Example("baseline.json"))).RootElement.GetProperty("items").EnumerateArray();
            File.WriteAllText(zero, "item_id,score,cluster_id\n" + string.Concat(items.Select(i => $"{i.GetProperty("item_id").GetString()},0,{i.GetProperty("cluster_id").GetString()}\n")));
            var json = Cli.Run("gate", Cli.Example("baseline.json"), zero, "--json");
            Assert.Equal(1, json.ExitCode);
            var root = JsonDocument.Parse(json.Stdout).RootElement;
            Assert.Equal("REJECT", root.GetProperty("verdict").GetString());
            Assert.Equal("regressed", root.GetProperty("reason").GetString());
            var text = Cli.Run("gate", Cli.Example("baseline.json"), zero, "--alternative", "two-sided");
            Assert.Equal(1, text.ExitCode);
            Assert.Contains("Reason       Regressed: ", text.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Not enough evidence", text.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Doctor_ValidAndInvalidFiles()
    {
        var ok = Cli.Run("doctor", Cli.Example("baseline.json"), Cli.Example("candidate.json"));
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("ok", ok.Stdout, StringComparison.Ordinal);
        var dir = Directory.CreateTempSubdirectory("evalsig-cli-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.json");
            File.WriteAllText(bad, """{"run_id":"r","model_id":"m","task_id":"t","metric_name":"a","items":[{"item_id":"a","score":1},{"item_id":"a","score":0},{"item_id":"b","score":"x"}]}""");
            var r = Cli.Run("doctor", Cli.Example("baseline.json"), bad);
            Assert.Equal(65, r.ExitCode);
            Assert.Contains("invalid  " + bad + " (2 problems)", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("item 1, field 'item_id': duplicate", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("item 2, field 'score'", r.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
