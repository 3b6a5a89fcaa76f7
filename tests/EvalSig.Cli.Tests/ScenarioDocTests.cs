using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace EvalSig.Cli.Tests;

/// <summary>
/// The scenario docs show real output: every block after a marker
/// <c>&lt;!-- real output: VAR=value ... evalsig ARGS --&gt;</c> (or <c>real GITHUB_OUTPUT:</c>) is what
/// that command prints from the repository root with those variables (stdout from the verdict line
/// on; or the GITHUB_OUTPUT file). Only a random folder name in the summary path may differ.
/// </summary>
public sealed partial class ScenarioDocTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("evalsig-doc-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var doc in new[] { "docs/scenarios/azure-devops-gate.md", "docs/scenarios/github-actions.md" })
        {
            var count = Marker().Count(File.ReadAllText(Path.Combine(Cli.RepoRoot, doc)));
            Assert.True(count > 0, $"{doc} shows no real output");
            for (var i = 0; i < count; i++)
            {
                data.Add(doc, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void ScenarioDoc_ShowsTheRealOutput(string doc, int index)
    {
        var m = Marker().Matches(File.ReadAllText(Path.Combine(Cli.RepoRoot, doc)))[index];
        var kind = m.Groups["kind"].Value;
        var words = m.Groups["command"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var env = new Dictionary<string, string?>();
        var i = 0;
        for (; i < words.Length && words[i].Contains('=', StringComparison.Ordinal); i++)
        {
            var kv = words[i].Split('=', 2);
            env[kv[0]] = kv[1];
        }

        Assert.Equal("evalsig", words[i]);
        if (env.ContainsKey("AGENT_TEMPDIRECTORY"))
        {
            env["AGENT_TEMPDIRECTORY"] = _dir;
        }

        var output = Path.Combine(_dir, "github_output");
        if (env.ContainsKey("GITHUB_ACTIONS"))
        {
            env["GITHUB_OUTPUT"] = output;
            env["GITHUB_STEP_SUMMARY"] = Path.Combine(_dir, "step_summary.md");
        }

        var run = Cli.RunIn(Cli.RepoRoot, env, words[(i + 1)..]);
        Assert.Empty(run.Stderr);
        string actual;
        if (kind == "output")
        {
            var lines = run.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
            actual = string.Join('\n', lines.SkipWhile(l => !l.StartsWith("EvalSig gate:", StringComparison.Ordinal)));
        }
        else
        {
            actual = File.ReadAllText(output).TrimEnd('\n');
        }

        var shown = m.Groups["block"].Value.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
        Assert.Equal(SummaryFolder().Replace(shown, "evalsig-X/"), SummaryFolder().Replace(actual.Replace(_dir, "/home/vsts/work/_temp", StringComparison.Ordinal), "evalsig-X/"));
    }

    [GeneratedRegex("<!-- real (?<kind>output|GITHUB_OUTPUT): (?<command>[^>]*?) -->\\s*\\n```text\\n(?<block>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Marker();

    [GeneratedRegex("evalsig-[0-9a-f]{12}/")]
    private static partial Regex SummaryFolder();
}
