using System;
using System.IO;
using System.Linq;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class RunStoreCommandTests
{
    private static string Ref(string name, string file) => Path.Combine(Paths.Reference(name), file);

    [Fact]
    public void SaveEvalRun_GateReport_SavesBothRuns_AndHistoryShowsTheVerdictAndPath()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            Invoke-EvalGate $b $c -MinDelta 0.005 | Save-EvalRun -Root $root -Project mmlu-pro
            Get-EvalHistory -Root $root -Project mmlu-pro
            """, new() { ["b"] = Ref("binary-unclustered", "baseline.json"), ["c"] = Ref("binary-unclustered", "candidate.json"), ["root"] = t.Path });
        r.ShouldSucceed();
        Assert.Equal(2, r.Output.Count);
        Assert.Equal("EvalSig.Core.RunStore.StoredRun", r.Output[0].BaseObject.GetType().FullName);
        dynamic cand = r.Output.Single(o => (string)((dynamic)o).RunId == "binary-unclustered-cand");
        Assert.Equal("ALLOW", (string)cand.Verdict);
        Assert.Equal("binary-unclustered-base", (string)cand.ParentRunId);
        Assert.Equal(400, (int)cand.NItems);
        Assert.True(File.Exists((string)cand.Path));
        Assert.StartsWith(Path.Combine(t.Path, "mmlu-pro", "year="), (string)cand.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void ImportEvalRun_ByIdAndFromHistory_ReturnsTheRunExactlyAsSaved()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            $f = Import-RunFrame $b
            $f | Save-EvalRun $root proj
            $byId = Import-EvalRun $root proj $f.RunId
            $piped = Get-EvalHistory $root proj | Import-EvalRun
            $f, $byId, $piped
            """, new() { ["b"] = Ref("continuous-clustered", "baseline.json"), ["root"] = t.Path });
        r.ShouldSucceed();
        dynamic original = r.Output[0];
        foreach (var o in r.Output.Skip(1))
        {
            dynamic back = o;
            Assert.Equal(((System.Collections.Generic.IEnumerable<double>)original.Scores).Select(BitConverter.DoubleToInt64Bits), ((System.Collections.Generic.IEnumerable<double>)back.Scores).Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal((System.Collections.Generic.IEnumerable<string?>)original.MetadataJson, (System.Collections.Generic.IEnumerable<string?>)back.MetadataJson);
            Assert.Equal("proj", (string)back.ProjectId);
        }
    }

    [Fact]
    public void SaveEvalRun_ConflictingContent_IsRunAlreadyExists_AndForceKeepsTheOldVersion()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            Import-RunFrame $b | Save-EvalRun $root p
            Import-RunFrame $b | Save-EvalRun $root p
            Import-RunFrame $c -RunId tiny-base | Save-EvalRun $root p
            Import-RunFrame $c -RunId tiny-base | Save-EvalRun $root p -Force -PassThru | ForEach-Object Version
            @(Get-EvalHistory $root p).Count
            @(Get-EvalHistory $root p -IncludeSuperseded).Count
            """, new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json"), ["root"] = t.Path });
        Assert.Equal(new[] { "2", "1", "2" }, r.Output.Select(o => o.ToString()));
        Assert.Equal("RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand", Assert.Single(r.ErrorIds));
    }

    [Theory]
    [InlineData("Import-RunFrame $b | Save-EvalRun $root '../escape'", "InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand")]
    [InlineData("Import-RunFrame $b -RunId 'a/b' | Save-EvalRun $root p", "InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand")]
    [InlineData("Get-EvalHistory $root nope", "RunNotFound,EvalSig.Commands.GetEvalHistoryCommand")]
    [InlineData("Get-EvalHistory $root p -Since 'soon'", "AuditQueryInvalid,EvalSig.Commands.GetEvalHistoryCommand")]
    [InlineData("Import-EvalRun $root p missing-run", "RunNotFound,EvalSig.Commands.ImportEvalRunCommand")]
    [InlineData("42 | Save-EvalRun $root p", "RunStoreInvalid,EvalSig.Commands.SaveEvalRunCommand")]
    [InlineData("'no-such-run.json' | Save-EvalRun $root p", "RunFrameNotFound,EvalSig.Commands.SaveEvalRunCommand")]
    public void RunStore_BadInput_HasItsOwnErrorId(string script, string id)
    {
        using var t = new TempDirectory();
        PowerShellHost.Run("Import-RunFrame $b | Save-EvalRun $root p", new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path }).ShouldSucceed();
        var r = PowerShellHost.Run(script, new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path });
        Assert.Empty(r.Output);
        Assert.Equal(id, Assert.Single(r.ErrorIds));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(t.Path)!, "escape")));
    }

    [Fact]
    public void GetEvalHistory_ComparesDatesAsInstants_AndFilters()
    {
        using var t = new TempDirectory();
        var a = t.Write("a.csv", "run_id,model_id,task_id,metric_name,ts,item_id,score\na,m1,t,acc,2026-01-01T23:30:00Z,x,1\n");
        var b = t.Write("b.csv", "run_id,model_id,task_id,metric_name,ts,item_id,score\nb,m2,t,acc,2026-01-02T00:30:00+02:00,x,1\n");
        var r = PowerShellHost.Run("""
            Import-RunFrame $a, $b | Save-EvalRun $root p
            (Get-EvalHistory $root p | ForEach-Object RunId) -join ','
            (Get-EvalHistory $root p -Since '2026-01-01T23:00:00Z' | ForEach-Object RunId) -join ','
            (Get-EvalHistory $root p -Model m2 | ForEach-Object RunId) -join ','
            @(Get-EvalHistory $root p -Verdict ALLOW).Count
            """, new() { ["a"] = a, ["b"] = b, ["root"] = t.File("store") });
        r.ShouldSucceed();
        Assert.Equal(new[] { "b,a", "a", "b", "0" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void RootProjectAndRunId_CompleteWithTab()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            Import-RunFrame $b | Save-EvalRun $root mmlu-pro
            Import-RunFrame $b | Save-EvalRun $root math-500
            $line = "Get-EvalHistory -Root '$root' -Project mm"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText
            $line = "Import-EvalRun -Root '$root' -Project mmlu-pro -RunId ti"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText
            """, new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path });
        r.ShouldSucceed();
        Assert.Equal(new[] { "mmlu-pro", "tiny-base" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void SaveEvalRun_WhatIf_WritesNothing()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("Import-RunFrame $b | Save-EvalRun $root p -WhatIf", new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.File("store") });
        r.ShouldSucceed();
        Assert.False(Directory.Exists(t.File("store")));
    }

    [Fact]
    public void ImportEvalRun_RefusesAFileChangedAfterItWasSaved_ByIdByPathAndFromHistory()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            $f = Import-RunFrame $b
            $f | Save-EvalRun $root p
            $h = Get-EvalHistory $root p
            Import-RunFrame $c -RunId $f.RunId | Export-RunFrame -Path $h.Path -Format Parquet
            Import-EvalRun $root p $f.RunId
            $h | Import-EvalRun
            Import-EvalRun -Path $h.Path
            """, new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json"), ["root"] = t.Path });
        Assert.Empty(r.Output);
        Assert.Equal(3, r.ErrorIds.Count(id => id == "RunStoreCorrupt,EvalSig.Commands.ImportEvalRunCommand"));
        Assert.Contains("content_sha256", r.ErrorText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"runs\":[{\"run_id\":\"tiny-base\",\"n_items\":3}]}")]
    [InlineData("{\"runs\":[{\"run_id\":\"tiny-base\",\"n_items\":3,\"path\":\"../../outside.parquet\"}]}")]
    public void AMalformedOrEscapingManifest_IsRunStoreCorrupt(string manifest)
    {
        using var t = new TempDirectory();
        PowerShellHost.Run("Import-RunFrame $b | Save-EvalRun $root p", new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path }).ShouldSucceed();
        File.WriteAllText(Path.Combine(t.Path, "p", "manifest.json"), manifest);
        var r = PowerShellHost.Run("Get-EvalHistory $root p; Import-RunFrame $b | Save-EvalRun $root p -Force", new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path });
        Assert.Equal(new[] { "RunStoreCorrupt,EvalSig.Commands.GetEvalHistoryCommand", "RunStoreCorrupt,EvalSig.Commands.SaveEvalRunCommand" }, r.ErrorIds);
    }

    [Fact]
    public void SaveEvalRun_WithTheManifestLost_NeverOverwritesAStoredRun()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("""
            $saved = Import-RunFrame $b | Save-EvalRun $root p -PassThru
            $bytes = [IO.File]::ReadAllBytes($saved.Path)
            Remove-Item (Join-Path $root 'p/manifest.json')
            Import-RunFrame $c -RunId tiny-base | Save-EvalRun $root p
            [Linq.Enumerable]::SequenceEqual($bytes, [IO.File]::ReadAllBytes($saved.Path))
            (Get-EvalHistory $root p).ContentSha256 -eq $saved.ContentSha256
            """, new() { ["b"] = Ref("tiny", "baseline.json"), ["c"] = Ref("tiny", "candidate.json"), ["root"] = t.Path });
        Assert.Equal("RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand", Assert.Single(r.ErrorIds));
        Assert.Equal(new[] { "True", "True" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void ARunIdEndingInANewline_IsInvalidIdentifier()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("Import-RunFrame $b -RunId \"legit`n\" | Save-EvalRun $root p", new() { ["b"] = Ref("tiny", "baseline.json"), ["root"] = t.Path });
        Assert.Equal("InvalidIdentifier,EvalSig.Commands.SaveEvalRunCommand", Assert.Single(r.ErrorIds));
        Assert.False(Directory.Exists(Path.Combine(t.Path, "p", "year=1970")) && Directory.EnumerateFiles(t.Path, "*legit*", SearchOption.AllDirectories).Any());
    }
}
