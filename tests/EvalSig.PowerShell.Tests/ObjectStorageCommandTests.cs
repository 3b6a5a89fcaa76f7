using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Testing;
using Xunit;
using Xunit.Abstractions;

namespace EvalSig.PowerShell.Tests;

/// <summary>The audit cmdlets with -Ledger az://... and s3://..., against Azurite and s3rver started by the test.</summary>
public class ObjectStorageCommandTests
{
    private static readonly string KeyBase64 = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());

    /// <summary>The same key in a file (as New-AuditKey writes it), for -KeyPath.</summary>
    private static readonly Lazy<string> KeyFile = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "evalsig-pstests-cache", "audit-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".key");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, KeyBase64);
        if (!OperatingSystem.IsWindows())
        {
            // Owner-only, as New-AuditKey writes it: a key others can read is refused for signing.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    });
    private readonly ITestOutputHelper _log;

    public ObjectStorageCommandTests(ITestOutputHelper log) => _log = log;

    private static StorageEmulator Emulator(string kind)
    {
        var e = kind == "azurite" ? StorageEmulator.Azurite : StorageEmulator.S3rver;
        e.UseCredentials();
        return e;
    }

    /// <summary>A new ledger location (a unique prefix) in a container the test made.</summary>
    private static string NewLocation(StorageEmulator e, string container, string? extra = null)
    {
        ContainerMaker.Ensure(e, container);
        return e.Location(container, "t" + Guid.NewGuid().ToString("N")[..12], extra);
    }

    private static PsResult Run(string script, string ledger, Dictionary<string, object?>? vars = null, string? cache = null)
    {
        var v = vars ?? new();
        v["ledger"] = ledger;
        v["key"] = KeyBase64;
        v["cache"] = cache ?? Path.Combine(Path.GetTempPath(), "evalsig-pstests-cache");
        v["keyFile"] = KeyFile.Value;
        // The key by -KeyPath, never $env:EVALSIG_AUDIT_KEY: the environment is the test process's,
        // shared with tests running in parallel (one of them checks what happens without a key).
        return PowerShellHost.Run("$env:EVALSIG_CACHE_DIR = $cache\n$PSDefaultParameterValues = @{ '*-Audit*:Ledger' = $ledger; '*-Audit*:KeyPath' = $keyFile }\n" + script, v);
    }

    [Fact]
    public void AuditCmdlets_OnAzureBlob_AppendQueryVerifyCheckpointAndStatus()
    {
        using var dir = new TempDirectory();
        var ledger = NewLocation(Emulator("azurite"), "cmdlets");
        var r = Run("""
            $a = 1..3 | ForEach-Object { @{ score = $_ / 10 } } | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId p
            $b = Add-AuditRecord @{ detected = $false } -SchemaKey halluccheck.pii.v1 -ProjectId q
            $cp = Export-AuditCheckpoint -Path (Join-Path $dir 'cp.json')
            [pscustomobject]@{
                Positions = @($a + $b | ForEach-Object ChainPosition) -join ','
                Backend = $b.Backend
                Query = @(Get-AuditRecord -ProjectId p | ForEach-Object ChainPosition) -join ','
                Valid = (Test-AuditChain).Valid
                Anchored = (Test-AuditChain -Checkpoint (Join-Path $dir 'cp.json')).Anchored
                Piped = (Get-AuditRecord | Test-AuditChain).Valid
                Status = Get-AuditStatus
                Checkpoint = $cp.Position
            }
            """, ledger, new() { ["dir"] = dir.Path });
        r.ShouldSucceed();
        dynamic o = r.One();
        Assert.Equal("0,1,2,3", (string)o.Positions);
        Assert.Equal("azure-blob", (string)o.Backend);
        Assert.Equal("0,1,2", (string)o.Query);
        Assert.True((bool)o.Valid);
        Assert.True((bool)o.Anchored);
        Assert.True((bool)o.Piped);
        Assert.Equal(3L, (long)o.Checkpoint);
        dynamic status = o.Status;
        Assert.Equal("ok", (string)status.Status);
        Assert.Equal("cmdlets", (string)status.Container);
        Assert.True((bool)status.ConditionalWrites);
        Assert.Equal(4L, (long)status.ChainLength);
        Assert.Equal(4L, (long)status.RecordCount);
    }

    [Fact]
    public void SchemasAndRepair_OnAzureBlob()
    {
        var ledger = NewLocation(Emulator("azurite"), "cmdlets");
        var r = Run("""
            $s = Register-AuditSchema acme.review.v1 reviewer:string -Description 'a review'
            $keys = @(Get-AuditSchema acme.*).SchemaKey -join ','
            $rec = Add-AuditRecord @{ reviewer = 'kim' } -SchemaKey acme.review.v1
            $repair = Repair-AuditLedger -RebuildIndex -Confirm:$false
            [pscustomobject]@{ Keys = $keys; Position = $rec.ChainPosition; Repaired = $repair.Repaired; Reason = $repair.Reason; Count = @(Get-AuditRecord).Count }
            """, ledger);
        r.ShouldSucceed();
        dynamic o = r.One();
        Assert.Equal("acme.review.v1", (string)o.Keys);
        Assert.Equal(0L, (long)o.Position);
        Assert.False((bool)o.Repaired);
        Assert.Contains("rebuilt", (string)o.Reason, StringComparison.Ordinal);
        Assert.Equal(1, (int)o.Count);
    }

    [Fact]
    public void S3rver_MultiWriterIsRefused_SingleWriterWorks_AndImmutableIsRefused()
    {
        var e = Emulator("s3rver");
        var multi = NewLocation(e, "cmdlets");
        var refused = Run("Add-AuditRecord @{ score = 1 } -SchemaKey halluccheck.score.v1", multi);
        Assert.Contains("StorageUnsafe,EvalSig.Commands.AddAuditRecordCommand", refused.ErrorIds);
        Assert.Equal("degraded", (string)((dynamic)Run("Get-AuditStatus", multi).One()).Status);

        var single = NewLocation(e, "cmdlets", "writers=single");
        var ok = Run("(Add-AuditRecord @{ score = 1 } -SchemaKey halluccheck.score.v1).ChainPosition; (Test-AuditChain).Valid", single);
        ok.ShouldSucceed();
        Assert.Equal(0L, (long)ok.Output[0].BaseObject);
        Assert.True((bool)ok.Output[1].BaseObject);
        dynamic status = Run("Get-AuditStatus", single).One();
        Assert.Equal("ok", (string)status.Status);
        Assert.False((bool)status.ConditionalWrites);
        Assert.Equal("single", (string)status.WriterMode);

        var immutable = Run("Add-AuditRecord @{ score = 1 } -SchemaKey halluccheck.score.v1 -Immutable -RetentionDays 7 -RetentionMode Compliance", single);
        Assert.Contains("StorageRetentionUnsupported,EvalSig.Commands.AddAuditRecordCommand", immutable.ErrorIds);
    }

    [Fact]
    public void AnUnreachableLedger_IsDegradedStatus_NotAnError()
    {
        var r = Run("Get-AuditStatus", "az://nowhere/p?account=devstoreaccount1&endpoint=http%3A%2F%2F127.0.0.1%3A9%2Fdevstoreaccount1");
        r.ShouldSucceed();
        dynamic s = r.One();
        Assert.Equal("degraded", (string)s.Status);
        var problems = ((IEnumerable<string>)s.Problems).ToList();
        Assert.Contains(problems, p => p.Contains("no answer", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains(StorageEmulator.AzuriteKey[..12], StringComparison.Ordinal));
    }

    [Fact]
    public void RunStoreCmdlets_OnAzureBlob_SaveHistoryImport_ConflictAndForce()
    {
        var root = NewLocation(Emulator("azurite"), "cmdlet-runs");
        var r = Run("""
            $gate = Invoke-EvalGate $b $c -MinDelta 0.005
            $saved = $gate | Save-EvalRun -Root $root -Project mmlu -PassThru
            $again = Import-RunFrame $b | Save-EvalRun -Root $root -Project mmlu -PassThru
            $conflict = $null
            try { Import-RunFrame $c -RunId $gate.BaselineRunId | Save-EvalRun -Root $root -Project mmlu -ErrorAction Stop } catch { $conflict = $_.FullyQualifiedErrorId }
            $forced = Import-RunFrame $c -RunId $gate.BaselineRunId | Save-EvalRun -Root $root -Project mmlu -Force -PassThru
            $history = @(Get-EvalHistory -Root $root -Project mmlu)
            $all = @(Get-EvalHistory -Root $root -Project mmlu -IncludeSuperseded)
            $piped = @($history | Import-EvalRun)
            $byId = Import-EvalRun -Root $root -Project mmlu -RunId $gate.CandidateRunId
            [pscustomobject]@{
                SavedPaths = @($saved.Path)
                Verdict = ($saved | Where-Object RunId -eq $gate.CandidateRunId).Verdict
                Again = $again.Path
                BasePath = ($saved | Where-Object RunId -eq $gate.BaselineRunId).Path
                Conflict = $conflict
                ForcedVersion = $forced.Version
                Current = $history.Count
                All = $all.Count
                Superseded = @($all | Where-Object Superseded).Count
                PipedTypes = @($piped | ForEach-Object { $_.GetType().FullName } | Sort-Object -Unique) -join ','
                ByIdCount = $byId.Count
                CandidateCount = (Import-RunFrame $c).Count
            }
            """, "unused", new() { ["root"] = root, ["b"] = Path.Combine(Paths.Reference("binary-unclustered"), "baseline.json"), ["c"] = Path.Combine(Paths.Reference("binary-unclustered"), "candidate.json") });
        r.ShouldSucceed();
        dynamic o = r.One();
        var paths = ((IEnumerable<object>)o.SavedPaths).Select(p => p.ToString()!).ToList();
        Assert.Equal(2, paths.Count);
        Assert.All(paths, p => Assert.Matches(@"^az://cmdlet-runs/t[0-9a-f]{12}/mmlu/year=\d{4}/month=\d\d/run_id=binary-unclustered-(base|cand)\.parquet\?", p));
        Assert.All(paths, p => Assert.DoesNotContain(StorageEmulator.AzuriteKey[..12], p, StringComparison.Ordinal));
        Assert.Equal("ALLOW", (string)o.Verdict);
        Assert.Equal((string)o.BasePath, (string)o.Again); // unchanged content: the stored run, nothing written
        Assert.Equal("RunAlreadyExists,EvalSig.Commands.SaveEvalRunCommand", (string)o.Conflict);
        Assert.Equal(2, (int)o.ForcedVersion);
        Assert.Equal(2, (int)o.Current);
        Assert.Equal(3, (int)o.All);
        Assert.Equal(1, (int)o.Superseded);
        Assert.Equal("EvalSig.Core.RunFrames.RunFrame", (string)o.PipedTypes);
        Assert.Equal((int)o.CandidateCount, (int)o.ByIdCount);
    }

    [Fact]
    public void SaveEvalRun_OnS3rver_IsRefusedInMultiWriterMode_AndWorksSingleWriter()
    {
        var e = Emulator("s3rver");
        var vars = new Dictionary<string, object?> { ["b"] = Path.Combine(Paths.Reference("tiny"), "baseline.json") };
        vars["root"] = NewLocation(e, "cmdlet-runs");
        var refused = Run("Import-RunFrame $b | Save-EvalRun -Root $root -Project p", "unused", vars);
        Assert.Contains("StorageUnsafe,EvalSig.Commands.SaveEvalRunCommand", refused.ErrorIds);
        vars["root"] = NewLocation(e, "cmdlet-runs", "writers=single");
        var ok = Run("Import-RunFrame $b | Save-EvalRun -Root $root -Project p -PassThru | Out-Null; @(Get-EvalHistory -Root $root -Project p).Count; (Import-EvalRun -Root $root -Project p -RunId (Import-RunFrame $b).RunId).Count", "unused", vars);
        ok.ShouldSucceed();
        Assert.Equal(1, (int)ok.Output[0].BaseObject);
        Assert.True((int)ok.Output[1].BaseObject > 0);
    }

    [Theory]
    [InlineData("azurite")]
    [InlineData("s3rver")]
    public void EightWriterProcesses_CliAndPwsh_250Each(string kind)
    {
        var e = Emulator(kind);
        var ledger = NewLocation(e, "writers");
        using var dir = new TempDirectory();
        var watch = Stopwatch.StartNew();
        var writers = Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? StartCli(e, ledger, "cli-" + i, dir.Path) : StartPwsh(e, ledger, "pwsh-" + i, dir.Path)).ToList();
        var results = writers.Select(w => w.Finish()).ToList();
        watch.Stop();

        if (kind == "s3rver")
        {
            // s3rver ignores If-None-Match: every writer, CLI or pwsh, is refused before writing anything.
            Assert.All(results, x => Assert.NotEqual(0, x.ExitCode));
            Assert.All(results, x => Assert.Contains("StorageUnsafe", x.Errors, StringComparison.Ordinal));
            Assert.All(results, x => Assert.Empty(x.Positions));
            dynamic empty = Run("Get-AuditStatus", ledger).One();
            Assert.Equal(0L, (long)empty.ChainLength);
            Assert.False((bool)empty.ConditionalWrites);
            return;
        }

        foreach (var x in results)
        {
            Assert.True(x.ExitCode == 0, x.Name + ": " + x.Errors);
            Assert.Equal(250, x.Positions.Count);
        }

        var positions = results.SelectMany(x => x.Positions).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), positions);
        var r = Run("""
            $v = Test-AuditChain
            $records = @(Get-AuditRecord)
            [pscustomobject]@{
                Valid = $v.Valid; Verified = $v.VerifiedCount; Head = $v.HeadPosition; Reason = $v.Reason
                Writers = @($records | ForEach-Object { $_.Payload['writer'] } | Sort-Object -Unique).Count
                PerWriter = @($records | Group-Object { $_.Payload['writer'] } | ForEach-Object Count | Sort-Object -Unique) -join ','
            }
            """, ledger, cache: Path.Combine(dir.Path, "verify-cache"));
        r.ShouldSucceed();
        dynamic o = r.One();
        Assert.True((bool)o.Valid, (string)o.Reason);
        Assert.Equal(2000L, (long)o.Verified);
        Assert.Equal(1999L, (long)o.Head);
        Assert.Equal(8, (int)o.Writers);
        Assert.Equal("250", (string)o.PerWriter);
        _log.WriteLine($"{kind}: 8 writers x 250 appends -> 2000 contiguous records in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private sealed record WriterResult(string Name, int ExitCode, List<long> Positions, string Errors);

    private sealed class Writer
    {
        private readonly Process _p;
        private readonly System.Threading.Tasks.Task<string> _out;
        private readonly System.Threading.Tasks.Task<string> _err;

        public Writer(string name, Process p)
        {
            Name = name;
            _p = p;
            _out = p.StandardOutput.ReadToEndAsync();
            _err = p.StandardError.ReadToEndAsync();
        }

        public string Name { get; }

        public WriterResult Finish()
        {
            if (!_p.WaitForExit(TimeSpan.FromMinutes(8)))
            {
                _p.Kill(entireProcessTree: true);
                throw new TimeoutException(Name + " did not finish");
            }

            var positions = _out.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(l => long.TryParse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : -1)
                .Where(p => p >= 0).ToList();
            var result = new WriterResult(Name, _p.ExitCode, positions, _err.Result);
            _p.Dispose();
            return result;
        }
    }

    private static ProcessStartInfo Start(StorageEmulator e, string cacheRoot, string name)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = Paths.RepoRoot };
        psi.Environment["EVALSIG_AUDIT_KEY"] = KeyBase64;
        psi.Environment["EVALSIG_CACHE_DIR"] = Path.Combine(cacheRoot, name);
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in e.Environment)
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    private static Writer StartCli(StorageEmulator e, string ledger, string name, string cacheRoot)
    {
        var psi = Start(e, cacheRoot, name);
        foreach (var a in new[] { Paths.CliDll, "audit", "append", "--ledger", ledger, "--schema-key", "halluccheck.score.v1", "--project-id", "stress", "--batch-size", "1" })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        var sb = new StringBuilder();
        for (var i = 0; i < 250; i++)
        {
            sb.Append("{\"score\":").Append((i % 10) / 10.0).Append(",\"writer\":\"").Append(name).Append("\",\"seq\":").Append(i).Append("}\n");
        }

        p.StandardInput.Write(sb.ToString());
        p.StandardInput.Close();
        return new Writer(name, p);
    }

    private static Writer StartPwsh(StorageEmulator e, string ledger, string name, string cacheRoot)
    {
        var script = Path.Combine(cacheRoot, name + ".ps1");
        File.WriteAllText(script, """
            param($Module, $Ledger, $Writer)
            $ErrorActionPreference = 'Stop'
            trap { [Console]::Error.WriteLine('error ' + $_.FullyQualifiedErrorId + ': ' + $_); exit 1 }
            Import-Module $Module
            foreach ($i in 0..249) {
                (Add-AuditRecord -Ledger $Ledger -SchemaKey halluccheck.score.v1 -ProjectId stress -Payload @{ score = ($i % 10) / 10; writer = $Writer; seq = $i }).ChainPosition
            }
            """);
        var psi = Start(e, cacheRoot, name);
        foreach (var a in new[] { "tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", script, "-Module", PowerShellHost.ModuleManifest, "-Ledger", ledger, "-Writer", name })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.StandardInput.Close();
        return new Writer(name, p);
    }
}
