using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace EvalSig.Cli.Tests;

/// <summary>
/// Every YAML file in the repository (and every ```yaml block of its Markdown) parses, and every
/// evalsig command line in it is accepted by the CLI's own parser: an option renamed or a command
/// removed breaks this test, not a user's pipeline. The cmdlets they name are checked by
/// tests/Pester/RepositoryYaml.Tests.ps1 (Get-Command in real pwsh).
/// </summary>
public partial class RepositoryYamlTests
{
    private static readonly string[] Skipped = { ".git", "bin", "obj", "out", "node_modules", "TestResults" };

    /// <summary>YAML documents: each file, and each ```yaml fence of each Markdown file, with where it came from.</summary>
    internal static IEnumerable<(string Where, string Text)> Documents()
    {
        foreach (var file in Files(Cli.RepoRoot).OrderBy(f => f, StringComparer.Ordinal))
        {
            var rel = Path.GetRelativePath(Cli.RepoRoot, file).Replace('\\', '/');
            if (file.EndsWith(".md", StringComparison.Ordinal))
            {
                if (rel.StartsWith("docs/cmdlets/", StringComparison.Ordinal))
                {
                    // platyPS parameter metadata ("Default value: *"), not YAML a pipeline reads.
                    continue;
                }

                var text = File.ReadAllText(file);
                foreach (Match m in YamlFence().Matches(text))
                {
                    var line = text[..m.Index].Count(ch => ch == '\n') + 2;
                    yield return ($"{rel}:{line}", m.Groups[1].Value);
                }
            }
            else
            {
                yield return (rel, File.ReadAllText(file));
            }
        }
    }

    private static IEnumerable<string> Files(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            if (f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal))
            {
                yield return f;
            }
        }

        foreach (var d in Directory.EnumerateDirectories(dir).Where(d => !Skipped.Contains(Path.GetFileName(d))))
        {
            foreach (var f in Files(d))
            {
                yield return f;
            }
        }
    }

    /// <summary>Every scalar of a YAML document (scripts are scalars).</summary>
    internal static IEnumerable<string> Scalars(YamlNode node) => node switch
    {
        YamlScalarNode s => new[] { s.Value ?? string.Empty },
        YamlSequenceNode seq => seq.Children.SelectMany(Scalars),
        YamlMappingNode map => map.Children.SelectMany(kv => Scalars(kv.Key).Concat(Scalars(kv.Value))),
        _ => Array.Empty<string>(),
    };

    public static TheoryData<string> DocumentNames()
    {
        var data = new TheoryData<string>();
        foreach (var (where, _) in Documents())
        {
            data.Add(where);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DocumentNames))]
    public void Yaml_Parses_AndEveryEvalsigCommandLineIsAcceptedByTheCliParser(string where)
    {
        var text = Documents().Single(d => d.Where == where).Text;
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var root = new Program.ParseOnly();
        foreach (var script in stream.Documents.SelectMany(d => Scalars(d.RootNode)))
        {
            foreach (var args in CommandLines(script))
            {
                var errors = root.Errors(args);
                Assert.True(errors.Count == 0, $"{where}: 'evalsig {string.Join(' ', args)}': {string.Join("; ", errors)}");
            }
        }
    }

    [Theory]
    [InlineData("integrations/azure-pipelines/azure-pipelines.example.yml", "gate")]
    [InlineData("integrations/github-action/example-workflow.yml", "gate")]
    public void ShippedExamples_UseTheCli(string file, string command)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Cli.RepoRoot, file))));
        var lines = stream.Documents.SelectMany(d => Scalars(d.RootNode)).SelectMany(CommandLines).ToList();
        Assert.Contains(lines, l => l.Length > 0 && l[0] == command);
    }

    [Theory]
    [InlineData("evalsig gate a.json b.json --min-delta 0.005 || status=$?", "gate a.json b.json --min-delta 0.005")]
    [InlineData("status=0\n\"$RUNNER_TEMP/evalsig/evalsig\" gate a b --output gate.json --junit x.xml || status=$?", "gate a b --output gate.json --junit x.xml")]
    [InlineData("dotnet tool install EvalSig.Cli --tool-path \"$RUNNER_TEMP/evalsig\" --add-source m", null)]
    [InlineData("evalsig audit verify \\\n  --ledger \"$LEDGER\" --key-path k # verify", "audit verify --ledger 1 --key-path k")]
    [InlineData("dotnet run --project src/EvalSig.Cli -- gate a b --min-delta ${{ inputs.min-delta }}", "gate a b --min-delta 1")]
    [InlineData("if evalsig doctor a.json; then echo ok; fi", "doctor a.json")]
    public void CommandLines_AreFoundAtCommandPosition(string script, string? expected)
    {
        var found = CommandLines(script).Select(a => string.Join(' ', a)).ToList();
        Assert.Equal(expected is null ? Array.Empty<string>() : new[] { expected }, found);
    }

    [Fact]
    public void Parser_RejectsWhatTheCliRejects()
    {
        var parser = new Program.ParseOnly();
        Assert.NotEmpty(parser.Errors(new[] { "gate", "a", "b", "--min-detla", "0.1" }));
        Assert.NotEmpty(parser.Errors(new[] { "gates", "a", "b" }));
        Assert.Empty(parser.Errors(new[] { "gate", "--manifest", "g.json", "--release-decision", "any-improves", "--correction", "holm", "--junit", "j.xml", "--ci", "azure-devops", "--inconclusive-as", "succeeded" }));
    }

    /// <summary>
    /// The evalsig command lines of a bash or pwsh script: words at command position whose last path
    /// segment is evalsig (or dotnet run --project ...EvalSig.Cli --), with their arguments up to an
    /// operator or comment. Unexpanded variables become "1", which every option type accepts, so the
    /// parser judges the command and option names, not the values a pipeline fills in.
    /// </summary>
    internal static IEnumerable<string[]> CommandLines(string script)
    {
        var joined = Regex.Replace(script, "(\\\\|`)\r?\n", " ");
        foreach (var line in joined.Split('\n'))
        {
            var tokens = Tokenize(line);
            var atCommand = true;
            for (var i = 0; i < tokens.Count; i++)
            {
                var (text, op) = tokens[i];
                if (op)
                {
                    atCommand = text != ">" && text != "2>";
                    continue;
                }

                if (!atCommand)
                {
                    continue;
                }

                if (text is "if" or "then" or "else" or "do" or "!" or "time" or "&" || Regex.IsMatch(text, "^[A-Za-z_][A-Za-z0-9_]*=\\S*$"))
                {
                    continue;
                }

                atCommand = false;
                var start = -1;
                if (Unquote(text).Split('/').Last() == "evalsig")
                {
                    start = i + 1;
                }
                else if (text == "dotnet" && i + 3 < tokens.Count && tokens[i + 1].Text == "run")
                {
                    var dash = tokens.FindIndex(i, t => t.Text == "--" && !t.Op);
                    if (dash > 0 && tokens.Skip(i).Take(dash - i).Any(t => t.Text.Contains("EvalSig.Cli", StringComparison.Ordinal)))
                    {
                        start = dash + 1;
                    }
                }

                if (start < 0 || start >= tokens.Count || tokens[start].Op)
                {
                    // Not evalsig, or evalsig without arguments (a name such as a step called evalsig, not a command).
                    continue;
                }

                var args = new List<string>();
                for (var j = start; j < tokens.Count && !tokens[j].Op; j++)
                {
                    var a = Unquote(tokens[j].Text);
                    args.Add(a.Contains('$', StringComparison.Ordinal) ? "1" : a);
                }

                yield return args.ToArray();
            }
        }
    }

    private static string Unquote(string s) => s.Replace("\"", string.Empty, StringComparison.Ordinal).Replace("'", string.Empty, StringComparison.Ordinal);

    /// <summary>Words (quotes kept, ${{ }} and $( ) whole) and operators; a # starting a word ends the line.</summary>
    private static List<(string Text, bool Op)> Tokenize(string line)
    {
        var tokens = new List<(string, bool)>();
        var word = new StringBuilder();
        void Flush()
        {
            if (word.Length > 0)
            {
                tokens.Add((word.ToString(), false));
                word.Clear();
            }
        }

        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (ch is '"' or '\'')
            {
                var end = line.IndexOf(ch, i + 1);
                end = end < 0 ? line.Length - 1 : end;
                word.Append(line, i, end - i + 1);
                i = end;
            }
            else if (ch == '$' && i + 1 < line.Length && (line[i + 1] == '(' || (line[i + 1] == '{' && i + 2 < line.Length && line[i + 2] == '{')))
            {
                var close = line[i + 1] == '(' ? ")" : "}}";
                var end = line.IndexOf(close, i + 2, StringComparison.Ordinal);
                end = end < 0 ? line.Length - 1 : end + close.Length - 1;
                word.Append(line, i, end - i + 1);
                i = end;
            }
            else if (char.IsWhiteSpace(ch))
            {
                Flush();
            }
            else if (ch == '#' && word.Length == 0)
            {
                break;
            }
            else if (ch is ';' or '|' or '&' or '(' or ')' or '<' or '>')
            {
                var op = ch.ToString();
                if (i + 1 < line.Length && (line[i + 1] == ch || (ch == '>' && line[i + 1] == '&')))
                {
                    op += line[i + 1];
                    i++;
                }

                if (op == ">" && word.ToString() == "2")
                {
                    word.Clear();
                    op = "2>";
                }

                Flush();
                tokens.Add((op, true));
            }
            else
            {
                word.Append(ch);
            }
        }

        Flush();
        return tokens;
    }

    [GeneratedRegex("(?ms)^```ya?ml[ \\t]*\\r?\\n(.*?)^```")]
    private static partial Regex YamlFence();
}
