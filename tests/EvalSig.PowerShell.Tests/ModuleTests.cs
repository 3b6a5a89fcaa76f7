using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Xunit;

namespace EvalSig.PowerShell.Tests;

public class ModuleTests
{
    [Fact]
    public void TestModuleManifest_OnBuiltManifest_PassesWithTheBuildVersion()
    {
        var r = PowerShellHost.Run("Test-ModuleManifest -Path $manifest", new() { ["manifest"] = PowerShellHost.ModuleManifest }, importModule: false);
        r.ShouldSucceed();
        var info = (PSModuleInfo)r.One().BaseObject;
        Assert.Equal("EvalSig", info.Name);
        Assert.Equal(typeof(ModuleTests).Assembly.GetName().Version!.ToString(3), info.Version.ToString(3));
        Assert.Equal(new Version(7, 4), info.PowerShellVersion);
        Assert.Contains("Core", info.CompatiblePSEditions);
        Assert.NotEmpty(info.Tags);
        Assert.NotNull(info.ProjectUri);
        Assert.NotNull(info.LicenseUri);
    }

    [Fact]
    public void GetCommand_ListsExactlyTheManifestExports()
    {
        var r = PowerShellHost.Run("""
            $m = Test-ModuleManifest -Path $manifest
            [pscustomobject]@{
                Exported = @($m.ExportedCmdlets.Keys)
                Loaded   = @(Get-Command -Module EvalSig | ForEach-Object Name)
            }
            """, new() { ["manifest"] = PowerShellHost.ModuleManifest });
        r.ShouldSucceed();
        var exported = ((object[])r.One().Properties["Exported"].Value).Select(o => o.ToString()).Order(StringComparer.Ordinal).ToArray();
        var loaded = ((object[])r.One().Properties["Loaded"].Value).Select(o => o.ToString()).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(exported);
        Assert.Equal(exported, loaded);
    }

    [Fact]
    public void Manifest_ExportsNoWildcards()
    {
        var text = File.ReadAllText(Path.Combine(Paths.RepoRoot, "EvalSig.psd1"));
        Assert.DoesNotContain("*", text.Split("CmdletsToExport")[1].Split(')')[0], StringComparison.Ordinal);
    }

    [Fact]
    public void EveryCmdlet_DeclaresOutputType_AndHasHelpWithSynopsisAndExample()
    {
        var r = PowerShellHost.Run("""
            Get-Command -Module EvalSig | ForEach-Object {
                $help = Get-Help $_.Name -Full
                [pscustomobject]@{
                    Name        = $_.Name
                    OutputTypes = $_.OutputType.Count
                    Synopsis    = [string]$help.Synopsis
                    Examples    = @($help.examples.example).Count
                    Parameters  = @($help.parameters.parameter).Count
                }
            }
            """);
        r.ShouldSucceed();
        Assert.NotEmpty(r.Output);
        foreach (var o in r.Output)
        {
            var name = (string)o.Properties["Name"].Value;
            Assert.True((int)o.Properties["OutputTypes"].Value > 0, $"{name} has no [OutputType]");
            var synopsis = (string)o.Properties["Synopsis"].Value;
            Assert.False(string.IsNullOrWhiteSpace(synopsis) || synopsis.StartsWith(name, StringComparison.Ordinal), $"{name} has no help synopsis: '{synopsis}'");
            Assert.True((int)o.Properties["Examples"].Value >= 1, $"{name} has no help example");
        }
    }

    [Fact]
    public void GetHelpExamples_ShowsTheMarkdownExamples()
    {
        var r = PowerShellHost.Run("(Get-Help Import-RunFrame -Examples).examples.example | ForEach-Object { $_.code }");
        r.ShouldSucceed();
        Assert.Contains(r.Output, o => o.ToString().Contains("Import-RunFrame ./runs/baseline.json", StringComparison.Ordinal));
    }

    [Fact]
    public void ModuleFolder_ShipsNativeSqliteForFivePlatforms_AndAboutHelp()
    {
        var native = Path.Combine(Paths.ModuleDirectory, "Dependencies", "runtimes");
        Assert.True(File.Exists(Path.Combine(native, "linux-x64", "native", "libe_sqlite3.so")));
        Assert.True(File.Exists(Path.Combine(native, "linux-arm64", "native", "libe_sqlite3.so")));
        Assert.True(File.Exists(Path.Combine(native, "win-x64", "native", "e_sqlite3.dll")));
        Assert.True(File.Exists(Path.Combine(native, "osx-x64", "native", "libe_sqlite3.dylib")));
        Assert.True(File.Exists(Path.Combine(native, "osx-arm64", "native", "libe_sqlite3.dylib")));
        Assert.True(File.Exists(Path.Combine(Paths.ModuleDirectory, "en-US", "about_EvalSig.help.txt")));
        Assert.False(File.Exists(Path.Combine(Paths.ModuleDirectory, "Dependencies", "System.Management.Automation.dll")), "the module must not ship PowerShell itself");
        Assert.True(File.Exists(Path.Combine(Paths.ModuleDirectory, "EvalSig.Core.dll")), "Core holds the public types: it belongs beside the cmdlets, in the default load context");
        Assert.False(File.Exists(Path.Combine(Paths.ModuleDirectory, "Dependencies", "EvalSig.Core.dll")), "a second copy of Core in Dependencies/ would make two types of each name");
        Assert.True(File.Exists(Path.Combine(Paths.ModuleDirectory, "Dependencies", "EvalSig.Bridge.dll")), "the bridge to third-party libraries belongs in Dependencies/, the module's own load context");
        foreach (var thirdParty in new[] { "Parquet.dll", "MathNet.Numerics.dll", "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll", "BouncyCastle.Cryptography.dll" })
        {
            Assert.False(File.Exists(Path.Combine(Paths.ModuleDirectory, thirdParty)), $"{thirdParty} must not sit beside the cmdlets, where the default context could load it");
            Assert.True(File.Exists(Path.Combine(Paths.ModuleDirectory, "Dependencies", thirdParty)), $"{thirdParty} belongs in Dependencies/");
        }
    }

    [Fact]
    public void ImportModule_ByNameFromPSModulePath_Works()
    {
        // Copy the built folder into a fresh PSModulePath entry, as an installing user would.
        var root = Directory.CreateTempSubdirectory("evalsig-psmodulepath-").FullName;
        try
        {
            var target = Path.Combine(root, "EvalSig", new DirectoryInfo(Paths.ModuleDirectory).Name);
            CopyDirectory(Paths.ModuleDirectory, target);
            var r = PowerShellHost.Run("""
                $env:PSModulePath = $root + [IO.Path]::PathSeparator + $env:PSModulePath
                Import-Module EvalSig -ErrorAction Stop
                (Get-Module EvalSig).ModuleBase
                """, new() { ["root"] = root }, importModule: false);
            r.ShouldSucceed();
            Assert.Equal(Path.GetFullPath(target), Path.GetFullPath(r.One().ToString()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void EveryPowerShellFileInTheRepository_Parses()
    {
        var files = Directory.EnumerateFiles(Paths.RepoRoot, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".psm1", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".psd1", StringComparison.OrdinalIgnoreCase))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}out{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("build.ps1", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("RunFrame.Tests.ps1", StringComparison.Ordinal));
        foreach (var f in files)
        {
            Parser.ParseFile(f, out _, out var errors);
            Assert.True(errors.Length == 0, $"{f}: {string.Join("; ", errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"))}");
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task DependencyIsolation_OtherVersionsLoadedFirst_ImportGateYamlParquetAndIndexStillWork()
    {
        // A fresh process, so nothing of EvalSig is loaded before the other versions. The same
        // scenario runs in real pwsh in tests/Pester/Module.Tests.ps1.
        var dir = Directory.CreateTempSubdirectory("evalsig-alc-").FullName;
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var script = Path.Combine(Paths.RepoRoot, "tests", "Pester", "Scenarios", "DependencyIsolation.ps1");
            foreach (var a in new[] { Paths.PsHostDll, script, Paths.NuGetPackageRoot, PowerShellHost.ModuleManifest, Path.Combine(Paths.RepoRoot, "tests", "data", "reference"), dir })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            var (output, errors) = (await stdout, await stderr);
            Assert.True(p.ExitCode == 0, errors + output);
            var lines = output.Split('\n', StringSplitOptions.TrimEntries);
            Assert.Contains("otherMathNet=4.15.0.0", lines);
            Assert.Contains("otherSqliteAssembly=8.0.30.0", lines);
            Assert.Contains("gateIsTyped=True", lines);
            Assert.Contains("parquetCount=13", lines);
            Assert.Contains("indexedQuery=1", lines);
            Assert.Contains("chainValid=True", lines);
            Assert.Contains("otherYamlValue=42", lines);
            Assert.Contains("yamlRelease=tiny", lines);
            Assert.Contains("otherBouncyCastle=2.4.0", lines);
            Assert.Contains("signedHeadValid=True", lines);
            Assert.Contains("otherAwsRegion=us-east-1", lines);
            Assert.Contains("azureStatus=degraded", lines);
            Assert.Contains("s3Status=degraded", lines);
            var contexts = lines.Single(l => l.StartsWith("contexts=", StringComparison.Ordinal))["contexts=".Length..].Split(',');
            Assert.Contains(contexts, c => c.StartsWith("EvalSig.Core@", StringComparison.Ordinal) && c.EndsWith(":Default", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("EvalSig.Bridge@", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains("MathNet.Numerics@4.15.0.0:Default", contexts);
            Assert.Contains(contexts, c => c.StartsWith("MathNet.Numerics@5.", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains("Microsoft.Data.Sqlite@8.0.30.0:Default", contexts);
            Assert.Contains(contexts, c => c.StartsWith("Microsoft.Data.Sqlite@9.", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("Parquet@", StringComparison.Ordinal) && c.EndsWith(":Default", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("Parquet@", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("YamlDotNet@11.", StringComparison.Ordinal) && c.EndsWith(":Default", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("YamlDotNet@16.", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("BouncyCastle.Cryptography@", StringComparison.Ordinal) && c.EndsWith(":Default", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("BouncyCastle.Cryptography@", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("EvalSig.Bridge.Cloud@", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            // AWSSDK.Core 3.7.402 (the package) carries assembly version 3.3.0.0, as every v3 release does.
            Assert.Contains(contexts, c => c.StartsWith("AWSSDK.Core@3.", StringComparison.Ordinal) && c.EndsWith(":Default", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("AWSSDK.Core@4.", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
            Assert.Contains(contexts, c => c.StartsWith("Azure.Storage.Blobs@", StringComparison.Ordinal) && c.EndsWith(":EvalSig", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
