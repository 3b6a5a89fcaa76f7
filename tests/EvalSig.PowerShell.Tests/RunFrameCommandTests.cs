using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class RunFrameCommandTests
{
    private static readonly string TinyBaseline = Path.Combine(Paths.Reference("tiny"), "baseline.json");
    private static readonly string ClusteredBaseline = Path.Combine(Paths.Reference("binary-clustered"), "baseline.json");

    [Fact]
    public void ImportRunFrame_ReferenceJson_ReturnsTypedFrame()
    {
        var r = PowerShellHost.Run("Import-RunFrame -Path $p", new() { ["p"] = TinyBaseline });
        r.ShouldSucceed();
        dynamic f = r.One();
        Assert.Equal("EvalSig.Core.RunFrames.RunFrame", r.One().BaseObject.GetType().FullName);
        Assert.Equal("tiny-base", (string)f.RunId);
        Assert.Equal("model-a", (string)f.ModelId);
        Assert.Equal("ref-task", (string)f.TaskId);
        Assert.Equal("accuracy", (string)f.MetricName);
        Assert.Equal(13, (int)f.Count); // 12 items at epoch 0 and one at epoch 1
        Assert.Equal(new[] { 0, 1 }, (System.Collections.Generic.IEnumerable<int>)f.Epochs);
        Assert.Equal(0, (int)f.ClusterCount);
    }

    [Fact]
    public void ImportRunFrame_ClusteredReference_CountsClusters()
    {
        var r = PowerShellHost.Run("Import-RunFrame $p | ForEach-Object { $_.ClusterCount; $_.Count }", new() { ["p"] = ClusteredBaseline });
        r.ShouldSucceed();
        Assert.Equal(600, (int)r.Output[0].BaseObject);
        Assert.Equal(3001, (int)r.Output[1].BaseObject);
    }

    [Fact]
    public void ImportRunFrame_WildcardAndPipedFiles_ImportEachFile()
    {
        using var t = new TempDirectory();
        File.Copy(TinyBaseline, t.File("a.json"));
        File.Copy(Path.Combine(Paths.Reference("tiny"), "candidate.json"), t.File("b.json"));
        var r = PowerShellHost.Run("""
            @(Import-RunFrame (Join-Path2 $dir '*.json')).Count
            @([System.IO.DirectoryInfo]::new($dir).GetFiles('*.json') | Import-RunFrame | ForEach-Object RunId)
            """.Replace("Join-Path2 $dir '*.json'", "[IO.Path]::Combine($dir, '*.json')", StringComparison.Ordinal), new() { ["dir"] = t.Path });
        r.ShouldSucceed();
        Assert.Equal(2, (int)r.Output[0].BaseObject);
        Assert.Equal(new[] { "tiny-base", "tiny-cand" }, r.Output.Skip(1).Select(o => o.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ImportRunFrame_LiteralPathWithBrackets_IsNotAWildcard()
    {
        using var t = new TempDirectory();
        File.Copy(TinyBaseline, t.File("run[1].json"));
        var r = PowerShellHost.Run("(Import-RunFrame -LiteralPath $p).RunId", new() { ["p"] = t.File("run[1].json") });
        r.ShouldSucceed();
        Assert.Equal("tiny-base", r.One().ToString());
    }

    [Fact]
    public void ImportRunFrame_MissingFile_IsRunFrameNotFound()
    {
        var r = PowerShellHost.Run("Import-RunFrame -LiteralPath '/nonexistent/nothing.json'");
        Assert.Empty(r.Output);
        Assert.Equal("RunFrameNotFound,EvalSig.Commands.ImportRunFrameCommand", Assert.Single(r.ErrorIds));
    }

    [Fact]
    public void ImportRunFrame_WildcardMatchingNothing_IsRunFrameNotFound()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("Import-RunFrame ([IO.Path]::Combine($dir, '*.json'))", new() { ["dir"] = t.Path });
        Assert.Empty(r.Output);
        Assert.Equal("RunFrameNotFound,EvalSig.Commands.ImportRunFrameCommand", Assert.Single(r.ErrorIds));
    }

    [Fact]
    public void ImportRunFrame_InvalidFile_ListsEveryProblem_AndReturnsNothing()
    {
        using var t = new TempDirectory();
        var p = t.Write("bad.json", """
            {"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[
              {"item_id":"a","score":1.0},
              {"item_id":"b"},
              {"item_id":"c","score":0.5,"epoch":-1},
              {"item_id":"a","score":0.0},
              {"item_id":"d","score":"high"}
            ]}
            """);
        var r = PowerShellHost.Run("Import-RunFrame $p", new() { ["p"] = p });
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal("RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        var message = e.ToString();
        Assert.Contains("4 problems", message, StringComparison.Ordinal);
        Assert.Contains("item 1, field 'score': required field 'score' is missing", message, StringComparison.Ordinal);
        Assert.Contains("item 2, field 'epoch'", message, StringComparison.Ordinal);
        Assert.Contains("item 3, field 'item_id': duplicate (item_id, epoch) ('a', 0)", message, StringComparison.Ordinal);
        Assert.Contains("item 4, field 'score': score must be a number", message, StringComparison.Ordinal);
        Assert.Contains("bad.json", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TestRunFrame_ReturnsEveryProblemWithIndexAndField()
    {
        using var t = new TempDirectory();
        var p = t.Write("bad.json", """
            {"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[
              {"item_id":"a","score":1e999},
              {"score":1.0},
              {"item_id":"c","score":0.5,"epoch":1.5}
            ]}
            """);
        var r = PowerShellHost.Run("Test-RunFrame $p", new() { ["p"] = p });
        r.ShouldSucceed();
        dynamic v = r.One();
        Assert.False((bool)v.Valid);
        Assert.Equal(3, (int)v.ProblemCount);
        var problems = ((System.Collections.IEnumerable)r.One().Properties["Problems"].Value).Cast<object>().Select(o => (dynamic)o).ToList();
        Assert.Equal((0, "score"), ((int)problems[0].ItemIndex, (string)problems[0].Field));
        Assert.Equal((1, "item_id"), ((int)problems[1].ItemIndex, (string)problems[1].Field));
        Assert.Equal((2, "epoch"), ((int)problems[2].ItemIndex, (string)problems[2].Field));
    }

    [Fact]
    public void TestRunFrame_ValidFile_IsValid_AndQuietReturnsBoolean()
    {
        var r = PowerShellHost.Run("(Test-RunFrame $p).Valid; Test-RunFrame $p -Quiet", new() { ["p"] = TinyBaseline });
        r.ShouldSucceed();
        Assert.True((bool)r.Output[0].BaseObject);
        Assert.True((bool)r.Output[1].BaseObject);
    }

    [Fact]
    public void ImportRunFrame_MalformedJson_ReportsLineAndByte()
    {
        using var t = new TempDirectory();
        var p = t.Write("broken.json", "{\"run_id\":\"r\",\n\"items\":[\n{\"item_id\":\"a\" \"score\":1}\n]}");
        var r = PowerShellHost.Run("(Test-RunFrame $p).Problems[0]", new() { ["p"] = p });
        r.ShouldSucceed();
        dynamic problem = r.One();
        Assert.Equal(3L, (long)problem.Line);
        Assert.NotNull(problem.BytePosition);
        Assert.Contains("malformed JSON", (string)problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImportRunFrame_EmptyItems_IsInvalid()
    {
        using var t = new TempDirectory();
        var p = t.Write("empty.json", """{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[]}""");
        var r = PowerShellHost.Run("Import-RunFrame $p", new() { ["p"] = p });
        Assert.Equal("RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand", Assert.Single(r.ErrorIds));
        Assert.Contains("no items", r.Errors[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ImportRunFrame_UnknownFormat_IsRunFrameFormatUnknown()
    {
        using var t = new TempDirectory();
        var p = t.Write("scores.txt", "item,score\na,1\n");
        var r = PowerShellHost.Run("Import-RunFrame $p", new() { ["p"] = p });
        Assert.Equal("RunFrameFormatUnknown,EvalSig.Commands.ImportRunFrameCommand", Assert.Single(r.ErrorIds));
    }

    [Fact]
    public void ImportRunFrame_CsvWithMappedColumns_UsesThemAndKeepsOtherColumnsAsMetadata()
    {
        using var t = new TempDirectory();
        var p = t.Write("nightly.csv", "question,correct,passage_id\nq1,1,p1\nq2,0,p1\nq3,1,p2\n");
        var r = PowerShellHost.Run("""
            $f = Import-RunFrame $p -ItemColumn question -ScoreColumn correct -ModelId gpt-x
            $f.RunId; $f.ModelId; $f.MetricName; $f.Count
            @($f.Items)[2].Metadata['passage_id']
            """, new() { ["p"] = p });
        r.ShouldSucceed();
        Assert.Equal(new[] { "nightly", "gpt-x", "correct", "3", "p2" }, r.Output.Select(o => o.ToString()));
    }

    [Theory]
    [InlineData("json")]
    [InlineData("jsonl")]
    [InlineData("csv")]
    [InlineData("parquet")]
    public void ExportThenImport_RoundTripsScoresBitForBit_AndMetadata(string extension)
    {
        using var t = new TempDirectory();
        var source = t.Write("source.json", """
            {"run_id":"rt","model_id":"m","task_id":"t","metric_name":"acc","config_hash":"abc","items":[
              {"item_id":"a","score":0.1,"cluster_id":"c,1","epoch":0,"metadata":{"note":"quote \" and, comma","n":3,"nested":{"x":[1,2]}}},
              {"item_id":"b","score":0.3333333333333333,"cluster_id":null,"epoch":0,"metadata":{}},
              {"item_id":"b","score":1e-300,"cluster_id":"","epoch":2},
              {"item_id":"line\nbreak","score":-0.0,"cluster_id":"ü","epoch":1},
              {"item_id":"e","score":123456789.98765432,"cluster_id":"c,1"}
            ]}
            """);
        var target = t.File("out." + extension);
        var r = PowerShellHost.Run("""
            $a = Import-RunFrame $source
            $a | Export-RunFrame $target
            $b = Import-RunFrame $target
            $a, $b
            """, new() { ["source"] = source, ["target"] = target });
        r.ShouldSucceed();
        dynamic a = r.Output[0];
        dynamic b = r.Output[1];
        Assert.Equal((string)a.RunId, (string)b.RunId);
        Assert.Equal((string)a.ConfigHash, (string)b.ConfigHash);
        var sa = ((System.Collections.Generic.IEnumerable<double>)a.Scores).Select(BitConverter.DoubleToInt64Bits).ToArray();
        var sb = ((System.Collections.Generic.IEnumerable<double>)b.Scores).Select(BitConverter.DoubleToInt64Bits).ToArray();
        Assert.Equal(sa, sb);
        Assert.Equal((System.Collections.Generic.IEnumerable<string>)a.ItemIds, (System.Collections.Generic.IEnumerable<string>)b.ItemIds);
        Assert.Equal((System.Collections.Generic.IEnumerable<string?>)a.ClusterIds, (System.Collections.Generic.IEnumerable<string?>)b.ClusterIds);
        Assert.Equal((System.Collections.Generic.IEnumerable<int>)a.ItemEpochs, (System.Collections.Generic.IEnumerable<int>)b.ItemEpochs);
        Assert.Equal((System.Collections.Generic.IEnumerable<string?>)a.MetadataJson, (System.Collections.Generic.IEnumerable<string?>)b.MetadataJson);
    }

    [Fact]
    public void ExportRunFrame_NoClobber_FailsAndLeavesTheFileUntouched()
    {
        using var t = new TempDirectory();
        var target = t.Write("exists.json", "keep me");
        var r = PowerShellHost.Run("Import-RunFrame $source | Export-RunFrame $target -NoClobber", new() { ["source"] = TinyBaseline, ["target"] = target });
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.ExportRunFrameCommand", Assert.Single(r.ErrorIds));
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(t.Path));
    }

    [Fact]
    public void ExportRunFrame_WhatIf_WritesNothing_AndPassThruReturnsTheFile()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            $f = Import-RunFrame $source
            $f | Export-RunFrame ([IO.Path]::Combine($dir, 'a.parquet')) -WhatIf
            $f | Export-RunFrame ([IO.Path]::Combine($dir, 'b.parquet')) -PassThru
            """, new() { ["source"] = TinyBaseline, ["dir"] = t.Path });
        r.ShouldSucceed();
        Assert.False(File.Exists(t.File("a.parquet")));
        Assert.Equal(t.File("b.parquet"), ((FileInfo)r.One().BaseObject).FullName);
    }

    [Fact]
    public void ExportRunFrame_UnknownExtension_WithoutFormat_IsRunFrameFormatUnknown()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("Import-RunFrame $source | Export-RunFrame ([IO.Path]::Combine($dir, 'a.dat'))", new() { ["source"] = TinyBaseline, ["dir"] = t.Path });
        Assert.Equal("RunFrameFormatUnknown,EvalSig.Commands.ExportRunFrameCommand", Assert.Single(r.ErrorIds));
        Assert.Empty(Directory.GetFiles(t.Path));
    }
    /// <summary>A Parquet file whose footer claims a list of two billion entries, and a UTF-16 CSV without a byte order mark (issue 15).</summary>
    public static TheoryData<string> HostileFiles => new() { "lying.parquet", "wide.csv" };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void HostileFile_ImportTestAndGate_GiveRunFrameInvalidErrorRecords_NamingTheFile(string name)
    {
        using var t = new TempDirectory();
        var p = t.File(name);
        System.IO.File.WriteAllBytes(p, name.EndsWith(".parquet", StringComparison.Ordinal)
            ? [.. "PAR1"u8, .. new byte[64], 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, .. BitConverter.GetBytes(8), .. "PAR1"u8]
            : System.Text.Encoding.Unicode.GetBytes("item_id,score\na,1\nb,0\n"));
        var vars = new Dictionary<string, object?> { ["p"] = p, ["b"] = System.IO.Path.Combine(Paths.Reference("tiny"), "baseline.json") };

        var import = PowerShellHost.Run("Import-RunFrame -LiteralPath $p", vars);
        Assert.Empty(import.Output);
        var e = Assert.Single(import.Errors);
        Assert.Equal("RunFrameInvalid,EvalSig.Commands.ImportRunFrameCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        Assert.Contains(p, e.ToString(), StringComparison.Ordinal);
        Assert.Equal("RunFrameInvalidException", e.Exception.GetType().Name);

        var gate = PowerShellHost.Run("Invoke-EvalGate -Baseline $b -Candidate $p", vars);
        Assert.Contains("RunFrameInvalid,EvalSig.Commands.InvokeEvalGateCommand", gate.ErrorIds);

        var test = PowerShellHost.Run("Test-RunFrame -LiteralPath $p", vars);
        dynamic v = test.One();
        Assert.False((bool)v.Valid);
    }
}
