using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using Xunit;

namespace EvalSig.Pester.Tests;

/// <summary>
/// tests/Pester, run once in real pwsh (the pinned .NET tool) with Pester 5.7.1; every Pester test
/// and every test file is a case here. Discovery runs Pester's own discovery, so a new It block
/// is a new case without any change to this file.
/// </summary>
public class PesterSuite
{
    private static readonly Lazy<SuiteResult> Run = new(() => SuiteResult.Load(Pwsh.RunSuite(discoverOnly: false)));

    public static TheoryData<string, string, int> Tests()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (file, path, occurrence) in Discovery.Value.Tests.Select(t => (t.File, t.Path)).WithOccurrence())
        {
            data.Add(file, path, occurrence);
        }

        return data;
    }

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Discovery.Value.Containers.Select(c => c.File).Distinct(StringComparer.Ordinal))
        {
            data.Add(f);
        }

        return data;
    }

    private static readonly Lazy<SuiteResult> Discovery = new(() => SuiteResult.Load(Pwsh.RunSuite(discoverOnly: true)));

    [Theory]
    [MemberData(nameof(Files))]
    public void PesterFile_RunsWithoutContainerFailure(string file)
    {
        var containers = Run.Value.Containers.Where(c => c.File == file).ToList();
        Assert.True(containers.Count > 0, $"{file} did not run at all.\n{Run.Value.Log}");
        foreach (var c in containers)
        {
            Assert.True(c.Result is "Passed" or "Failed", $"{file}: container result {c.Result}\n{c.Error}");
            if (c.Result == "Failed" && !Run.Value.Tests.Any(t => t.File == file && t.Result == "Failed"))
            {
                Assert.Fail($"{file} failed outside any test (BeforeAll, AfterAll or discovery):\n{c.Error}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Tests))]
    public void Pester(string file, string path, int occurrence)
    {
        var match = Run.Value.Tests.Select(t => t).WithOccurrenceOf(file, path, occurrence);
        Assert.True(match is not null, $"{file}: '{path}' was discovered but did not run.\n{Run.Value.Log}");
        Assert.True(match!.Result == "Passed", $"{file}: '{path}' {match.Result}\n{match.Error}");
    }
}

internal sealed record PesterTest(string File, string Path, string Result, string? Error);

internal sealed record PesterContainer(string File, string Result, string? Error);

internal sealed record SuiteResult(IReadOnlyList<PesterContainer> Containers, IReadOnlyList<PesterTest> Tests, string Log)
{
    public static SuiteResult Load((string Json, string Log) run)
    {
        using var doc = JsonDocument.Parse(run.Json);
        var root = doc.RootElement;
        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var containers = root.GetProperty(nameof(Containers)).EnumerateArray()
            .Select(c => new PesterContainer(Text(c, "File")!, Text(c, "Result")!, Text(c, "Error"))).ToList();
        var tests = root.GetProperty(nameof(Tests)).EnumerateArray()
            .Select(t => new PesterTest(Text(t, "File")!, Text(t, "Path")!, Text(t, "Result")!, Text(t, "Error"))).ToList();
        return new SuiteResult(containers, tests, run.Log);
    }
}

internal static class Occurrences
{
    /// <summary>Numbers tests that share a file and a path (data-driven cases may), so each is a case of its own.</summary>
    public static IEnumerable<(string File, string Path, int Occurrence)> WithOccurrence(this IEnumerable<(string File, string Path)> tests)
    {
        var seen = new Dictionary<(string, string), int>();
        foreach (var t in tests)
        {
            var n = seen.TryGetValue(t, out var k) ? k + 1 : 0;
            seen[t] = n;
            yield return (t.File, t.Path, n);
        }
    }

    public static PesterTest? WithOccurrenceOf(this IEnumerable<PesterTest> tests, string file, string path, int occurrence)
        => tests.Where(t => t.File == file && t.Path == path).Skip(occurrence).FirstOrDefault();
}

/// <summary>Real pwsh from the repository's tool manifest, in a process of its own.</summary>
internal static class Pwsh
{
    private static string Meta(string key) => typeof(Pwsh).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepoRoot { get; } = Path.GetFullPath(Meta("RepoRoot"));

    public static (string Json, string Log) RunSuite(bool discoverOnly)
    {
        var result = Path.Combine(Path.GetTempPath(), $"evalsig-pester-{Guid.NewGuid():N}.json");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in new[] { "tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(RepoRoot, "tests", "Pester", "Invoke-PesterSuite.ps1"), "-PesterModule", PesterModule, "-ResultPath", result })
        {
            psi.ArgumentList.Add(a);
        }

        if (discoverOnly)
        {
            psi.ArgumentList.Add("-DiscoverOnly");
        }

        psi.Environment["EVALSIG_MODULE"] = Path.GetFullPath(Meta("ModuleDirectory"));
        psi.Environment["EVALSIG_CLI"] = Meta("CliDll");
        psi.Environment["EVALSIG_NUGET_PACKAGES"] = Meta("NuGetPackageRoot");
        psi.Environment["EVALSIG_CONFIGURATION"] = Meta("Configuration");
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(30)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("the Pester suites did not finish in 30 minutes");
        }

        var log = stdout.Result + stderr.Result;
        if (p.ExitCode != 0 || !File.Exists(result))
        {
            throw new InvalidOperationException($"pwsh exited with {p.ExitCode} and no results ({(discoverOnly ? "discovery" : "run")}):\n{log}");
        }

        try
        {
            return (File.ReadAllText(result), log);
        }
        finally
        {
            File.Delete(result);
        }
    }

    private static string PesterModule => Path.Combine(Meta("NuGetPackageRoot"), "pester", "5.7.1", "tools", "Pester.psd1");
}
