using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using EvalSig.Testing;

namespace EvalSig.Benchmarks;

/// <summary>
/// Issue 3 target: Invoke-EvalGate on two 100,000-item JSON files under 1.5 s, end to end -
/// the real cmdlet in a PowerShell 7.6 runspace with the built module imported, reading both files.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 7)]
public class EndToEndBenchmarks
{
    private string _dir = string.Empty;
    private Runspace _runspace = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("evalsig-e2e-").FullName;
        SyntheticRuns.WriteJson(Path.Combine(_dir, "base.json"), 100_000, seed: 1, clusterSize: 5, runId: "base");
        SyntheticRuns.WriteJson(Path.Combine(_dir, "cand.json"), 100_000, seed: 2, clusterSize: 5, shift: 0.01, runId: "cand");
        var manifest = typeof(EndToEndBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ModuleManifest").Value!;
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        using var ps = PowerShell.Create(_runspace);
        ps.AddScript($"Import-Module '{manifest}' -ErrorAction Stop").Invoke();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runspace.Dispose();
        Directory.Delete(_dir, true);
    }

    /// <summary>Issue 4 target: piped batch append of 100,000 records at 50,000 records/s or more.</summary>
    [Benchmark]
    public int AddAuditRecord_Piped100k()
    {
        var ledger = Path.Combine(_dir, "ledger-" + Guid.NewGuid().ToString("N"));
        using var ps = PowerShell.Create(_runspace);
        ps.AddScript("param($ledger, $key) $env:EVALSIG_AUDIT_KEY = $key; $items = foreach ($i in 1..100000) { @{ score = $i / 100000; model = 'acme-7b' } }; $items | Add-AuditRecord -SchemaKey halluccheck.score.v1 -ProjectId bench -Ledger $ledger | ForEach-Object { } ")
            .AddArgument(ledger).AddArgument(Convert.ToBase64String(new byte[32]));
        var result = ps.Invoke();
        if (ps.HadErrors)
        {
            throw new InvalidOperationException(string.Join("; ", ps.Streams.Error));
        }

        Directory.Delete(ledger, true);
        return result.Count;
    }

    [Benchmark]
    public object InvokeEvalGate_Two100kJsonFiles()
    {
        using var ps = PowerShell.Create(_runspace);
        ps.AddCommand("Invoke-EvalGate").AddParameter("Baseline", Path.Combine(_dir, "base.json")).AddParameter("Candidate", Path.Combine(_dir, "cand.json")).AddParameter("MinDelta", 0.005);
        var result = ps.Invoke();
        if (ps.HadErrors || result.Count != 1)
        {
            throw new InvalidOperationException("Invoke-EvalGate failed: " + string.Join("; ", ps.Streams.Error));
        }

        return result[0].BaseObject;
    }
}
