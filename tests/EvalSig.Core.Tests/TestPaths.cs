using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace EvalSig.Core.Tests;

internal static class TestPaths
{
    public static string RepoRoot { get; } = Path.GetFullPath(typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!);

    public static string Reference(string name, string file) => Path.GetFullPath(Path.Combine(RepoRoot, "tests", "data", "reference", name, file));

    public static string[] ReferenceCases { get; } = { "tiny", "binary-unclustered", "binary-clustered", "continuous-clustered", "partial-overlap" };
}

internal sealed class Scratch : IDisposable
{
    public Scratch() => Path = Directory.CreateTempSubdirectory("evalsig-core-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        System.IO.File.WriteAllText(File(name), content);
        return File(name);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Real evaluation-tool logs under tests/data/harness (sources in tests/data/README.md).</summary>
internal static class HarnessData
{
    public static string Path(params string[] parts) => System.IO.Path.Combine(new[] { TestPaths.RepoRoot, "tests", "data", "harness" }.Concat(parts).ToArray());
}
