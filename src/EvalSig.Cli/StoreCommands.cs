using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunStore;
using EvalSig.Core.Time;

namespace EvalSig.Cli;

/// <summary>evalsig history and evalsig store save|load: the run store for bash steps.</summary>
internal static class StoreCommands
{
    /// <summary>Object storage as given; a directory made absolute.</summary>
    private static string StoreRoot(string root) => EvalSig.Core.ObjectStorage.ObjectStoreLocation.IsObjectStoreUri(root) ? root : Path.GetFullPath(root);

    public static Command History(TextWriter stdout)
    {
        var root = new Option<string>("--root") { Description = "The run store: a directory, or az://container/prefix, s3://bucket/prefix, gs://..., r2://...", Required = true };
        var project = new Option<string>("--project") { Description = "The project.", Required = true };
        var since = new Option<string?>("--since") { Description = "Inclusive start (ISO-8601; a plain date starts at 00:00Z)." };
        var until = new Option<string?>("--until") { Description = "Inclusive end (ISO-8601; a plain date such as 2026-06-30 includes that whole UTC day)." };
        var model = new Option<string?>("--model") { Description = "Only this model." };
        var task = new Option<string?>("--task") { Description = "Only this task." };
        var metric = new Option<string?>("--metric") { Description = "Only this metric." };
        var verdict = new Option<string?>("--verdict") { Description = "Only this verdict." };
        var all = new Option<bool>("--include-superseded") { Description = "Include versions replaced by --force saves." };
        var cmd = new Command("history", "One line per run in a project, with the Parquet path.");
        foreach (var o in new Option[] { root, project, since, until, model, task, metric, verdict, all })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var q = new HistoryQuery
            {
                Since = CliArgs.Instant(p.GetValue(since), "--since"),
                Until = CliArgs.UpperBound(p.GetValue(until), "--until"),
                Model = p.GetValue(model),
                Task = p.GetValue(task),
                Metric = p.GetValue(metric),
                Verdict = p.GetValue(verdict),
                IncludeSuperseded = p.GetValue(all),
            };
            foreach (var r in RunStores.Open(StoreRoot(p.GetValue(root)!)).History(p.GetValue(project)!, q))
            {
                var delta = r.Delta is { } d ? d.ToString("+0.0000;-0.0000;0", CultureInfo.InvariantCulture) : "-";
                var pValue = r.PValue is { } pv ? pv.ToString("G3", CultureInfo.InvariantCulture) : "-";
                stdout.WriteLine($"{IsoTime.Format(r.Timestamp)}  {r.RunId,-28} {r.Model,-24} {r.NItems,8}  {delta,8}  {pValue,8}  {r.Verdict ?? "-",-12}  {r.Path}");
            }

            return 0;
        });
        return cmd;
    }

    public static Command Store(TextWriter stdout)
    {
        var store = new Command("store", "The Parquet run store.");
        var root = new Option<string>("--root") { Description = "The run store: a directory, or az://container/prefix, s3://bucket/prefix, gs://..., r2://...", Required = true };
        var project = new Option<string>("--project") { Description = "The project.", Required = true };

        var files = new Argument<string[]>("files") { Description = "RunFrame files, tool logs or HELM run folders to save (- for standard input).", Arity = ArgumentArity.OneOrMore };
        var input = new RunFrameArgs();
        var force = new Option<bool>("--force") { Description = "Save a new version of a run id that exists with other content." };
        var save = new Command("save", "Save RunFrame files to the store.");
        save.Arguments.Add(files);
        save.Options.Add(root);
        save.Options.Add(project);
        save.Options.Add(force);
        input.AddTo(save);
        save.SetAction(p =>
        {
            var s = RunStores.Open(StoreRoot(p.GetValue(root)!));
            var o = input.Options(p);
            RunFrameArgs.OneStdin(p.GetValue(files)!);
            foreach (var f in p.GetValue(files)!)
            {
                var r = s.Save(p.GetValue(project)!, RunFrameArgs.Read(f, o), p.GetValue(force));
                stdout.WriteLine($"{r.Outcome.ToString().ToLowerInvariant(),-10} {r.Run.RunId} -> {r.Run.Path}");
            }

            return 0;
        });

        var runId = new Argument<string>("run-id") { Description = "The run to load." };
        var output = new Option<FileInfo>("--output") { Description = "Write the run here (format by extension: .json, .jsonl, .csv, .parquet).", Required = true };
        var load = new Command("load", "Write a stored run to a file, exactly as saved.");
        load.Arguments.Add(runId);
        load.Options.Add(new Option<string>("--root") { Description = "The run store: a directory, or az://container/prefix, s3://bucket/prefix, gs://..., r2://...", Required = true });
        load.Options.Add(new Option<string>("--project") { Description = "The project.", Required = true });
        load.Options.Add(output);
        load.SetAction(p =>
        {
            var frame = RunStores.Open(StoreRoot(p.GetValue<string>("--root")!)).Load(p.GetValue<string>("--project")!, p.GetValue(runId)!);
            RunFrameFile.Write(frame, p.GetValue(output)!.FullName, RunFrameFormat.Auto);
            stdout.WriteLine($"{frame.RunId} ({frame.Count} items) -> {p.GetValue(output)!.FullName}");
            return 0;
        });

        store.Subcommands.Add(save);
        store.Subcommands.Add(load);
        return store;
    }
}
