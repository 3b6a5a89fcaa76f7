using System;
using System.CommandLine;
using System.IO;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;

namespace EvalSig.Cli;

/// <summary>
/// The options every command that reads RunFrames shares: the format and the choices an evaluation
/// tool's log needs (metric / scorer / stat, filter, score key, perturbation), and "-" for standard input.
/// </summary>
internal sealed class RunFrameArgs
{
    public const string FormatNames = "json, jsonl, csv, parquet, lm-eval, inspect or helm";

    public Option<string?> Format { get; } = new("--format") { Description = "Force the input format: " + FormatNames + " (default: detected from the content)." };

    public Option<string?> Metric { get; } = new("--metric", "--scorer", "--stat") { Description = "The score to read from a tool's log: an lm-eval metric (acc, exact_match), an Inspect scorer, a HELM stat." };

    public Option<string?> Filter { get; } = new("--filter") { Description = "lm-eval: the filter whose rows to read (strict-match, flexible-extract, none)." };

    public Option<string?> ScoreKey { get; } = new("--score-key") { Description = "Inspect: the key of a dictionary-valued score." };

    public Option<string?> Perturbation { get; } = new("--perturbation") { Description = "HELM: read this perturbation's entries instead of the unperturbed instances." };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Format, Metric, Filter, ScoreKey, Perturbation })
        {
            c.Options.Add(o);
        }
    }

    public RunFrameReadOptions Options(ParseResult p) => new()
    {
        Format = ParseFormat(p.GetValue(Format)),
        Metric = p.GetValue(Metric),
        Filter = p.GetValue(Filter),
        ScoreKey = p.GetValue(ScoreKey),
        Perturbation = p.GetValue(Perturbation),
    };

    /// <summary>Reads a RunFrame from a path, a HELM run folder, or "-" (standard input, which may be a pipe).</summary>
    public static RunFrame Read(string input, RunFrameReadOptions options)
    {
        if (input == "-")
        {
            using var stdin = Console.OpenStandardInput();
            return RunFrameFile.Read(stdin, "-", options);
        }

        return RunFrameFile.Read(Path.GetFullPath(input), options);
    }

    /// <summary>Every problem in one input (a path, a run folder or "-").</summary>
    public static System.Collections.Generic.IReadOnlyList<RunFrameProblem> Validate(string input, RunFrameReadOptions options)
    {
        if (input == "-")
        {
            using var stdin = Console.OpenStandardInput();
            return RunFrameFile.Validate(stdin, "-", options);
        }

        return RunFrameFile.Validate(Path.GetFullPath(input), options);
    }

    /// <summary>At most one input may be standard input.</summary>
    public static void OneStdin(params string[] inputs)
    {
        var n = 0;
        foreach (var i in inputs)
        {
            n += i == "-" ? 1 : 0;
        }

        if (n > 1)
        {
            throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.InvalidArgument, "Only one input can be standard input ('-'); give the other as a file.");
        }
    }

    public static RunFrameFormat ParseFormat(string? s) => s?.Replace("_", "-", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        null => RunFrameFormat.Auto,
        "AUTO" => RunFrameFormat.Auto,
        "JSON" => RunFrameFormat.Json,
        "JSONL" or "NDJSON" => RunFrameFormat.Jsonl,
        "CSV" => RunFrameFormat.Csv,
        "PARQUET" => RunFrameFormat.Parquet,
        "LM-EVAL" or "LMEVAL" or "LM-EVALUATION-HARNESS" => RunFrameFormat.LmEval,
        "INSPECT" => RunFrameFormat.Inspect,
        "HELM" => RunFrameFormat.Helm,
        _ => throw new EvalSigException(EvalSigError.RunFrameFormatUnknown, EvalSigErrorKind.InvalidArgument, $"Unknown format '{s}': use {FormatNames}."),
    };
}
