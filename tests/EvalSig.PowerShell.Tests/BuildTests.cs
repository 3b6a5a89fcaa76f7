using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace EvalSig.PowerShell.Tests;

/// <summary>The build's own guarantees: one version number, and a package PSResourceGet accepts.</summary>
public class BuildTests
{
    private static (int Exit, string Output) Dotnet(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Paths.RepoRoot };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void Build_FailsWhenTheManifestVersionDiffersFromTheAssemblies()
    {
        var (exit, output) = Dotnet("msbuild", "src/EvalSig.PowerShell/EvalSig.PowerShell.csproj", "-t:CheckModuleVersion", "-p:VersionPrefix=9.9.9", "-nologo");
        Assert.NotEqual(0, exit);
        Assert.Contains("EVALSIG001", output, StringComparison.Ordinal);
        var (ok, okOutput) = Dotnet("msbuild", "src/EvalSig.PowerShell/EvalSig.PowerShell.csproj", "-t:CheckModuleVersion", "-nologo");
        Assert.True(ok == 0, okOutput);
    }

    [Fact]
    public void Package_HoldsTheModuleAtItsRoot_WithPSModuleTagsForEveryCmdlet()
    {
        var dir = Directory.CreateTempSubdirectory("evalsig-pack-").FullName;
        try
        {
            var (exit, output) = Dotnet("pack", "build/Package/EvalSig.Package.csproj", "-c", Paths.Configuration, "--no-build", "-o", dir, "-nologo");
            Assert.True(exit == 0, output);
            var nupkg = Assert.Single(Directory.GetFiles(dir, "EvalSig.*.nupkg"));
            using var zip = ZipFile.OpenRead(nupkg);
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("EvalSig.psd1", names);
            Assert.Contains("EvalSig.PowerShell.dll", names);
            Assert.Contains("EvalSig.Loader.dll", names);
            Assert.Contains("EvalSig.Core.dll", names);
            Assert.Contains("Dependencies/EvalSig.Bridge.dll", names);
            Assert.Contains("en-US/EvalSig.PowerShell.dll-Help.xml", names);
            using var nuspec = zip.GetEntry("EvalSig.nuspec")!.Open();
            var meta = XDocument.Load(nuspec).Root!.Elements().First(e => e.Name.LocalName == "metadata");
            string Field(string name) => meta.Elements().First(e => e.Name.LocalName == name).Value;
            Assert.Equal("EvalSig", Field("id"));
            Assert.Equal(new DirectoryInfo(Paths.ModuleDirectory).Name, Field("version"));
            var tags = Field("tags").Split(' ');
            Assert.Contains("PSModule", tags);
            var manifest = File.ReadAllText(Path.Combine(Paths.RepoRoot, "EvalSig.psd1"));
            var exported = manifest.Split("CmdletsToExport")[1].Split(')')[0].Split('\'').Where((_, i) => i % 2 == 1).ToList();
            Assert.NotEmpty(exported);
            foreach (var cmdlet in exported)
            {
                Assert.Contains("PSCmdlet_" + cmdlet, tags);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
