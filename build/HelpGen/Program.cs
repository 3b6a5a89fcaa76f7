using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;

namespace EvalSig.Build.HelpGen;

/// <summary>
/// platyPS-style markdown (one file per cmdlet) to MAML. Fails when a cmdlet page lacks a
/// synopsis or an example, so help can never ship empty.
/// </summary>
internal static class Program
{
    private const string Maml = "http://schemas.microsoft.com/maml/2004/10";
    private const string Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private const string Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: HelpGen <docs/cmdlets directory> <output MAML file>");
            return 64;
        }

        var pages = Directory.GetFiles(args[0], "*-*.md").OrderBy(p => p, StringComparer.Ordinal).Select(CmdletPage.Parse).ToList();
        var errors = pages.SelectMany(p => p.Problems().Select(x => $"{p.File}: {x}")).ToList();
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                Console.Error.WriteLine("error EVALSIG002: " + e);
            }

            return 65;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using (var w = XmlWriter.Create(args[1], settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("helpItems", "http://msh");
            w.WriteAttributeString("schema", "maml");
            foreach (var page in pages)
            {
                WriteCommand(w, page);
            }

            w.WriteEndElement();
        }

        Console.WriteLine($"HelpGen: {pages.Count} cmdlet pages -> {args[1]}");
        return 0;
    }

    private static void WriteCommand(XmlWriter w, CmdletPage p)
    {
        w.WriteStartElement("command", "command", Command);
        w.WriteAttributeString("xmlns", "maml", null, Maml);
        w.WriteAttributeString("xmlns", "dev", null, Dev);
        w.WriteStartElement("command", "details", Command);
        w.WriteElementString("command", "name", Command, p.Name);
        w.WriteElementString("command", "verb", Command, p.Name.Split('-')[0]);
        w.WriteElementString("command", "noun", Command, p.Name.Split('-', 2)[1]);
        Paras(w, p.Synopsis);
        w.WriteEndElement();
        Paras(w, p.Description);

        w.WriteStartElement("command", "syntax", Command);
        foreach (var set in p.ParameterSets())
        {
            w.WriteStartElement("command", "syntaxItem", Command);
            w.WriteElementString("maml", "name", Maml, p.Name);
            foreach (var param in p.Parameters.Where(x => x.InSet(set)))
            {
                WriteParameter(w, param, set);
            }

            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", Command);
        foreach (var param in p.Parameters)
        {
            WriteParameter(w, param, null);
        }

        w.WriteEndElement();

        TypeList(w, "inputTypes", "inputType", p.Inputs);
        TypeList(w, "returnValues", "returnValue", p.Outputs);

        if (p.Notes.Length > 0)
        {
            w.WriteStartElement("maml", "alertSet", Maml);
            w.WriteStartElement("maml", "alert", Maml);
            foreach (var para in Split(p.Notes))
            {
                w.WriteElementString("maml", "para", Maml, para);
            }

            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteStartElement("command", "examples", Command);
        foreach (var ex in p.Examples)
        {
            w.WriteStartElement("command", "example", Command);
            w.WriteElementString("maml", "title", Maml, $"-------------------------- {ex.Title} --------------------------");
            w.WriteElementString("dev", "code", Dev, ex.Code);
            w.WriteStartElement("dev", "remarks", Dev);
            foreach (var para in Split(ex.Remarks))
            {
                w.WriteElementString("maml", "para", Maml, para);
            }

            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteEndElement();

        w.WriteStartElement("command", "relatedLinks", Command);
        foreach (var link in p.Links)
        {
            w.WriteStartElement("maml", "navigationLink", Maml);
            w.WriteElementString("maml", "linkText", Maml, link);
            w.WriteElementString("maml", "uri", Maml, string.Empty);
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void WriteParameter(XmlWriter w, ParameterDoc param, string? set)
    {
        var isSwitch = param.Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";
        w.WriteStartElement("command", "parameter", Command);
        w.WriteAttributeString("required", param.Required(set) ? "true" : "false");
        w.WriteAttributeString("variableLength", param.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false");
        w.WriteAttributeString("globbing", param.Get("Accept wildcard characters", "False").Equals("True", StringComparison.OrdinalIgnoreCase) ? "true" : "false");
        w.WriteAttributeString("pipelineInput", param.Get("Accept pipeline input", "False"));
        w.WriteAttributeString("position", param.Position(set));
        w.WriteAttributeString("aliases", param.Get("Aliases", "none") is { Length: > 0 } a ? a : "none");
        w.WriteElementString("maml", "name", Maml, param.Name);
        Paras(w, param.Description);
        if (!isSwitch)
        {
            w.WriteStartElement("command", "parameterValue", Command);
            w.WriteAttributeString("required", "true");
            w.WriteAttributeString("variableLength", "false");
            w.WriteString(param.Type);
            w.WriteEndElement();
        }

        w.WriteStartElement("dev", "type", Dev);
        w.WriteElementString("maml", "name", Maml, param.Type);
        w.WriteElementString("maml", "uri", Maml, string.Empty);
        w.WriteEndElement();
        w.WriteElementString("dev", "defaultValue", Dev, param.Get("Default value", "None"));
        w.WriteEndElement();
    }

    private static void TypeList(XmlWriter w, string outer, string inner, IEnumerable<(string Type, string Text)> types)
    {
        w.WriteStartElement("command", outer, Command);
        foreach (var (type, text) in types)
        {
            w.WriteStartElement("command", inner, Command);
            w.WriteStartElement("dev", "type", Dev);
            w.WriteElementString("maml", "name", Maml, type);
            w.WriteEndElement();
            Paras(w, text);
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void Paras(XmlWriter w, string text)
    {
        w.WriteStartElement("maml", "description", Maml);
        foreach (var para in Split(text))
        {
            w.WriteElementString("maml", "para", Maml, para);
        }

        w.WriteEndElement();
    }

    private static IEnumerable<string> Split(string text)
        => text.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => string.Join(" ", p.Split('\n', StringSplitOptions.TrimEntries)));
}

internal sealed record ExampleDoc(string Title, string Code, string Remarks);

internal sealed class ParameterDoc
{
    public ParameterDoc(string name) => Name = name;

    public string Name { get; }

    public string Description { get; set; } = string.Empty;

    public Dictionary<string, string> Yaml { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string Type => Get("Type", "Object");

    public string Get(string key, string fallback) => Yaml.TryGetValue(key, out var v) && v.Length > 0 ? v : fallback;

    public IEnumerable<string> Sets => Get("Parameter Sets", "(All)").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public bool InSet(string set) => Sets.Any(s => s == "(All)" || s == set);

    public bool Required(string? set) => Get("Required", "False").Split(',').Any(r => r.Trim().StartsWith("True", StringComparison.OrdinalIgnoreCase)
        && (set is null || !r.Contains('(', StringComparison.Ordinal) || r.Contains(set, StringComparison.Ordinal)));

    public string Position(string? set)
    {
        var p = Get("Position", "Named").Split(',')[0].Trim();
        return p.Split(' ')[0];
    }
}

internal sealed class CmdletPage
{
    public string File { get; private set; } = string.Empty;

    public string Name { get; private set; } = string.Empty;

    public string Synopsis { get; private set; } = string.Empty;

    public string Description { get; private set; } = string.Empty;

    public string Notes { get; private set; } = string.Empty;

    public List<ExampleDoc> Examples { get; } = new();

    public List<ParameterDoc> Parameters { get; } = new();

    public List<(string Type, string Text)> Inputs { get; } = new();

    public List<(string Type, string Text)> Outputs { get; } = new();

    public List<string> Links { get; } = new();

    public IEnumerable<string> ParameterSets()
    {
        var sets = Parameters.SelectMany(p => p.Sets).Where(s => s != "(All)").Distinct().ToList();
        return sets.Count == 0 ? new[] { "(All)" } : sets;
    }

    public IEnumerable<string> Problems()
    {
        if (Name.Length == 0 || !Name.Contains('-', StringComparison.Ordinal))
        {
            yield return "the page needs a '# Verb-Noun' title";
        }

        if (Synopsis.Length == 0)
        {
            yield return "## SYNOPSIS is empty";
        }

        if (Examples.Count == 0)
        {
            yield return "## EXAMPLES has no '### Example' with a code block";
        }
    }

    public static CmdletPage Parse(string path)
    {
        var page = new CmdletPage { File = Path.GetFileName(path) };
        var lines = System.IO.File.ReadAllLines(path);
        var i = 0;
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            i = 1;
            while (i < lines.Length && lines[i].Trim() != "---")
            {
                i++;
            }

            i++;
        }

        string section = string.Empty;
        var text = new StringBuilder();
        ExampleDraft? example = null;
        ParameterDoc? param = null;
        string? ioType = null;

        void Flush()
        {
            var body = text.ToString().Trim();
            text.Clear();
            switch (section)
            {
                case "SYNOPSIS":
                    page.Synopsis = body;
                    break;
                case "DESCRIPTION":
                    page.Description = body;
                    break;
                case "NOTES":
                    page.Notes = body;
                    break;
                case "RELATED LINKS":
                    page.Links.AddRange(body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "INPUTS" when ioType is not null:
                    page.Inputs.Add((ioType, body));
                    break;
                case "OUTPUTS" when ioType is not null:
                    page.Outputs.Add((ioType, body));
                    break;
                case "EXAMPLES" when example is not null:
                    page.Examples.Add(new ExampleDoc(example.Title, example.Code.Trim(), body));
                    break;
                case "PARAMETERS" when param is not null:
                    param.Description = body;
                    page.Parameters.Add(param);
                    break;
            }
        }

        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("# ", StringComparison.Ordinal) && page.Name.Length == 0)
            {
                page.Name = line[2..].Trim();
                continue;
            }

            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                Flush();
                section = line[3..].Trim().ToUpperInvariant();
                example = null;
                param = null;
                ioType = null;
                continue;
            }

            if (line.StartsWith("### ", StringComparison.Ordinal))
            {
                Flush();
                var heading = line[4..].Trim();
                example = section == "EXAMPLES" ? new ExampleDraft(heading) : null;
                param = section == "PARAMETERS" && heading.StartsWith('-') ? new ParameterDoc(heading[1..]) : null;
                ioType = section is "INPUTS" or "OUTPUTS" ? heading : null;
                continue;
            }

            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                var lang = line.Trim()[3..];
                var block = new StringBuilder();
                for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
                {
                    block.AppendLine(lines[i]);
                }

                if (param is not null && lang == "yaml")
                {
                    foreach (var y in block.ToString().Split('\n'))
                    {
                        var colon = y.IndexOf(':', StringComparison.Ordinal);
                        if (colon > 0)
                        {
                            param.Yaml[y[..colon].Trim()] = y[(colon + 1)..].Trim();
                        }
                    }
                }
                else if (example is not null && example.Code.Length == 0)
                {
                    example.Code = block.ToString().TrimEnd();
                }
                else
                {
                    text.Append(block);
                }

                continue;
            }

            text.AppendLine(line);
        }

        Flush();
        return page;
    }

    private sealed class ExampleDraft
    {
        public ExampleDraft(string title) => Title = title;

        public string Title { get; }

        public string Code { get; set; } = string.Empty;
    }
}
