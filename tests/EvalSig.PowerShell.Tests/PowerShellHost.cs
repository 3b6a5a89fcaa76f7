using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Collections.ObjectModel;
using System.Reflection;

namespace EvalSig.PowerShell.Tests;

/// <summary>Where the built module and the repository are, as recorded at build time.</summary>
public static class Paths
{
    private static string Meta(string key) => typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string ModuleDirectory { get; } = Path.GetFullPath(Meta("ModuleDirectory"));

    public static string RepoRoot { get; } = Path.GetFullPath(Meta("RepoRoot"));

    public static string NuGetPackageRoot { get; } = Meta("NuGetPackageRoot");

    public static string PsHostDll { get; } = Meta("PsHostDll");

    public static string CliDll { get; } = Meta("CliDll");

    public static string Configuration { get; } = Meta("Configuration");

    public static string Reference(string name) => Path.GetFullPath(Path.Combine(RepoRoot, "tests", "data", "reference", name));
}

/// <summary>What a script produced: output objects, errors (with ids), warnings, progress.</summary>
public sealed record PsResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<WarningRecord> Warnings,
    IReadOnlyList<ProgressRecord> Progress,
    ErrorRecord? Terminating,
    IReadOnlyList<InformationRecord> Information)
{
    /// <summary>What Write-Host (and the cmdlets' pipeline output) wrote: information records tagged PSHOST.</summary>
    public IReadOnlyList<string> HostLines => Information.Where(i => i.Tags.Contains("PSHOST")).Select(i => i.MessageData?.ToString() ?? string.Empty).ToList();

    /// <summary>Every error id, terminating or not.</summary>
    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId)
        .Concat(Terminating is null ? Enumerable.Empty<string>() : new[] { Terminating.FullyQualifiedErrorId });

    /// <summary>Every error's text, terminating or not.</summary>
    public string ErrorText => string.Join(Environment.NewLine, Errors.Select(e => e.ToString()).Concat(Terminating is null ? Array.Empty<string>() : new[] { Terminating.ToString() }));

    public PSObject One() => Output.Count == 1
        ? Output[0]
        : throw new InvalidOperationException($"expected one output object, got {Output.Count}; errors: {string.Join("; ", ErrorIds)} {Terminating?.Exception?.Message}");

    public T Base<T>(int index = 0) => (T)Output[index].BaseObject;

    public void ShouldSucceed()
    {
        if (Errors.Count > 0 || Terminating is not null)
        {
            throw new Xunit.Sdk.XunitException("script failed: " + string.Join(Environment.NewLine, Errors.Select(e => e.FullyQualifiedErrorId + ": " + e).Concat(Terminating is null ? Array.Empty<string>() : new[] { Terminating.FullyQualifiedErrorId + ": " + Terminating })));
        }
    }
}

/// <summary>
/// Runs script text in a PowerShell 7.6 runspace with the built module folder imported by path,
/// exactly as `Import-Module ./out/EvalSig/&lt;version&gt;` would.
/// </summary>
public static class PowerShellHost
{
    public static PsResult Run(string script, Dictionary<string, object?>? variables = null, bool importModule = true)
    {
        var iss = InitialSessionState.CreateDefault2();
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        if (variables is not null)
        {
            foreach (var kv in variables)
            {
                runspace.SessionStateProxy.SetVariable(kv.Key, kv.Value);
            }
        }

        using var ps = System.Management.Automation.PowerShell.Create(runspace);
        var text = importModule
            ? $"Import-Module '{ModuleManifest.Replace("'", "''", StringComparison.Ordinal)}' -ErrorAction Stop\n{script}"
            : script;
        ps.AddScript(text);
        Collection<PSObject> output = new();
        ErrorRecord? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            terminating = ex.ErrorRecord;
        }

        return new PsResult(
            output.ToList(),
            ps.Streams.Error.ToList(),
            ps.Streams.Warning.ToList(),
            ps.Streams.Progress.ToList(),
            terminating,
            ps.Streams.Information.ToList());
    }

    public static string ModuleManifest => Path.Combine(Paths.ModuleDirectory, "EvalSig.psd1");
}
