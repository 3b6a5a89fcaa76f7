using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace EvalSig.Core.Tests;

internal static class TestPaths
{
    public static string RepoRoot { get; } = Path.GetFullPath(typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!);

    public static string Reference(string name, string file) => Path.Combine(ReferenceRoot, name, file);

    /// <summary>../shared/reference beside the checkout, or beside an ancestor (a git worktree sits deeper).</summary>
    public static string ReferenceRoot { get; } = FindReferenceRoot();

    private static string FindReferenceRoot()
    {
        for (var dir = new DirectoryInfo(RepoRoot); dir?.Parent is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.Parent.FullName, "shared", "reference");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "reference"));
    }

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
