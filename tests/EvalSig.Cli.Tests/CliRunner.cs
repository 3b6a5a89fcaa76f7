using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;

namespace EvalSig.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class Cli
{
    private static string Meta(string key) => typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepoRoot { get; } = Path.GetFullPath(Meta("RepoRoot"));

    public static string Reference(string name, string file) => Path.GetFullPath(Path.Combine(RepoRoot, "tests", "data", "reference", name, file));

    public static string Example(string file) => Path.Combine(RepoRoot, "examples", file);

    public static CliResult Run(params string[] args) => RunWith(null, args);

    /// <summary>Runs evalsig with extra environment variables (credentials, EVALSIG_AUDIT_BACKEND, the cache folder).</summary>
    public static CliResult RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        psi.ArgumentList.Add(Meta("CliDll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("evalsig did not finish: " + string.Join(' ', args));
        }

        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
