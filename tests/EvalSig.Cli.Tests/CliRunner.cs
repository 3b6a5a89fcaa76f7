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

    public static string Harness(params string[] parts) => Path.Combine(new[] { RepoRoot, "tests", "data", "harness" }.Concat(parts).ToArray());

    /// <summary>Runs a bash script in which "$EVALSIG_DLL" is the built evalsig.dll (run it with dotnet).</summary>
    public static CliResult Bash(string script)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = RepoRoot };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment["EVALSIG_DLL"] = Meta("CliDll");
        ClearCi(psi);
        return Finish(Process.Start(psi)!, null, "bash -c " + script);
    }

    /// <summary>Runs evalsig with text on its standard input (a pipe).</summary>
    public static CliResult RunWithInput(string input, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        ClearCi(psi);
        psi.ArgumentList.Add(Meta("CliDll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Finish(Process.Start(psi)!, input, string.Join(' ', args));
    }

    private static CliResult Finish(Process p, string? input, string what)
    {
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                p.StandardInput.Write(input);
            }

            p.StandardInput.Close();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("evalsig did not finish: " + what);
            }

            return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
        }
    }

    private static void ClearCi(ProcessStartInfo psi)
    {
        foreach (var v in CiVariables)
        {
            psi.Environment.Remove(v);
        }
    }

    /// <summary>The CI variables a test process must not inherit from the machine that runs the tests.</summary>
    public static readonly string[] CiVariables = { "TF_BUILD", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "AGENT_TEMPDIRECTORY", "EVALSIG_CI_STATUS_SECONDS" };

    public static CliResult Run(params string[] args) => RunWith(new Dictionary<string, string?>(), args);


    /// <summary>Runs evalsig with the CI variables and EVALSIG_AUDIT_KEY cleared, then <paramref name="environment"/> set (a null value removes one).</summary>
    public static CliResult RunWith(IReadOnlyDictionary<string, string?>? environment, params string[] args) => RunIn(null, environment, args);

    /// <summary>As <see cref="RunWith"/>, in <paramref name="workingDirectory"/> (default: the test's).</summary>
    public static CliResult RunIn(string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }

        foreach (var v in CiVariables)
        {
            psi.Environment.Remove(v);
        }

        psi.Environment.Remove("EVALSIG_AUDIT_KEY");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
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
