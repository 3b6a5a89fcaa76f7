using System;
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

    /// <summary>Runs evalsig with these environment variables set (a null value removes one).</summary>
    public static CliResult RunWith(System.Collections.Generic.IDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.Environment.Remove("EVALSIG_AUDIT_KEY");
        foreach (var (name, value) in environment ?? new System.Collections.Generic.Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
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
