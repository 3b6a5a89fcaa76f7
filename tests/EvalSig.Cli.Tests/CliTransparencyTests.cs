using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>
/// The outside auditor, process by process: the writer signs two tree heads of a large ledger with
/// the real evalsig; the auditor, holding only the public key and the two heads (and a copy of the
/// ledger), finds truncation, rewrite and fork, and verifies a filtered export on its own. The
/// ledger has EVALSIG_AUDITOR_RECORDS records (default 10,000 here; the documented long run sets
/// 1,000,000: the same code path, only bigger).
/// </summary>
public class CliTransparencyTests : IDisposable
{
    private static readonly int Records = int.TryParse(Environment.GetEnvironmentVariable("EVALSIG_AUDITOR_RECORDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 100 ? n : 10_000;

    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-tlog-").FullName;

    public CliTransparencyTests()
    {
        Assert.Equal(0, Cli.Run("audit", "key", "--output", Hmac).ExitCode);
        var key = Cli.Run("audit", "key", "--type", "ed25519", "--name", "example.com/release-audit", "--output", Signing);
        Assert.Equal(0, key.ExitCode);
        Assert.Contains("public key (give it to auditors) -> " + Signing + ".pub", key.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(Signing).Trim(), key.Stdout, StringComparison.Ordinal);

        // The writer: most of the records, a signed head, the rest, a second signed head.
        var old = Records * 4 / 5;
        Append("halluccheck.score.v1", "checkout", old, i => $"{{\"score\":{i % 100}.5,\"run\":\"r{i}\"}}");
        Assert.Equal(0, Sign(OldHead).ExitCode);
        Append("halluccheck.pii.v1", "payments", Records - old, i => "{\"detected\":false}");
        var signed = Sign(NewHead);
        Assert.Equal(0, signed.ExitCode);
        Assert.Contains($"signed tree head: {Records} records", signed.Stdout, StringComparison.Ordinal);
    }

    private string Ledger => Path.Combine(_dir, "ledger");

    private string LedgerFile => Path.Combine(Ledger, "ledger.jsonl");

    private string Hmac => Path.Combine(_dir, "audit.key");

    private string Signing => Path.Combine(_dir, "log.key");

    private string Public => Signing + ".pub";

    private string OldHead => Path.Combine(_dir, "old.note");

    private string NewHead => Path.Combine(_dir, "new.note");

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Auditor_WithThePublicKeyAndTwoHeads_VerifiesTheUntouchedLedger()
    {
        var v = Verify("--json");
        Assert.Equal(0, v.ExitCode);
        var json = JsonDocument.Parse(v.Stdout).RootElement;
        Assert.True(json.GetProperty("valid").GetBoolean(), v.Stdout);
        Assert.True(json.GetProperty("consistent").GetBoolean());
        Assert.Equal(Records, json.GetProperty("ledger_record_count").GetInt64());
        Assert.Equal(2, json.GetProperty("heads_verified").GetInt32());
    }

    [Fact]
    public void Auditor_FindsATruncatedLedger()
    {
        Truncate(Records - 7);
        var v = Verify();
        Assert.Equal(1, v.ExitCode);
        Assert.Contains("findings: Truncated", v.Stdout, StringComparison.Ordinal);
        Assert.Contains($"the ledger holds {Records - 7} records but a signed head covers {Records}", v.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Auditor_FindsARewrittenRecord()
    {
        var lines = File.ReadAllLines(LedgerFile);
        var at = Records / 3;
        lines[at] = lines[at].Replace("\"checkout\"", "\"checkouT\"", StringComparison.Ordinal);
        File.WriteAllText(LedgerFile, string.Join("\n", lines) + "\n");
        var v = Verify();
        Assert.Equal(1, v.ExitCode);
        Assert.Contains("findings: Rewritten", v.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Auditor_FindsAFork_AHistoryRewrittenByTheKeyHoldersAndSignedAgain()
    {
        // Everything from record k on is replaced: re-MAC'd with the HMAC key, tree rebuilt, head re-signed.
        var k = Records / 2;
        Truncate(k);
        File.Delete(Path.Combine(Ledger, "merkle.tree"));
        Append("halluccheck.score.v1", "checkout", Records - k, i => $"{{\"score\":0.0,\"run\":\"forged{i}\"}}");
        var forged = Path.Combine(_dir, "forged.note");
        Assert.Equal(0, Sign(forged).ExitCode);

        var v = Cli.Run("audit", "verify", "--public-key", Public, "--checkpoint", OldHead, forged, "--ledger", Ledger, "--json");
        Assert.Equal(1, v.ExitCode);
        var findings = JsonDocument.Parse(v.Stdout).RootElement.GetProperty("findings").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("Forked", findings);
        Assert.Contains("Rewritten", findings);

        // Without the ledger: the log's own consistency proof between the heads fails.
        var proof = Path.Combine(_dir, "old-forged.json");
        Assert.Equal(0, Cli.Run("audit", "prove", "consistency", "--ledger", Ledger, "--from", (Records * 4 / 5).ToString(CultureInfo.InvariantCulture), "--to", Records.ToString(CultureInfo.InvariantCulture), "--output", proof).ExitCode);
        var w = Cli.Run("audit", "verify", "--public-key", Public, "--checkpoint", OldHead, forged, "--consistency-proof", proof);
        Assert.Equal(1, w.ExitCode);
        Assert.Contains("findings: Forked", w.Stdout, StringComparison.Ordinal);
        Assert.Equal(65, Cli.Run("audit", "prove", "consistency", "--ledger", Ledger, "--checkpoint", OldHead, forged).ExitCode);
    }

    [Fact]
    public void Auditor_FindsAHeadNotSignedByTheLog()
    {
        var altered = Path.Combine(_dir, "altered.note");
        File.WriteAllText(altered, File.ReadAllText(NewHead).Replace($"\n{Records}\n", $"\n{Records + 1}\n", StringComparison.Ordinal));
        var v = Cli.Run("audit", "verify", "--public-key", Public, "--checkpoint", OldHead, altered, "--ledger", Ledger);
        Assert.Equal(1, v.ExitCode);
        Assert.Contains("findings: SignatureInvalid", v.Stdout, StringComparison.Ordinal);
        Assert.Equal(65, Cli.Run("audit", "verify", "--public-key", Public, "--checkpoint", Path.Combine(_dir, "audit.key")).ExitCode);
    }

    [Fact]
    public void FilteredExport_WithProofs_VerifiesAlone_AndAnEditedRecordFails()
    {
        var export = Path.Combine(_dir, "payments.jsonl.gz");
        var e = Cli.Run("audit", "export", "--ledger", Ledger, "--project-id", "payments", "--with-proofs", "--checkpoint", NewHead, "--compress", "--output", export);
        Assert.Equal(0, e.ExitCode);
        Assert.Contains($"{Records - (Records * 4 / 5)} records with inclusion proofs", e.Stdout, StringComparison.Ordinal);

        // The auditor gets the file and the public key, nothing else.
        Directory.Delete(Ledger, true);
        var v = Cli.Run("audit", "verify", "--public-key", Public, "--path", export, "--json");
        Assert.Equal(0, v.ExitCode);
        Assert.Equal(Records - (Records * 4 / 5), JsonDocument.Parse(v.Stdout).RootElement.GetProperty("included_count").GetInt64());

        var plain = Path.Combine(_dir, "payments.jsonl");
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(export), System.IO.Compression.CompressionMode.Decompress))
        using (var text = new StreamReader(gz))
        {
            File.WriteAllText(plain, text.ReadToEnd().Replace("\"detected\":false", "\"detected\":true", StringComparison.Ordinal));
        }

        var edited = Cli.Run("audit", "verify", "--public-key", Public, "--path", plain);
        Assert.Equal(1, edited.ExitCode);
        Assert.Contains("findings: NotIncluded", edited.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Prove_Inclusion_PrintsATlogProof_AndRepairChecksTheTree()
    {
        var p = Cli.Run("audit", "prove", "inclusion", "--ledger", Ledger, "--position", "3", "--checkpoint", NewHead, "--tlog-proof");
        Assert.Equal(0, p.ExitCode);
        Assert.StartsWith("c2sp.org/tlog-proof@v1\nindex 3\n", p.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(File.ReadAllText(NewHead), p.Stdout, StringComparison.Ordinal);
        var j = Cli.Run("audit", "prove", "inclusion", "--ledger", Ledger, "--position", "3");
        Assert.Equal(Records, JsonDocument.Parse(j.Stdout).RootElement.GetProperty("tree_size").GetInt64());
        Assert.Equal(64, Cli.Run("audit", "prove", "inclusion", "--ledger", Ledger, "--position", Records.ToString(CultureInfo.InvariantCulture)).ExitCode);

        var tree = Path.Combine(Ledger, "merkle.tree");
        var bytes = File.ReadAllBytes(tree);
        bytes[64] ^= 0x80; // leaf 1, the first hash of leaf 0's proof
        File.WriteAllBytes(tree, bytes);
        Assert.Equal(65, Cli.Run("audit", "prove", "inclusion", "--ledger", Ledger, "--position", "0", "--checkpoint", NewHead).ExitCode);
        var dry = Cli.Run("audit", "repair", "--ledger", Ledger, "--dry-run");
        Assert.Contains("would be rebuilt", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains("rebuilt", Cli.Run("audit", "repair", "--ledger", Ledger).Stdout, StringComparison.Ordinal);
        Assert.Contains("matches the ledger", Cli.Run("audit", "repair", "--ledger", Ledger).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Cli.Run("audit", "prove", "inclusion", "--ledger", Ledger, "--position", "0", "--checkpoint", NewHead).ExitCode);
    }

    private CliResult Verify(params string[] extra)
        => Cli.Run(new[] { "audit", "verify", "--public-key", Public, "--checkpoint", OldHead, NewHead, "--ledger", Ledger }.Concat(extra).ToArray());

    private CliResult Sign(string output) => Cli.Run("audit", "checkpoint", "--ledger", Ledger, "--key-path", Hmac, "--signing-key", Signing, "--output", output);

    private void Truncate(int records)
    {
        using var r = new StreamReader(LedgerFile);
        long offset = 0;
        for (var i = 0; i < records; i++)
        {
            offset += Encoding.UTF8.GetByteCount(r.ReadLine()!) + 1;
        }

        r.Close();
        using var fs = new FileStream(LedgerFile, FileMode.Open);
        fs.SetLength(offset);
    }

    /// <summary>One `evalsig audit append` batch, its payloads on standard input (one JSON object a line).</summary>
    private void Append(string schema, string project, int count, Func<int, string> payload)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { CliDll, "audit", "append", "--ledger", Ledger, "--key-path", Hmac, "--schema-key", schema, "--project-id", project })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        for (var i = 0; i < count; i++)
        {
            p.StandardInput.WriteLine(payload(i));
        }

        p.StandardInput.Close();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(10)), "append did not finish");
        Assert.True(p.ExitCode == 0, stderr.Result);
        _ = stdout.Result;
    }

    private static string CliDll => typeof(Cli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliDll").Value!;
}
