using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>
/// The built evalsig against the real emulators (Azurite, s3rver) started by this test process:
/// --ledger and --root with az://, s3://, gs:// and r2:// locations, EVALSIG_AUDIT_BACKEND, the
/// storage exit codes 69 and 77, and no secret in any output.
/// </summary>
public sealed class CliObjectStorageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-cloud-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    private string Key => Path.Combine(_dir, "audit.key");

    /// <summary>A fresh location (unique prefix) in a container that exists, with its settings in the query.</summary>
    private static string NewLocation(StorageEmulator e, string container, string? extra = null)
    {
        ContainerMaker.Ensure(e, container);
        return e.Location(container, "t" + Guid.NewGuid().ToString("N")[..12], extra);
    }

    /// <summary>The emulator's credentials and a private cache folder: what a pipeline step would set.</summary>
    private Dictionary<string, string?> Env(StorageEmulator e, params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string?>(e.Environment.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value))) { ["EVALSIG_CACHE_DIR"] = Path.Combine(_dir, "cache") };
        foreach (var (n, v) in extra)
        {
            env[n] = v;
        }

        return env;
    }

    private void NewKey() => Assert.Equal(0, Cli.Run("audit", "key", "--output", Key).ExitCode);

    private static string Line(string stdout, string field)
        => stdout.Split('\n').Select(l => l.TrimEnd()).Single(l => l.StartsWith(field + " ", StringComparison.Ordinal))[14..].Trim();

    [Fact]
    public void Audit_OnAzurite_ByLocationAndByEnvironment_AppendQueryVerifyCheckpointStatusRepair()
    {
        NewKey();
        var e = StorageEmulator.Azurite;
        var ledger = NewLocation(e, "cli");
        var env = Env(e);

        var first = Cli.RunWith(env, "audit", "append", "--ledger", ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--project-id", "p", "--payload", "{\"score\":0.5}", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        var record = JsonDocument.Parse(first.Stdout).RootElement;
        Assert.Equal(0, record.GetProperty("chain_position").GetInt64());

        // No --ledger: EVALSIG_AUDIT_BACKEND names the location.
        var byEnv = Env(e, ("EVALSIG_AUDIT_BACKEND", ledger));
        var second = Cli.RunWith(byEnv, "audit", "append", "--key-path", Key, "--schema-key", "halluccheck.pii.v1", "--project-id", "q", "--payload", "{\"detected\":false}", "--json");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Equal(1, JsonDocument.Parse(second.Stdout).RootElement.GetProperty("chain_position").GetInt64());

        var query = Cli.RunWith(byEnv, "audit", "query", "--project-id", "p");
        Assert.Equal(0, query.ExitCode);
        Assert.Single(query.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var verify = Cli.RunWith(env, "audit", "verify", "--ledger", ledger, "--key-path", Key);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.StartsWith("VALID", verify.Stdout, StringComparison.Ordinal);

        var checkpoint = Path.Combine(_dir, "cp.json");
        Assert.Equal(0, Cli.RunWith(env, "audit", "checkpoint", "--ledger", ledger, "--key-path", Key, "--output", checkpoint).ExitCode);
        Assert.Equal(0, Cli.RunWith(env, "audit", "verify", "--ledger", ledger, "--key-path", Key, "--checkpoint", checkpoint).ExitCode);

        var status = Cli.RunWith(byEnv, "audit", "status");
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("ok", Line(status.Stdout, "Status"));
        Assert.Equal("azure-blob", Line(status.Stdout, "Backend"));
        Assert.Equal("2", Line(status.Stdout, "ChainLength"));
        Assert.Equal("cli", Line(status.Stdout, "Container"));
        Assert.Equal(e.BlobEndpoint, Line(status.Stdout, "Endpoint"));
        Assert.StartsWith("yes", Line(status.Stdout, "Conditional"), StringComparison.Ordinal);
        Assert.Equal("multiple", Line(status.Stdout, "Writers"));
        Assert.StartsWith("not enforced", Line(status.Stdout, "Retention"), StringComparison.Ordinal);
        Assert.DoesNotContain(StorageEmulator.AzuriteKey[..12], status.Stdout, StringComparison.Ordinal);

        var repair = Cli.RunWith(env, "audit", "repair", "--ledger", ledger, "--rebuild-index");
        Assert.Equal(0, repair.ExitCode);
        Assert.Contains("query cache rebuilt", repair.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Cli.RunWith(env, "audit", "query", "--ledger", ledger).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Audit_OnS3rver_MultiWriterIsRefused_SingleWriterWorks_ImmutableIsRefused()
    {
        NewKey();
        var e = StorageEmulator.S3rver;
        var env = Env(e);
        var multi = NewLocation(e, "cli");
        var refused = Cli.RunWith(env, "audit", "append", "--ledger", multi, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}");
        Assert.Equal(70, refused.ExitCode);
        Assert.Contains("error StorageUnsafe", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, refused.Stdout);
        var degraded = Cli.RunWith(env, "audit", "status", "--ledger", multi);
        Assert.Equal("degraded", Line(degraded.Stdout, "Status"));
        Assert.StartsWith("no", Line(degraded.Stdout, "Conditional"), StringComparison.Ordinal);
        Assert.Equal("0", Line(degraded.Stdout, "ChainLength"));

        var single = NewLocation(e, "cli", "writers=single");
        Assert.Equal(0, Cli.RunWith(env, "audit", "append", "--ledger", single, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}").ExitCode);
        Assert.Equal(0, Cli.RunWith(env, "audit", "verify", "--ledger", single, "--key-path", Key).ExitCode);
        var status = Cli.RunWith(env, "audit", "status", "--ledger", single);
        Assert.Equal("ok", Line(status.Stdout, "Status"));
        Assert.Equal("s3", Line(status.Stdout, "Backend"));
        Assert.Equal("single", Line(status.Stdout, "Writers"));

        var immutable = Cli.RunWith(env, "audit", "append", "--ledger", single, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}", "--immutable", "--retention-days", "7", "--retention-mode", "compliance");
        Assert.Equal(70, immutable.ExitCode);
        Assert.Contains("error StorageRetentionUnsupported", immutable.Stderr, StringComparison.Ordinal);
        Assert.Equal("1", Line(Cli.RunWith(env, "audit", "status", "--ledger", single).Stdout, "ChainLength"));
    }

    /// <summary>gs:// and r2:// are the S3 protocol at another endpoint; with ?endpoint= they reach any S3 server.</summary>
    [Theory]
    [InlineData("gs", "gcs")]
    [InlineData("r2", "r2")]
    public void GcsAndR2Locations_SpeakS3_ToTheEndpointGiven(string scheme, string backend)
    {
        NewKey();
        var e = StorageEmulator.S3rver;
        var env = Env(e);
        var ledger = scheme + NewLocation(e, "cli-" + scheme, "writers=single")[2..];
        var append = Cli.RunWith(env, "audit", "append", "--ledger", ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":0.25}", "--json");
        Assert.True(append.ExitCode == 0, append.Stderr);
        Assert.Equal(0, JsonDocument.Parse(append.Stdout).RootElement.GetProperty("chain_position").GetInt64());
        Assert.Equal(0, Cli.RunWith(env, "audit", "verify", "--ledger", ledger, "--key-path", Key).ExitCode);
        var status = Cli.RunWith(env, "audit", "status", "--ledger", ledger);
        Assert.Equal(backend, Line(status.Stdout, "Backend"));
        Assert.Equal("cli-" + scheme, Line(status.Stdout, "Container"));
        Assert.StartsWith(scheme + "://cli-" + scheme + "/t", Line(status.Stdout, "Ledger"), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableService_IsExit69_AndDegradedStatus_WithoutSecrets()
    {
        NewKey();
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }

        var ledger = $"az://nowhere/p?account=devstoreaccount1&endpoint=http%3A%2F%2F127.0.0.1%3A{port}%2Fdevstoreaccount1";
        var env = Env(StorageEmulator.Azurite);
        var append = Cli.RunWith(env, "audit", "append", "--ledger", ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}");
        Assert.Equal(69, append.ExitCode);
        Assert.Contains("error StorageUnreachable", append.Stderr, StringComparison.Ordinal);
        var status = Cli.RunWith(env, "audit", "status", "--ledger", ledger);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal("degraded", Line(status.Stdout, "Status"));
        Assert.Contains("no answer", status.Stdout, StringComparison.Ordinal);
        foreach (var text in new[] { append.Stdout, append.Stderr, status.Stdout, status.Stderr })
        {
            Assert.DoesNotContain(StorageEmulator.AzuriteKey[..12], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AWrongKey_IsExit77_AndTheKeyIsNeverPrinted()
    {
        NewKey();
        var e = StorageEmulator.Azurite;
        var ledger = NewLocation(e, "cli");
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));
        var env = Env(e, ("AZURE_STORAGE_KEY", secret));
        var append = Cli.RunWith(env, "audit", "append", "--ledger", ledger, "--key-path", Key, "--schema-key", "halluccheck.score.v1", "--payload", "{\"score\":1}");
        Assert.Equal(77, append.ExitCode);
        Assert.Contains("error StorageAccessDenied", append.Stderr, StringComparison.Ordinal);
        var status = Cli.RunWith(env, "audit", "status", "--ledger", ledger);
        Assert.Equal("degraded", Line(status.Stdout, "Status"));
        foreach (var text in new[] { append.Stdout, append.Stderr, status.Stdout, status.Stderr })
        {
            Assert.DoesNotContain(secret[..16], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Store_OnAzurite_SaveHistoryLoad()
    {
        var e = StorageEmulator.Azurite;
        var root = NewLocation(e, "cli-runs");
        var env = Env(e);
        var save = Cli.RunWith(env, "store", "save", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--root", root, "--project", "rc");
        Assert.True(save.ExitCode == 0, save.Stderr);
        Assert.Contains("saved      rc-2026-11-01-base -> az://cli-runs/", save.Stdout, StringComparison.Ordinal);
        Assert.Contains("unchanged", Cli.RunWith(env, "store", "save", Cli.Example("baseline.json"), "--root", root, "--project", "rc").Stdout, StringComparison.Ordinal);

        var history = Cli.RunWith(env, "history", "--root", root, "--project", "rc");
        Assert.Equal(0, history.ExitCode);
        var lines = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"az://cli-runs/t[0-9a-f]{12}/rc/year=\d{4}/month=\d\d/run_id=rc-2026-11-[0-9a-z-]+\.parquet", l));

        var output = Path.Combine(_dir, "back.json");
        var load = Cli.RunWith(env, "store", "load", "rc-2026-11-20-rc2", "--root", root, "--project", "rc", "--output", output);
        Assert.True(load.ExitCode == 0, load.Stderr);
        Assert.Equal(0, Cli.Run("doctor", output).ExitCode);
        var missing = Cli.RunWith(env, "store", "load", "nope", "--root", root, "--project", "rc", "--output", Path.Combine(_dir, "x.json"));
        Assert.Equal(65, missing.ExitCode);
        Assert.Contains("error RunNotFound", missing.Stderr, StringComparison.Ordinal);
    }
}
