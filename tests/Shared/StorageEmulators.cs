using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace EvalSig.Testing;

/// <summary>
/// A real storage emulator in a child process: Azurite (Azure Blob) or s3rver (S3), from the npm
/// packages pinned in tests/emulators/package-lock.json (installed there with `npm ci` on first use),
/// on a free loopback port with its data in a temporary folder; stopped and deleted on Dispose.
/// One of each per test process (<see cref="Azurite"/>, <see cref="S3rver"/>), stopped at exit.
/// </summary>
public sealed class StorageEmulator : IDisposable
{
    /// <summary>Azurite's published development account and key (not a secret).</summary>
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>s3rver's fixed credentials (not a secret).</summary>
    public const string S3rverKey = "S3RVER";

    private static readonly Lazy<StorageEmulator> AzuriteInstance = new(() => Start("azurite"), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<StorageEmulator> S3rverInstance = new(() => Start("s3rver"), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Process _process;

    private StorageEmulator(string kind, Process process, int port, string dataDirectory, string version)
    {
        Kind = kind;
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
        Version = version;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public static StorageEmulator Azurite => AzuriteInstance.Value;

    public static StorageEmulator S3rver => S3rverInstance.Value;

    public string Kind { get; }

    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>The emulator's package version (from its package.json).</summary>
    public string Version { get; }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EvalSig.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("EvalSig.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string EmulatorDirectory => Path.Combine(RepoRoot, "tests", "emulators");

    /// <summary>Azure: the blob endpoint (path style, account in the path).</summary>
    public string BlobEndpoint => $"http://127.0.0.1:{Port}/{AzuriteAccount}";

    /// <summary>S3: the endpoint.</summary>
    public string S3Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>A ledger or store location in this emulator, settings in the query (no credentials).</summary>
    public string Location(string container, string prefix, string? extra = null)
        => Kind == "azurite"
            ? $"az://{container}/{prefix}?account={AzuriteAccount}&endpoint={Uri.EscapeDataString(BlobEndpoint)}{(extra is null ? string.Empty : "&" + extra)}"
            : $"s3://{container}/{prefix}?endpoint={Uri.EscapeDataString(S3Endpoint)}&region=us-east-1{(extra is null ? string.Empty : "&" + extra)}";

    /// <summary>The credentials a process needs for this emulator, the standard way (environment).</summary>
    public IReadOnlyDictionary<string, string> Environment => Kind == "azurite"
        ? new Dictionary<string, string> { ["AZURE_STORAGE_ACCOUNT"] = AzuriteAccount, ["AZURE_STORAGE_KEY"] = AzuriteKey }
        : new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = S3rverKey, ["AWS_SECRET_ACCESS_KEY"] = S3rverKey };

    /// <summary>Sets this emulator's credentials in the current process's environment.</summary>
    public void UseCredentials()
    {
        foreach (var (k, v) in Environment)
        {
            System.Environment.SetEnvironmentVariable(k, v);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                // One SIGKILL: the emulator is this one node process (run.js runs it in-process). Not
                // Kill(entireProcessTree): on Unix that first SIGSTOPs the process, then lists its
                // children, then kills - and a test host torn down in between (vstest ends it at exit)
                // leaves the emulator stopped, where not even run.js's watchdog can end it.
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        try
        {
            Directory.Delete(DataDirectory, true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs `npm ci` in tests/emulators once (under a file lock shared by test processes) when the packages are missing.</summary>
    public static void EnsureInstalled()
    {
        var dir = EmulatorDirectory;
        bool Installed() => File.Exists(Path.Combine(dir, "node_modules", "azurite", "package.json")) && File.Exists(Path.Combine(dir, "node_modules", "s3rver", "package.json"));
        if (Installed())
        {
            return;
        }

        using var gate = Lock(Path.Combine(Path.GetTempPath(), "evalsig-emulators-npm.lock"));
        if (Installed())
        {
            return;
        }

        var psi = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "ci", "--no-audit", "--no-fund" })
        {
            psi.ArgumentList.Add(a);
        }

        using var npm = Process.Start(psi) ?? throw new InvalidOperationException("npm could not be started");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(TimeSpan.FromMinutes(10)) || npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {dir} failed:\n{output.Result}\n{errors.Result}");
        }
    }

    private static StorageEmulator Start(string kind)
    {
        EnsureInstalled();
        var modules = Path.Combine(EmulatorDirectory, "node_modules");
        var data = Directory.CreateTempSubdirectory("evalsig-" + kind + "-").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            psi.Environment["EVALSIG_EMULATOR_DATA"] = data;
            // run.js watches this process and exits with it, so no emulator outlives its tests.
            var watchdog = new[] { Path.Combine(EmulatorDirectory, "run.js"), System.Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), kind };
            string[] args = kind == "azurite"
                ? new[] { "--blobHost", "127.0.0.1", "--blobPort", PortText(port), "--location", data, "--skipApiVersionCheck", "--disableTelemetry", "--silent" }
                : new[] { "--address", "127.0.0.1", "--port", PortText(port), "--directory", data, "--silent" };
            foreach (var a in watchdog)
            {
                psi.ArgumentList.Add(a);
            }

            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            var process = Process.Start(psi) ?? throw new InvalidOperationException("node could not be started");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (WaitForPort(port, process, TimeSpan.FromSeconds(60)))
            {
                var package = File.ReadAllText(Path.Combine(modules, kind, "package.json"));
                var version = System.Text.Json.JsonDocument.Parse(package).RootElement.GetProperty("version").GetString()!;
                return new StorageEmulator(kind, process, port, data, version);
            }

            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }

            if (attempt >= 2)
            {
                throw new InvalidOperationException($"{kind} did not start listening on 127.0.0.1 (three tries)");
            }
        }
    }

    private static string PortText(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool WaitForPort(int port, Process process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        return false;
    }

    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(12);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
