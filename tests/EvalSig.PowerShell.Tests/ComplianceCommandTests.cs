using System;
using System.IO;
using System.Linq;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class ComplianceCommandTests
{
    private sealed class Env : IDisposable
    {
        public Env()
        {
            PowerShellHost.Run("New-AuditKey -Path $p", new() { ["p"] = Dir.File("audit.key") }).ShouldSucceed();
            File.Copy(Path.Combine(Paths.Reference("binary-unclustered"), "baseline.json"), Dir.File("base.json"));
            File.Copy(Path.Combine(Paths.Reference("binary-unclustered"), "candidate.json"), Dir.File("cand.json"));
        }

        public TempDirectory Dir { get; } = new();

        public PsResult Run(string script)
            => PowerShellHost.Run("$PSDefaultParameterValues = @{ '*:Ledger' = $ledger; '*-Audit*:KeyPath' = $key; 'New-Article30Record:KeyPath' = $key; 'Test-AuditEnvelope:KeyPath' = $key }\n$ExecutionContext.SessionState.Path.SetLocation($dir) | ForEach-Object { }\n" + script, new()
            {
                ["ledger"] = Dir.File("ledger"),
                ["key"] = Dir.File("audit.key"),
                ["dir"] = Dir.Path,
            });

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void GetTrustScorecard_ScoresFromTheLedger_AndSaysNoDataRatherThanInventing()
    {
        using var e = new Env();
        var r = e.Run("""
            @{ score = 0.9 }, @{ score = 0.7 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | ForEach-Object { }
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | ForEach-Object { }
            Invoke-EvalGate ./base.json ./cand.json -MinDelta 0.005 | Add-AuditRecord | ForEach-Object { }
            $c = Get-TrustScorecard
            $c.Hallucination.Score; $c.Hallucination.Band; $c.Hallucination.Trend
            $c.PiiHygiene.Score; $c.GatePassRate.Score
            $null -eq $c.SecretsHygiene.Score; $c.SecretsHygiene.Status; $c.RecordCount
            """);
        r.ShouldSucceed();
        Assert.Equal(new[] { "80", "green", "down", "100", "100", "True", "no data", "4" }, r.Output.Select(o => o.ToString()));
        var bad = e.Run("Get-TrustScorecard -From 'whenever'");
        Assert.Equal("AuditQueryInvalid,EvalSig.Commands.GetTrustScorecardCommand", Assert.Single(bad.ErrorIds));
    }

    [Fact]
    public void GetTrustScorecard_AsOf_SeesTheLedgerAsItWas()
    {
        using var e = new Env();
        var r = e.Run("""
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | ForEach-Object { }
            $cut = [DateTimeOffset]::UtcNow
            Start-Sleep2
            @{ detected = $true } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | ForEach-Object { }
            (Get-TrustScorecard -AsOf $cut).PiiHygiene.Score
            (Get-TrustScorecard).PiiHygiene.Score
            """.Replace("Start-Sleep2", "[System.Threading.Thread]::Sleep(20)", StringComparison.Ordinal));
        r.ShouldSucceed();
        Assert.Equal(new[] { "100", "50" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void NewArticle30Record_ObjectMarkdownAndAppend()
    {
        using var e = new Env();
        var r = e.Run("""
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 | ForEach-Object { }
            $a = @{
                ControllerName = 'Acme Bank plc'; ControllerContact = 'privacy@acme.example'
                DpoName = 'J. Doe'; DpoContact = 'dpo@acme.example'
                Purpose = 'Release evaluation'; DataSubjectCategory = 'Customers'
                PersonalDataCategory = 'Chat transcripts'; RecipientCategory = 'ML platform team'
                ThirdCountryTransfer = @{ Destination = 'US'; Safeguards = 'SCCs 2021/914' }
                ErasureTimeLimit = '13 months'; SecurityMeasure = 'Encryption at rest'
            }
            $rec = New-Article30Record @a
            $rec.ControllerName; $rec.Evidence.RecordCount; $rec.Evidence.ChainValid
            (New-Article30Record @a -AsMarkdown -Append).Split("`n")[0]
            (Get-AuditRecord -SchemaKey evalsig.article30.v1).Payload['controller']['name']
            """);
        r.ShouldSucceed();
        Assert.Equal(new[] { "Acme Bank plc", "1", "True", "# Record of Processing Activities (GDPR Article 30(1))", "Acme Bank plc" }, r.Output.Select(o => o.ToString()));
        var missing = e.Run("New-Article30Record -ControllerName Acme -ControllerContact ''");
        Assert.Equal("Article30Invalid,EvalSig.Commands.NewArticle30RecordCommand", Assert.Single(missing.ErrorIds));
        Assert.Contains("-Purpose", missing.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditEnvelope_CreateVerify_AndEveryTamperingIsReported()
    {
        using var e = new Env();
        var r = e.Run("""
            $r = Invoke-EvalGate ./base.json ./cand.json -MinDelta 0.005
            $info = $r | New-AuditEnvelope -BaselinePath ./base.json -CandidatePath ./cand.json -Path ./audit.json -Store ./store -Project proj
            $info.Verdict
            (Test-AuditEnvelope ./audit.json).Valid
            @(Get-EvalHistory ./store proj).Count
            $r | New-AuditEnvelope -BaselinePath ./base.json -CandidatePath ./cand.json -Path ./audit.json
            """);
        Assert.Equal(new[] { "ALLOW", "True", "2" }, r.Output.Select(o => o.ToString()));
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.NewAuditEnvelopeCommand", Assert.Single(r.ErrorIds));

        var envelope = e.Dir.File("audit.json");
        var original = File.ReadAllText(envelope);
        File.WriteAllText(envelope, original.Replace("\"exit_code\": 0", "\"exit_code\": 1", StringComparison.Ordinal));
        var edited = e.Run("Test-AuditEnvelope ./audit.json");
        Assert.False((bool)((dynamic)edited.One()).Valid);
        Assert.Contains("envelope was edited", (string)((dynamic)edited.One()).Reason, StringComparison.Ordinal);
        File.WriteAllText(envelope, original);

        File.Move(e.Dir.File("base.json"), e.Dir.File("tmp.json"));
        File.Move(e.Dir.File("cand.json"), e.Dir.File("base.json"));
        File.Move(e.Dir.File("tmp.json"), e.Dir.File("cand.json"));
        var swapped = e.Run("Test-AuditEnvelope ./audit.json");
        Assert.Contains("swapped", (string)((dynamic)swapped.One()).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NewAuditEnvelope_FilesThatAreNotTheReportsRuns_AreRefused()
    {
        using var e = new Env();
        var r = e.Run("Invoke-EvalGate ./base.json ./cand.json | New-AuditEnvelope -BaselinePath ./cand.json -CandidatePath ./base.json -Path ./x.json");
        Assert.Equal("EnvelopeInputMismatch,EvalSig.Commands.NewAuditEnvelopeCommand", Assert.Single(r.ErrorIds));
        Assert.False(File.Exists(e.Dir.File("x.json")));
    }
}
