using System;
using System.IO;
using System.Linq;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>Issue 16's details, hosted in the PowerShell engine as a user runs the cmdlets.</summary>
public class DetailsCommandTests
{
    private static readonly string Examples = Path.Combine(Paths.RepoRoot, "examples");

    [Fact]
    public void PlainDateUpperBound_IncludesTheWholeDay_InHistoryAuditScorecardAndArticle30()
    {
        using var dir = new TempDirectory();
        var run = File.ReadAllText(Path.Combine(Paths.Reference("tiny"), "baseline.json")).Replace("\"run_id\"", "\"timestamp\": \"2026-06-30T18:00:00Z\",\n \"run_id\"", StringComparison.Ordinal);
        File.WriteAllText(dir.File("late.json"), run);
        var r = PowerShellHost.Run("""
            New-AuditKey -Path (Join-Path $dir k.key) | ForEach-Object { }
            Save-EvalRun -Root (Join-Path $dir store) -Project p -InputObject (Join-Path $dir late.json) | ForEach-Object { }
            @(Get-EvalHistory -Root (Join-Path $dir store) -Project p -Until 2026-06-30).Count
            @(Get-EvalHistory -Root (Join-Path $dir store) -Project p -Until 2026-06-29).Count
            $l = Join-Path $dir ledger; $k = Join-Path $dir k.key
            @{ detected = $false } | Add-AuditRecord -Ledger $l -KeyPath $k -SchemaKey halluccheck.pii.v1 | ForEach-Object { }
            $day = (Get-AuditRecord -Ledger $l).Timestamp.UtcDateTime.ToString('yyyy-MM-dd')
            @(Get-AuditRecord -Ledger $l -To $day).Count
            (Get-TrustScorecard -Ledger $l -To $day).PiiHygiene.RecordCount
            (New-Article30Record -Ledger $l -KeyPath $k -ControllerName A -ControllerContact a@b -Purpose p -DataSubjectCategory c -PersonalDataCategory d -RecipientCategory none -To $day).Evidence.RecordCount
            """, new() { ["dir"] = dir.Path });
        r.ShouldSucceed();
        Assert.Equal(new[] { "1", "0", "1", "1", "1" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void GateReport_SerializesWithoutItsRuns_AndKeepsThemBehindMethods()
    {
        var r = PowerShellHost.Run("""
            $r = Invoke-EvalGate (Join-Path $ex baseline.json) (Join-Path $ex candidate.json) -MinDelta 0.005
            ($r | ConvertTo-Json -Depth 10).Length
            $r.GetBaseline().Count
            $r.PSObject.Properties.Name -contains 'Baseline'
            """, new() { ["ex"] = Examples });
        r.ShouldSucceed();
        Assert.InRange(int.Parse(r.Output[0].ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 20000);
        Assert.Equal("600", r.Output[1].ToString());
        Assert.Equal("False", r.Output[2].ToString());
    }

    [Fact]
    public void PassThru_ReturnsTheProviderItem_AndFileCmdletsWriteVerbose()
    {
        using var dir = new TempDirectory();
        var r = PowerShellHost.Run("""
            $all = Import-RunFrame $tiny | Export-RunFrame -Path (Join-Path $dir x.jsonl) -PassThru -Verbose 4>&1
            $f = $all | Where-Object { $_ -is [System.IO.FileInfo] }
            $f.PSParentPath -like '*FileSystem::*'
            $f.Name
            $all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
            """, new() { ["dir"] = dir.Path, ["tiny"] = Path.Combine(Paths.Reference("tiny"), "baseline.json") });
        r.ShouldSucceed();
        var lines = r.Output.Select(o => o.ToString()).ToList();
        Assert.Equal(new[] { "True", "x.jsonl" }, lines.Take(2));
        Assert.Contains(lines, v => v.StartsWith("Wrote '", StringComparison.Ordinal));
    }

    [Fact]
    public void Gate_WarnsWhenCoverageIsLow()
    {
        var r = PowerShellHost.Run("Invoke-EvalGate $b $c | ForEach-Object Verdict", new()
        {
            ["b"] = Path.Combine(Paths.Reference("partial-overlap"), "baseline.json"),
            ["c"] = Path.Combine(Paths.Reference("partial-overlap"), "candidate.json"),
        });
        r.ShouldSucceed();
        Assert.Contains(r.Warnings, w => w.Message.StartsWith("Low coverage:", StringComparison.Ordinal));
        var release = PowerShellHost.Run("Invoke-EvalGate -Pair @{ Name = 'po'; Baseline = $b; Candidate = $c } | ForEach-Object Verdict", new()
        {
            ["b"] = Path.Combine(Paths.Reference("partial-overlap"), "baseline.json"),
            ["c"] = Path.Combine(Paths.Reference("partial-overlap"), "candidate.json"),
        });
        release.ShouldSucceed();
        Assert.Contains(release.Warnings, w => w.Message.StartsWith("po: Low coverage:", StringComparison.Ordinal));
    }

    [Fact]
    public void GateReportTable_OneLinePerReport_WithTheOneIntervalFormat()
    {
        var r = PowerShellHost.Run("""
            $r = Invoke-EvalGate (Join-Path $ex baseline.json) (Join-Path $ex candidate.json) -MinDelta 0.005
            $r, $r | Format-Table | Out-String -Width 200
            """, new() { ["ex"] = Examples });
        r.ShouldSucceed();
        var text = r.Output[0].ToString();
        Assert.Matches(@"Task/Candidate\s+Verdict\s+Reason\s+Delta\s+CI\s+p", text);
        Assert.Equal(2, text.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^rc-2026-11-20-rc2\s+ALLOW\s+Improved\s+\+0\.\d{6} 95% \[\+0\.\d{6}, \+inf\)")));
    }
}
