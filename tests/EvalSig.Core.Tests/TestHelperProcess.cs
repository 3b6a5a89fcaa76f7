using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using EvalSig.Core.Audit;

namespace EvalSig.Core.Tests;

/// <summary>Starts EvalSig.TestHelper (a writer process) with the audit key and any extra environment.</summary>
internal static class TestHelperProcess
{
    private static readonly string Helper = typeof(TestHelperProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestHelperDll").Value!;

    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Helper);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment[AuditKey.EnvironmentVariable] = AuditLedgerTests.Key.ExportBase64();
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return Process.Start(psi)!;
    }

    public static (int ExitCode, string Output, string Errors) Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(environment, args);
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("EvalSig.TestHelper did not finish");
        }

        return (p.ExitCode, output.Result, errors.Result);
    }
}
