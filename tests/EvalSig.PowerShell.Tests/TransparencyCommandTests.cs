using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>Signed tree heads, proofs and the public-key audit, as a user runs them in PowerShell 7.6.</summary>
public class TransparencyCommandTests
{
    /// <summary>An HMAC key, an Ed25519 signing key and a ledger with two signed heads (40 then 65 records).</summary>
    private sealed class Log : IDisposable
    {
        public Log()
        {
            Run("""
                New-AuditKey -Path $hmac | Out-Null
                New-AuditKey -Type Ed25519 -Path $sign -Name example.com/audit | Out-Null
                1..40 | ForEach-Object { @{ score = $_ / 100 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1 | Out-Null
                Export-AuditCheckpoint $old -SigningKeyPath $sign | Out-Null
                1..25 | ForEach-Object { @{ detected = $false } } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 -ProjectId p2 | Out-Null
                Export-AuditCheckpoint $new -SigningKeyPath $sign | Out-Null
                """).ShouldSucceed();
        }

        public TempDirectory Dir { get; } = new();

        public string LedgerFile => Path.Combine(Dir.File("ledger"), "ledger.jsonl");

        public PsResult Run(string script, Dictionary<string, object?>? vars = null)
        {
            var v = vars ?? new();
            v["ledger"] = Dir.File("ledger");
            v["hmac"] = Dir.File("audit.key");
            v["sign"] = Dir.File("log.key");
            v["pub"] = Dir.File("log.key.pub");
            v["old"] = Dir.File("old.note");
            v["new"] = Dir.File("new.note");
            v["dir"] = Dir.Path;
            return PowerShellHost.Run("$PSDefaultParameterValues = @{ '*-Audit*:Ledger' = $ledger; '*-Audit*:KeyPath' = $hmac }\n" + script, v);
        }

        public void Dispose() => Dir.Dispose();
    }

    [Fact]
    public void NewAuditKey_Ed25519_WritesTheSigningKeyOwnerOnly_AndItsPublicKeyBeside()
    {
        using var t = new TempDirectory();
        var r = PowerShellHost.Run("New-AuditKey -Type Ed25519 -Path $p -Name example.com/audit", new() { ["p"] = t.File("log.key") });
        r.ShouldSucceed();
        Assert.Equal("EvalSig.Core.Audit.Transparency.AuditSigningKeyInfo", r.One().BaseObject.GetType().FullName);
        dynamic info = r.One();
        Assert.Equal("example.com/audit", (string)info.Name);
        Assert.StartsWith("example.com/audit+" + (string)info.KeyId + "+", (string)info.VerifierKey, StringComparison.Ordinal);
        Assert.Equal((string)info.VerifierKey, File.ReadAllText(t.File("log.key.pub")).Trim());
        Assert.StartsWith("PRIVATE+KEY+example.com/audit+", File.ReadAllText(t.File("log.key")), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(t.File("log.key")));
        }

        Assert.Equal("FileAlreadyExists,EvalSig.Commands.NewAuditKeyCommand", Assert.Single(PowerShellHost.Run("New-AuditKey -Type Ed25519 -Path $p", new() { ["p"] = t.File("log.key") }).ErrorIds));
        Assert.Equal("AuditSigningKeyInvalid,EvalSig.Commands.NewAuditKeyCommand", Assert.Single(PowerShellHost.Run("New-AuditKey -Type Ed25519 -AsBase64").ErrorIds));
        Assert.Equal("AuditKeyInvalid,EvalSig.Commands.NewAuditKeyCommand", Assert.Single(PowerShellHost.Run("New-AuditKey -Path $p -Name x", new() { ["p"] = t.File("h.key") }).ErrorIds));
    }

    [Fact]
    public void ExportAuditCheckpoint_Signed_WritesTheNote_ThePublicKeyVerifies()
    {
        using var log = new Log();
        var r = log.Run("""
            $h = Export-AuditCheckpoint (Join-Path $dir 'again.note') -SigningKeyPath $sign
            $env:EVALSIG_SIGNING_KEY = Get-Content $sign -Raw
            try { $e = Export-AuditCheckpoint (Join-Path $dir 'env.note') -Sign } finally { $env:EVALSIG_SIGNING_KEY = $null }
            $h
            $e
            Get-Content (Join-Path $dir 'again.note') -Raw
            """);
        r.ShouldSucceed();
        Assert.Equal("EvalSig.Core.Audit.Transparency.SignedTreeHead", r.Output[0].BaseObject.GetType().FullName);
        dynamic h = r.Output[0];
        Assert.Equal(65L, (long)h.TreeSize);
        Assert.Equal("example.com/audit", (string)h.Origin);
        Assert.Equal((string)h.Note, r.Output[2].ToString());
        Assert.Equal((string)h.RootHash, (string)((dynamic)r.Output[1]).RootHash);

        var noKey = log.Run("Export-AuditCheckpoint (Join-Path $dir 'x.note') -Sign");
        Assert.Equal("AuditSigningKeyMissing,EvalSig.Commands.ExportAuditCheckpointCommand", Assert.Single(noKey.ErrorIds));
    }

    [Fact]
    public void GetAuditProof_InclusionForPipedRecords_AndConsistencyBetweenHeads_Verify()
    {
        using var log = new Log();
        var r = log.Run("""
            Get-AuditRecord -ProjectId p2 -First 3 | Get-AuditProof -Inclusion -Checkpoint $new
            Get-AuditProof -Consistency -Checkpoint $old, $new
            Get-AuditProof -Consistency -From 10 -To 65
            """);
        r.ShouldSucceed();
        Assert.Equal(5, r.Output.Count);
        Assert.Equal("EvalSig.Core.Audit.Transparency.AuditInclusionProof", r.Output[0].BaseObject.GetType().FullName);
        Assert.Equal(new long[] { 40, 41, 42 }, r.Output.Take(3).Select(o => (long)((dynamic)o).Position));
        Assert.All(r.Output, o => Assert.True((bool)((dynamic)o).Verify()));
        Assert.StartsWith("c2sp.org/tlog-proof@v1\nindex 40\n", (string)((dynamic)r.Output[0]).ToTlogProof(), StringComparison.Ordinal);
        Assert.Equal("EvalSig.Core.Audit.Transparency.AuditConsistencyProof", r.Output[3].BaseObject.GetType().FullName);
        Assert.Equal(40L, (long)((dynamic)r.Output[3]).FromSize);

        var bad = log.Run("Get-AuditProof -Inclusion -Position 65; Get-AuditProof -Consistency");
        Assert.Equal(new[] { "AuditProofUnavailable,EvalSig.Commands.GetAuditProofCommand", "AuditProofUnavailable,EvalSig.Commands.GetAuditProofCommand" }, bad.ErrorIds);
    }

    [Fact]
    public void TestAuditChain_PublicKey_TwoHeadsAndTheLedger_IsValid_WithNoHmacKey()
    {
        using var log = new Log();
        var r = log.Run("""
            $PSDefaultParameterValues.Remove('*-Audit*:KeyPath')
            $env:EVALSIG_AUDIT_KEY = $null
            Test-AuditChain -PublicKey $pub -Checkpoint $old, $new
            Get-AuditRecord -ProjectId p1 | Test-AuditChain -PublicKey (Get-Content $pub -Raw).Trim() -Checkpoint $new
            """);
        r.ShouldSucceed();
        Assert.Equal("EvalSig.Core.Audit.Transparency.LogVerification", r.Output[0].BaseObject.GetType().FullName);
        dynamic v = r.Output[0];
        Assert.True((bool)v.Valid, (string)v.Reason);
        Assert.True((bool)v.Consistent);
        Assert.Equal(65L, (long)v.LedgerRecordCount);
        dynamic w = r.Output[1];
        Assert.True((bool)w.Valid, (string)w.Reason);
        Assert.Equal(40L, (long)w.IncludedCount);

        // The HMAC sets stay the default; -PublicKey without a head to check is an error, not a pass.
        Assert.Equal("EvalSig.Core.Audit.ChainVerification", log.Run("Test-AuditChain -Checkpoint (Join-Path $dir 'none.json') -ErrorAction SilentlyContinue; Test-AuditChain").Output.Single().BaseObject.GetType().FullName);
        Assert.Equal("AuditTreeHeadInvalid,EvalSig.Commands.TestAuditChainCommand", Assert.Single(log.Run("Test-AuditChain -PublicKey $pub").ErrorIds));
    }

    [Theory]
    [InlineData("truncate", "Truncated")]
    [InlineData("rewrite", "Rewritten")]
    [InlineData("fork", "Forked")]
    public void TestAuditChain_PublicKey_FindsTruncationRewriteAndFork(string attack, string finding)
    {
        using var log = new Log();
        var lines = File.ReadAllLines(log.LedgerFile);
        var heads = "$old, $new";
        switch (attack)
        {
            case "truncate":
                File.WriteAllText(log.LedgerFile, string.Join("\n", lines.Take(50)) + "\n");
                break;
            case "rewrite":
                lines[12] = lines[12].Replace("\"p1\"", "\"p9\"", StringComparison.Ordinal);
                File.WriteAllText(log.LedgerFile, string.Join("\n", lines) + "\n");
                break;
            default:
                // The key holders rewrite history from record 12 on, re-MAC it, rebuild the tree and sign again.
                File.WriteAllText(log.LedgerFile, string.Join("\n", lines.Take(12)) + "\n");
                log.Run("""
                    Remove-Item (Join-Path $ledger 'merkle.tree')
                    1..53 | ForEach-Object { @{ score = 0 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p1 | Out-Null
                    Export-AuditCheckpoint (Join-Path $dir 'forged.note') -SigningKeyPath $sign | Out-Null
                    """).ShouldSucceed();
                heads = "$old, (Join-Path $dir 'forged.note')";
                break;
        }

        var r = log.Run($"Test-AuditChain -PublicKey $pub -Checkpoint {heads}");
        r.ShouldSucceed();
        dynamic v = r.One();
        Assert.False((bool)v.Valid);
        Assert.Contains(finding, ((System.Collections.IEnumerable)v.Findings).Cast<object>().Select(f => f.ToString()));
    }

    [Fact]
    public void TestAuditChain_PublicKey_WithConsistencyProofsOnly_NeedsNoLedger()
    {
        using var log = new Log();
        var r = log.Run("""
            $proof = Get-AuditProof -Consistency -Checkpoint $old, $new
            $proof.ToJson() | Set-Content (Join-Path $dir 'c.json')
            Remove-Item -Recurse $ledger
            $PSDefaultParameterValues.Remove('*-Audit*:Ledger')
            Test-AuditChain -PublicKey $pub -Checkpoint $old, $new -ConsistencyProof $proof
            Test-AuditChain -PublicKey $pub -Checkpoint $old, $new -ConsistencyProof (Join-Path $dir 'c.json')
            """);
        r.ShouldSucceed();
        Assert.All(r.Output, o => Assert.True((bool)((dynamic)o).Valid, (string)((dynamic)o).Reason));
        Assert.All(r.Output, o => Assert.Null((object?)((dynamic)o).LedgerRecordCount));
    }

    [Fact]
    public void ExportAuditLog_WithProofs_VerifiesAlone_WarnsAboutRecordsAfterTheHead()
    {
        using var log = new Log();
        var r = log.Run("""
            @{ detected = $true } | Add-AuditRecord -SchemaKey halluccheck.pii.v1 -ProjectId p2 | Out-Null
            Export-AuditLog (Join-Path $dir 'p2.jsonl') -ProjectId p2 -WithProofs -Checkpoint $new -PassThru -WarningVariable warned -WarningAction SilentlyContinue
            $warned.Count
            Test-AuditChain -PublicKey $pub -Path (Join-Path $dir 'p2.jsonl')
            """);
        r.ShouldSucceed();
        Assert.IsType<FileInfo>(r.Output[0].BaseObject);
        Assert.Equal(1, (int)r.Output[1].BaseObject);
        dynamic v = r.Output[2];
        Assert.True((bool)v.Valid, (string)v.Reason);
        Assert.Equal(25L, (long)v.IncludedCount);

        var bad = log.Run("Export-AuditLog (Join-Path $dir 'x.jsonl') -WithProofs; Export-AuditLog (Join-Path $dir 'y.csv') -Format Csv -WithProofs -Checkpoint $new");
        Assert.Equal(new[] { "AuditProofUnavailable,EvalSig.Commands.ExportAuditLogCommand", "AuditProofUnavailable,EvalSig.Commands.ExportAuditLogCommand" }, bad.ErrorIds);
    }

    [Fact]
    public void RepairAuditLedger_RebuildsADamagedTree_AndWhatIfChangesNothing()
    {
        using var log = new Log();
        var tree = Path.Combine(log.Dir.File("ledger"), "merkle.tree");
        var bytes = File.ReadAllBytes(tree);
        bytes[64] ^= 1;
        File.WriteAllBytes(tree, bytes);
        var dry = log.Run("Repair-AuditLedger -WhatIf");
        dry.ShouldSucceed();
        Assert.False((bool)((dynamic)dry.One()).Tree.Matched);
        Assert.Equal(bytes, File.ReadAllBytes(tree));
        var r = log.Run("Repair-AuditLedger -Confirm:$false; Repair-AuditLedger -Confirm:$false");
        r.ShouldSucceed();
        Assert.True((bool)((dynamic)r.Output[0]).Tree.Rebuilt);
        Assert.True((bool)((dynamic)r.Output[1]).Tree.Matched);
    }
}
