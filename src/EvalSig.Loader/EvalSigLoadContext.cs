using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace EvalSig.Loading;

/// <summary>
/// The module's own AssemblyLoadContext. EvalSig.Bridge and every third-party library behind it
/// (Parquet.Net, MathNet.Numerics, Microsoft.Data.Sqlite and SQLitePCLRaw, ...) live in
/// <c>Dependencies/</c> and are loaded here, so another module that loaded other versions of the
/// same libraries into the default context cannot break EvalSig, nor EvalSig break it. Everything
/// else - the framework, PowerShell and EvalSig.Core, whose types the bridge's signatures use -
/// comes from the default context.
/// </summary>
internal sealed class EvalSigLoadContext : AssemblyLoadContext
{
    private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(EvalSigLoadContext).Assembly.Location)!;

    private EvalSigLoadContext()
        : base("EvalSig", isCollectible: false)
    {
    }

    public static string DependencyDirectory { get; } = Path.Combine(ModuleDirectory, "Dependencies");

    public static EvalSigLoadContext Instance { get; } = new();

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var candidate = Path.Combine(DependencyDirectory, assemblyName.Name + ".dll");

        // Anything not shipped in Dependencies/ (the framework itself) comes from the default context.
        return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = NativeLibraryPath(unmanagedDllName);
        return path is not null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }

    /// <summary>The shipped native library for this OS and CPU (e_sqlite3 for SQLite), if any.</summary>
    internal static string? NativeLibraryPath(string name)
    {
        string os, prefix, suffix;
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            (os, prefix, suffix) = ("win", string.Empty, ".dll");
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            (os, prefix, suffix) = ("osx", "lib", ".dylib");
        }
        else
        {
            (os, prefix, suffix) = ("linux", "lib", ".so");
        }

        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.Arm => "arm",
            _ => RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
        };
        var dir = Path.Combine(DependencyDirectory, "runtimes", os + "-" + arch, "native");
        foreach (var file in new[] { name, prefix + name + suffix, name + suffix })
        {
            var path = Path.Combine(dir, file);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
