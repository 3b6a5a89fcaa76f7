using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class AuditCommandTests
{
    /// <summary>A ledger directory and a key file for one test.</summary>
    private sealed class Env : IDisposable
    {
        public Env()
        {
            var r = PowerShellHost.Run("New-AuditKey -Path $p", new() { ["p"] = Dir.File("audit.key") });
            r.ShouldSucceed();
            KeyId = (string)((dynamic)r.One()).KeyId;
        }

        public TempDirectory Dir { get; } = new();

        public string Ledger => Dir.File("ledger");

        public string Key => Dir.File("audit.key");

        public string KeyId { get; }

        public PsResult Run(string script, System.Collections.Generic.Dictionary<string, object?>? vars = null)
        {
            var v = vars ?? new();
            v["ledger"] = Ledger;
            v["key"] = Key;
            return PowerShellHost.Run("$PSDefaultParameterValues = @{ '*-Audit*:Ledger' = $ledger; '*-Audit*:KeyPath' = $key }\n" + script, v);
        }

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void NewAuditKey_CreatesAnOwnerOnlyFile_AndNeverOverwritesWithoutForce()
    {
        using var e = new Env();
        Assert.Matches("^[0-9a-f]{16}$", e.KeyId);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(e.Key));
        }

        var again = PowerShellHost.Run("New-AuditKey -Path $p", new() { ["p"] = e.Key });
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.NewAuditKeyCommand", Assert.Single(again.ErrorIds));
        var b64 = PowerShellHost.Run("New-AuditKey -AsBase64");
        Assert.Equal(32, Convert.FromBase64String(b64.One().ToString()!).Length);
    }

    [Fact]
    public void AddAuditRecord_WithoutAKey_FailsWithInstructions_AndWritesNothing()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("Add-AuditRecord @{ score = 0.9 } -SchemaKey halluccheck.score.v1 -Ledger $l", new() { ["l"] = t.File("ledger") });
        var e = Assert.Single(r.ErrorIds);
        Assert.Equal("AuditKeyMissing,EvalSig.Commands.AddAuditRecordCommand", e);
        Assert.Contains("New-AuditKey", r.ErrorText, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(t.File("ledger"), "ledger.jsonl")));
    }

    [Fact]
    public void AddAuditRecord_PipedPayloads_AreOneBatch_WithContiguousPositions()
    {
        using var e = new Env();
        var r = e.Run("1..100 | ForEach-Object { @{ score = $_ / 100; run = \"r$_\" } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1");
        r.ShouldSucceed();
        Assert.Equal(100, r.Output.Count);
        Assert.Equal("EvalSig.Core.Audit.AuditRecord", r.Output[0].BaseObject.GetType().FullName);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), r.Output.Select(o => (long)((dynamic)o).ChainPosition));
        dynamic first = r.Output[0];
        Assert.Equal(e.KeyId, (string)first.KeyId);
        Assert.Equal("local", (string)first.Backend);
        Assert.Equal("r1", (string)first.Payload["run"]);
    }

    [Fact]
    public void AddAuditRecord_GateReportFromThePipeline_IsEvalsigGateV1()
    {
        using var e = new Env();
        var r = e.Run("Invoke-EvalGate $b $c | Add-AuditRecord -ProjectId demo | ForEach-Object { $_.SchemaKey; $_.Payload['verdict']; $_.Payload['comparison']['method'] }", new()
        {
            ["b"] = Path.Combine(Paths.Reference("tiny"), "baseline.json"),
            ["c"] = Path.Combine(Paths.Reference("tiny"), "candidate.json"),
        });
        r.ShouldSucceed();
        Assert.Equal(new[] { "evalsig.gate.v1", "INCONCLUSIVE", "paired_permutation" }, r.Output.Select(o => o.ToString()));
    }

    [Theory]
    [InlineData("@{ score = 'high' } | Add-AuditRecord -SchemaKey halluccheck.score.v1", "AuditPayloadInvalid")]
    [InlineData("@{ x = 1 } | Add-AuditRecord -SchemaKey acme.unknown.v1", "AuditSchemaUnknown")]
    [InlineData("@{ x = 1 } | Add-AuditRecord -SchemaKey 'Bad Key'", "AuditSchemaInvalid")]
    [InlineData("@{ x = 1 } | Add-AuditRecord", "AuditSchemaUnknown")]
    [InlineData("@{ score = 1 }, @{ detected = 'maybe' } | ForEach-Object { $_ } | Add-AuditRecord -SchemaKey halluccheck.score.v1", "AuditPayloadInvalid")]
    public void AddAuditRecord_BadInput_HasItsOwnId_AndWritesNothing(string script, string id)
    {
        using var e = new Env();
        var r = e.Run(script);
        Assert.Empty(r.Output);
        Assert.Equal($"{id},EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        Assert.False(File.Exists(Path.Combine(e.Ledger, "ledger.jsonl")) && new FileInfo(Path.Combine(e.Ledger, "ledger.jsonl")).Length > 0);
    }

    [Fact]
    public void AddAuditRecord_NonStrictAndWhatIf()
    {
        using var e = new Env();
        var r = e.Run("""
            @{ x = 1 } | Add-AuditRecord -SchemaKey acme.unknown.v1 -StrictSchema:$false | ForEach-Object SchemaKey
            @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -WhatIf
            (Get-AuditStatus).RecordCount
            """);
        r.ShouldSucceed();
        Assert.Equal(new[] { "acme.unknown.v1", "1" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void GetAuditRecord_Filters_AndRejectsBadDates()
    {
        using var e = new Env();
        var r = e.Run("""
            1..5 | ForEach-Object { @{ score = 0.5 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId a | Out-Null2
            @{ detected = $false } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 -ProjectId b | Out-Null2
            @(Get-AuditRecord).Count
            @(Get-AuditRecord halluccheck.pii.v1).Count
            @(Get-AuditRecord -ProjectId a -Skip 1 -First 2 | ForEach-Object ChainPosition) -join ','
            @(Get-AuditRecord -From ([datetime]::UtcNow.AddMinutes(5))).Count
            @(Get-AuditRecord -Since '2020-01-01' -Until ([DateTimeOffset]::UtcNow.AddMinutes(1))).Count
            """.Replace("| Out-Null2", "| ForEach-Object { }", StringComparison.Ordinal));
        r.ShouldSucceed();
        Assert.Equal(new[] { "6", "1", "1,2", "0", "6" }, r.Output.Select(o => o.ToString()));
        var bad = e.Run("Get-AuditRecord -From 'not a date'");
        Assert.Equal("AuditQueryInvalid,EvalSig.Commands.GetAuditRecordCommand", Assert.Single(bad.ErrorIds));
        var backwards = e.Run("Get-AuditRecord -From 2026-02-01 -To 2026-01-01");
        Assert.Equal("AuditQueryInvalid,EvalSig.Commands.GetAuditRecordCommand", Assert.Single(backwards.ErrorIds));
    }

    [Fact]
    public void TestAuditChain_ValidLedger_PipedRecords_Tampering_AndAWrongKey()
    {
        using var e = new Env();
        e.Run("1..10 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1").ShouldSucceed();
        var ok = e.Run("Test-AuditChain; Get-AuditRecord | Test-AuditChain; Get-AuditRecord -Skip 3 | Test-AuditChain -Range");
        ok.ShouldSucceed();
        Assert.All(ok.Output, o => Assert.True((bool)((dynamic)o).Valid));
        var gapped = e.Run("(Get-AuditRecord -Skip 3 | Test-AuditChain).Valid");
        Assert.Equal("False", gapped.One().ToString()); // records 0..2 missing: never a valid whole chain without -Range
        Assert.Equal(10L, (long)((dynamic)ok.Output[0]).VerifiedCount);
        Assert.False((bool)((dynamic)ok.Output[0]).Anchored);

        var path = Path.Combine(e.Ledger, "ledger.jsonl");
        var lines = File.ReadAllLines(path);
        lines[4] = lines[4].Replace("\"score\":5", "\"score\":6", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);
        var bad = e.Run("Test-AuditChain");
        bad.ShouldSucceed();
        dynamic v = bad.One();
        Assert.False((bool)v.Valid);
        Assert.Equal(4L, (long)v.FirstTampered.Position);
        Assert.Equal(1L, (long)v.TamperedCount);

        var otherKey = e.Dir.File("other.key");
        PowerShellHost.Run("New-AuditKey -Path $p", new() { ["p"] = otherKey }).ShouldSucceed();
        var wrong = PowerShellHost.Run("Test-AuditChain -Ledger $l -KeyPath $k", new() { ["l"] = e.Ledger, ["k"] = otherKey });
        wrong.ShouldSucceed();
        dynamic w = wrong.One();
        Assert.False((bool)w.Valid);
        Assert.Contains("not in the keyring", (string)w.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_AnchorsTheChain_AndTruncationIsFound()
    {
        using var e = new Env();
        var cp = e.Dir.File("checkpoint.json");
        var r = e.Run("""
            1..5 | ForEach-Object { @{ score = $_ } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | ForEach-Object { }
            (Export-AuditCheckpoint $cp).Position
            (Test-AuditChain -Checkpoint $cp).Anchored
            """, new() { ["cp"] = cp });
        r.ShouldSucceed();
        Assert.Equal(new[] { "4", "True" }, r.Output.Select(o => o.ToString()));
        var path = Path.Combine(e.Ledger, "ledger.jsonl");
        File.WriteAllLines(path, File.ReadAllLines(path).Take(3));
        var after = e.Run("Test-AuditChain -Checkpoint $cp; Test-AuditChain", new() { ["cp"] = cp });
        after.ShouldSucceed();
        Assert.False((bool)((dynamic)after.Output[0]).Valid);
        Assert.False((bool)((dynamic)after.Output[0]).Anchored);
        Assert.True((bool)((dynamic)after.Output[1]).Valid, "without the checkpoint the truncated chain looks valid - which is why checkpoints exist");
        var again = e.Run("Export-AuditCheckpoint $cp -NoClobber", new() { ["cp"] = cp });
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.ExportAuditCheckpointCommand", Assert.Single(again.ErrorIds));
    }

    [Theory]
    [InlineData("Jsonl", false, "audit.jsonl")]
    [InlineData("Csv", true, "audit.csv.gz")]
    public void ExportAuditLog_ReVerifies_AndRespectsNoClobber(string format, bool compress, string file)
    {
        using var e = new Env();
        var target = e.Dir.File(file);
        var r = e.Run($$"""
            1..7 | ForEach-Object { @{ score = $_; note = "a,b `"c`"" } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | ForEach-Object { }
            (Export-AuditLog -Path $t -Format {{format}} {{(compress ? "-Compress" : string.Empty)}} -PassThru).Name
            (Test-AuditChain -Path $t).Valid
            Get-AuditRecord -First 3 | Export-AuditLog -Path $t -NoClobber
            """, new() { ["t"] = target });
        Assert.Equal(new[] { file, "True" }, r.Output.Select(o => o.ToString()));
        Assert.Equal("FileAlreadyExists,EvalSig.Commands.ExportAuditLogCommand", Assert.Single(r.ErrorIds));
        Assert.DoesNotContain(File.ReadAllText(e.Key).Trim(), File.ReadAllText(target), StringComparison.Ordinal);
    }

    [Fact]
    public void NewAuditSignature_SignsCanonicalJson()
    {
        using var e = new Env();
        var r = e.Run("[ordered]@{ b = 2; a = 1.50 } | New-AuditSignature");
        r.ShouldSucceed();
        dynamic s = r.One();
        Assert.Equal("{\"a\":1.5,\"b\":2}", (string)s.CanonicalJson);
        Assert.Equal(e.KeyId, (string)s.KeyId);
        Assert.StartsWith("hmac-sha256:", (string)s.Hmac, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(e.Ledger, "ledger.jsonl")));
    }

    [Fact]
    public void StatusAndRepair_TornTail()
    {
        using var e = new Env();
        e.Run("@{ score = 1 }, @{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1").ShouldSucceed();
        var path = Path.Combine(e.Ledger, "ledger.jsonl");
        var good = File.ReadAllBytes(path);
        File.AppendAllText(path, "{\"chain_pos");
        var r = e.Run("""
            $s = Get-AuditStatus; $s.Status; $s.TornTail; $s.RecordCount
            (Test-AuditChain).TornTail
            Repair-AuditLedger -WhatIf
            (Get-AuditStatus).TornTail
            (Repair-AuditLedger -Confirm:$false).Bytes
            (Get-AuditStatus).Status
            """);
        r.ShouldSucceed();
        Assert.Equal(new[] { "degraded", "True", "2", "True", "True", "11", "ok" }, r.Output.Select(o => o.ToString()));
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.Combine(e.Ledger, "quarantine")));
        var torn = File.ReadAllBytes(path);
        Assert.Equal(good, torn);
    }

    [Fact]
    public void AppendingToATornLedger_IsAuditLedgerTorn()
    {
        using var e = new Env();
        e.Run("@{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1").ShouldSucceed();
        File.AppendAllText(Path.Combine(e.Ledger, "ledger.jsonl"), "{\"torn");
        var r = e.Run("@{ score = 2 } | Add-AuditRecord -SchemaKey halluccheck.score.v1");
        Assert.Equal("AuditLedgerTorn,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        Assert.Contains("Repair-AuditLedger", r.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public void Schemas_RegisterListAndComplete()
    {
        using var e = new Env();
        var r = e.Run("""
            (Register-AuditSchema acme.release.v1 approver:string, ticket -Description 'Release approvals').SchemaKey
            @(Get-AuditSchema).Count
            @(Get-AuditSchema halluccheck.*).Count
            @{ ticket = 'T-1' } | Add-AuditRecord -SchemaKey acme.release.v1
            $line = 'Add-AuditRecord -SchemaKey halluccheck.s'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText
            """);
        Assert.Equal("acme.release.v1", r.Output[0].ToString());
        Assert.Equal("19", r.Output[1].ToString());
        Assert.Equal("11", r.Output[2].ToString());
        Assert.True(new[] { "halluccheck.score.v1", "halluccheck.secrets.v1" }.SequenceEqual(r.Output.Skip(3).Select(o => o?.ToString())), string.Join("|", r.Output.Select(o => o?.ToString() ?? "<null>")) + r.ErrorText);
        Assert.Equal("AuditPayloadInvalid,EvalSig.Commands.AddAuditRecordCommand", Assert.Single(r.ErrorIds));
        var bad = e.Run("Register-AuditSchema halluccheck.score.v1 x");
        Assert.Equal("AuditSchemaInvalid,EvalSig.Commands.RegisterAuditSchemaCommand", Assert.Single(bad.ErrorIds));
        var badField = e.Run("Register-AuditSchema acme.x.v1 'a:decimal'");
        Assert.Equal("AuditSchemaInvalid,EvalSig.Commands.RegisterAuditSchemaCommand", Assert.Single(badField.ErrorIds));
    }

    [Fact]
    public void Keys_NeverAppearInOutputOrErrors()
    {
        using var e = new Env();
        var secret = File.ReadAllText(e.Key).Trim();
        var r = e.Run("""
            @{ score = 1 } | Add-AuditRecord -SchemaKey halluccheck.score.v1 | ForEach-Object { $_ | Format-List2 }
            Get-AuditStatus; Test-AuditChain; Get-AuditRecord
            @{ score = 'x' } | Add-AuditRecord -SchemaKey halluccheck.score.v1
            """.Replace("| Format-List2", "| ForEach-Object { $_.PSObject.Properties | ForEach-Object { \"$($_.Name)=$($_.Value)\" } }", StringComparison.Ordinal));
        var everything = string.Join("\n", r.Output.Select(o => o.ToString())) + string.Join("\n", r.ErrorIds) + r.Terminating;
        Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        Assert.NotEmpty(r.Output);
    }
}
