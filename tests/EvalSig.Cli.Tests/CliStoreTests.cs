using System;
using System.IO;
using Xunit;

namespace EvalSig.Cli.Tests;

public class CliStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-cli-store-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void StoreSave_History_WithTheParquetPath_AndLoad()
    {
        var root = Path.Combine(_dir, "store");
        var save = Cli.Run("store", "save", Cli.Example("baseline.json"), Cli.Example("candidate.json"), "--root", root, "--project", "rc");
        Assert.Equal(0, save.ExitCode);
        Assert.Contains("saved      rc-2026-11-01-base -> ", save.Stdout, StringComparison.Ordinal);
        Assert.Contains("unchanged", Cli.Run("store", "save", Cli.Example("baseline.json"), "--root", root, "--project", "rc").Stdout, StringComparison.Ordinal);

        var history = Cli.Run("history", "--root", root, "--project", "rc");
        Assert.Equal(0, history.ExitCode);
        var lines = history.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"\.parquet$", l.TrimEnd()));
        var path = lines[0].TrimEnd()[(lines[0].LastIndexOf("  ", StringComparison.Ordinal) + 2)..];
        Assert.True(File.Exists(path), path);

        var output = Path.Combine(_dir, "back.json");
        var load = Cli.Run("store", "load", "rc-2026-11-20-rc2", "--root", root, "--project", "rc", "--output", output);
        Assert.Equal(0, load.ExitCode);
        Assert.Equal(0, Cli.Run("doctor", output).ExitCode);
    }

    [Theory]
    [InlineData(64, "RunAlreadyExists", "store", "save", "{other}", "--root", "{root}", "--project", "rc")]
    [InlineData(64, "InvalidIdentifier", "store", "save", "{base}", "--root", "{root}", "--project", "../x")]
    [InlineData(65, "RunNotFound", "history", "--root", "{root}", "--project", "nope")]
    [InlineData(65, "RunNotFound", "store", "load", "missing", "--root", "{root}", "--project", "rc", "--output", "{out}")]
    [InlineData(64, "UsageError", "history", "--root", "{root}")]
    public void Store_Errors_HaveStableIdsAndExitCodes(int exit, string id, params string[] args)
    {
        var root = Path.Combine(_dir, "store");
        Assert.Equal(0, Cli.Run("store", "save", Cli.Example("baseline.json"), "--root", root, "--project", "rc").ExitCode);
        var other = Path.Combine(_dir, "other.csv");
        File.WriteAllText(other, "run_id,model_id,task_id,metric_name,item_id,score\nrc-2026-11-01-base,m,t,acc,x,1\n");
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = args[i].Replace("{root}", root, StringComparison.Ordinal).Replace("{other}", other, StringComparison.Ordinal).Replace("{base}", Cli.Example("baseline.json"), StringComparison.Ordinal).Replace("{out}", Path.Combine(_dir, "o.json"), StringComparison.Ordinal);
        }

        var r = Cli.Run(args);
        Assert.Equal(exit, r.ExitCode);
        Assert.Contains("error " + id, r.Stderr, StringComparison.Ordinal);
    }
}
