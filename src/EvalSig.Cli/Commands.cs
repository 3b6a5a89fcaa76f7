using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;
using EvalSig.Core.Gating;
using EvalSig.Core.Pipelines;
using EvalSig.Core.Release;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Statistics;

namespace EvalSig.Cli;

/// <summary>The command tree. Each action binds options, calls one Core entry point and prints.</summary>
internal static class Commands
{
    public static RootCommand Build(TextWriter stdout, TextWriter? stderr = null, string? only = null)
    {
        stderr ??= Console.Error;
        var root = new RootCommand("EvalSig: release gates for LLM evaluations with honest statistics, and a tamper-evident audit trail.");
        var factories = new (string Name, Func<Command> Make)[]
        {
            ("gate", () => Gate(stdout, stderr)),
            ("compare", () => Compare(stdout)),
            ("mde", () => Mde(stdout)),
            ("doctor", () => Doctor(stdout)),
            ("watch", () => WatchCommand.Build(stdout, stderr)),
            ("version", () => Version(stdout)),
            ("audit", () => AuditCommands.Build(stdout, stderr)),
            ("history", () => StoreCommands.History(stdout)),
            ("store", () => StoreCommands.Store(stdout)),
            ("scorecard", () => ComplianceCommands.Scorecard(stdout)),
            ("envelope", () => ComplianceCommands.Envelope(stdout)),
            ("article30", () => Article30Command.Build(stdout)),
        };

        // Start-up (issue 16): a command line that names a command gets only that command's tree; building
        // all of them costs more than parsing. Anything else (no command, a typo, --help, completion) gets all.
        var single = only is not null && Array.Exists(factories, f => f.Name == only);
        foreach (var (name, make) in factories)
        {
            if (!single || name == only)
            {
                var command = make();
                if (command.Name != name)
                {
                    throw new InvalidOperationException($"command table names '{name}' for '{command.Name}'");
                }

                root.Subcommands.Add(command);
            }
        }

        if (!single)
        {
            root.Subcommands.Add(CompletionCommand.Build(stdout, root));
        }

        return root;
    }

    private sealed class InferenceArgs
    {
        /// <param name="optionalRuns">The gate takes --manifest instead of the two runs.</param>
        public InferenceArgs(bool optionalRuns = false)
        {
            if (optionalRuns)
            {
                Baseline.Arity = ArgumentArity.ZeroOrOne;
                Candidate.Arity = ArgumentArity.ZeroOrOne;
            }
        }

        public Argument<string?> Baseline { get; } = new("baseline") { Description = "Baseline: a RunFrame file (JSON, JSONL, CSV, Parquet), an lm-eval samples file, an Inspect log, a HELM run folder, or - for standard input." };

        public Argument<string?> Candidate { get; } = new("candidate") { Description = "Candidate, as the baseline (- for standard input)." };

        public RunFrameArgs Input { get; } = new();

        public Option<double> Alpha { get; } = new("--alpha") { Description = "Significance level, in (0, 1).", DefaultValueFactory = _ => 0.05 };

        public Option<double> Power { get; } = new("--power") { Description = "Power for the minimum detectable effect, in (0, 1).", DefaultValueFactory = _ => 0.8 };

        public Option<string> Method { get; } = new("--method") { Description = "auto, paired_t, clustered_t, clustered_cr2, wild_cluster_bootstrap, mcnemar_exact, paired_bootstrap, paired_permutation, cluster_bootstrap, or the unpaired welch_t and newcombe.", DefaultValueFactory = _ => "auto" };

        public Option<string?> Cluster { get; } = new("--cluster") { Description = "Cluster key: cluster_id, an item-metadata key or a CSV/Parquet column (clusters are used by default when present)." };

        public Option<bool> NoCluster { get; } = new("--no-cluster") { Description = "Ignore clusters (the standard error is then likely understated)." };

        public Option<string?> Alternative { get; } = new("--alternative") { Description = "greater (candidate better) or two-sided." };

        public Option<int> Resamples { get; } = new("--resamples") { Description = "Resamples for bootstrap and permutation methods.", DefaultValueFactory = _ => InferenceOptions.DefaultResamples };

        public Option<long> Seed { get; } = new("--seed") { Description = "Seed for resampling (identical results on any number of cores).", DefaultValueFactory = _ => 0 };

        public Option<bool> Json { get; } = new("--json") { Description = "Print the JSON report." };

        public Option<bool> Markdown { get; } = new("--markdown") { Description = "Print the Markdown report." };

        public void AddTo(Command c)
        {
            c.Arguments.Add(Baseline);
            c.Arguments.Add(Candidate);
            foreach (var o in new Option[] { Alpha, Power, Method, Cluster, NoCluster, Alternative, Resamples, Seed, Json, Markdown })
            {
                c.Options.Add(o);
            }

            Input.AddTo(c);
        }

        public InferenceOptions Options(ParseResult p, Alternative fallback) => new()
        {
            Alpha = p.GetValue(Alpha),
            Power = p.GetValue(Power),
            Method = EvalComparer.Parse(p.GetValue(Method)!),
            ClusterKey = p.GetValue(Cluster),
            NoCluster = p.GetValue(NoCluster),
            Alternative = ParseAlternative(p.GetValue(Alternative)) ?? fallback,
            Resamples = p.GetValue(Resamples),
            Seed = p.GetValue(Seed),
        };

        public (RunFrame Baseline, RunFrame Candidate) Read(ParseResult p)
        {
            var o = Input.Options(p);
            var (b, c) = (p.GetValue(Baseline)!, p.GetValue(Candidate)!);
            RunFrameArgs.OneStdin(b, c);

            // The two inputs are read at once (issue 16: wall time is reading); a baseline error is
            // reported first, as when they were read one after the other. Small files are read in turn:
            // starting the thread pool would cost more than it saves. So is Parquet: Parquet.Net decodes a
            // row group into buffers of its own, and two files at once hold two sets (a 1M-item gate peaks
            // ~20 MB higher) to save a fraction of a second.
            if (Small(b) && Small(c))
            {
                return (RunFrameArgs.Read(b, o), RunFrameArgs.Read(c, o));
            }

            var runs = IsParquet(b) || IsParquet(c) ? (RunFrameArgs.Read(b, o), RunFrameArgs.Read(c, o)) : ReadAtOnce(b, c, o);

            // Issue 16: what the readers left behind (Parquet.Net's buffers, the read buffers, any column copied
            // because it grew past its need) goes back to the heap now, compacted, before the statistics allocate
            // arrays of the same size, so that they reuse that memory instead of growing the process past its
            // reading peak (a 1M-item Parquet gate peaks ~7 MB lower; compacting ~60 MB of columns costs milliseconds).
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            return runs;
        }

        private static (RunFrame Baseline, RunFrame Candidate) ReadAtOnce(string b, string c, RunFrameReadOptions o)
        {
            var candidate = System.Threading.Tasks.Task.Run(() => RunFrameArgs.Read(c, o));
            RunFrame baseline;
            try
            {
                baseline = RunFrameArgs.Read(b, o);
            }
            catch
            {
                try
                {
                    candidate.Wait();
                }
                catch (AggregateException)
                {
                    // The baseline's error wins; the candidate's is not lost silently, it surfaces once the baseline is fixed.
                }

                throw;
            }

            return (baseline, candidate.GetAwaiter().GetResult());
        }

        private static bool IsParquet(string input) => input.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

        private static bool Small(string input)
        {
            try
            {
                return input != "-" && new FileInfo(input) is { Exists: true } f && f.Length < (4 << 20);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return false;
            }
        }
    }

    private static Command Gate(TextWriter stdout, TextWriter stderr)
    {
        var args = new InferenceArgs(optionalRuns: true);
        var minDelta = new Option<double>("--min-delta") { Description = "The smallest improvement worth shipping (>= 0).", DefaultValueFactory = _ => 0 };
        var oneSided = new Option<bool>("--one-sided") { Description = "Shorthand for --alternative greater (the default)." };
        var decision = new Option<string>("--decision") { Description = "superiority (default) or non-inferiority: the question each gate answers.", DefaultValueFactory = _ => "superiority" };
        var margin = new Option<double?>("--margin") { Description = "Non-inferiority margin (> 0)." };
        var output = new Option<FileInfo?>("--output") { Description = "Also write the JSON report to this file (atomically)." };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write JUnit XML test results to this file (one test case per gate), for PublishTestResults@2 or a GitHub test reporter." };
        var ci = new Option<string?>("--ci") { Description = "Pipeline output: auto (default: TF_BUILD -> azure-devops, GITHUB_ACTIONS -> github-actions), none, azure-devops or github-actions." };
        var inconclusiveAs = new Option<string?>("--inconclusive-as") { Description = "How the step treats INCONCLUSIVE: failed (default, exit 2), succeeded-with-issues or succeeded (exit 0; Azure: task.complete with that result)." };
        var manifest = new Option<FileInfo?>("--manifest") { Description = "A JSON or YAML manifest of tasks (name, baseline, candidate, options): one report per task and a release verdict." };
        var releaseDecision = new Option<string?>("--release-decision") { Description = "With --manifest: all-must-pass (default; every task must ALLOW, no correction needed) or any-improves (needs a correction)." };
        var correction = new Option<string?>("--correction") { Description = "With --release-decision any-improves: holm (default), benjamini-hochberg or bonferroni, over the tasks' p-values." };
        var cmd = new Command("gate", "Decide ALLOW (exit 0), REJECT (1) or INCONCLUSIVE (2) for a candidate against a baseline, or for every task of a --manifest.");
        args.AddTo(cmd);
        foreach (var o in new Option[] { minDelta, oneSided, decision, margin, output, junit, ci, inconclusiveAs, manifest, releaseDecision, correction })
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(p =>
        {
            var inference = args.Options(p, Alternative.Greater);
            if (p.GetValue(oneSided))
            {
                if (ParseAlternative(p.GetValue(args.Alternative)) == Alternative.TwoSided)
                {
                    throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, "--one-sided and --alternative two-sided contradict each other.");
                }

                inference = inference with { Alternative = Alternative.Greater };
            }

            var given = p.GetValue(inconclusiveAs) is { } ia ? GateReportJson.ParseInconclusiveAs(ia) : (InconclusiveOutcome?)null;
            var options = new GateOptions
            {
                Inference = inference,
                MinDelta = p.GetValue(minDelta),
                Decision = ParseDecision(p.GetValue(decision)!),
                Margin = p.GetValue(margin),
                InconclusiveAs = given ?? InconclusiveOutcome.Failed,
            };
            var json = p.GetValue(args.Json);
            var markdown = p.GetValue(args.Markdown);
            var pipeline = CiOutput.Create(p.GetValue(ci), json || markdown, stdout, stderr);
            var runs = (p.GetValue(args.Baseline), p.GetValue(args.Candidate));
            if (p.GetValue(manifest) is { } manifestFile)
            {
                if (runs.Item1 is not null || runs.Item2 is not null)
                {
                    throw new CliUsageException("Give either a baseline and a candidate, or --manifest FILE, not both.");
                }

                return Release(pipeline, manifestFile, options, given, p.GetValue(releaseDecision), p.GetValue(correction), p.GetValue(output), p.GetValue(junit), json, markdown);
            }

            if (runs.Item1 is null || runs.Item2 is null)
            {
                throw new CliUsageException("Give a baseline and a candidate RunFrame file, or --manifest FILE.");
            }

            if (p.GetValue(releaseDecision) is not null || p.GetValue(correction) is not null)
            {
                throw new CliUsageException("--release-decision and --correction combine the tasks of a --manifest; a single gate has nothing to combine.");
            }

            options.Validate();
            var (b, c) = args.Read(p);
            var (progress, done) = pipeline.Status($"evalsig gate {c.RunId}");
            var report = EvalGate.Decide(b, c, options, progress);
            done();
            if (p.GetValue(output) is { } file)
            {
                CiOutput.WriteFile(file, GateReportJson.Serialize(report));
            }

            if (p.GetValue(junit) is { } junitFile)
            {
                CiOutput.WriteFile(junitFile, JUnitXml.Gates(new[] { report }));
            }

            pipeline.WriteText(Render(report, json, markdown));
            pipeline.Reporter.Gate(report);
            return report.StepExitCode;
        });
        return cmd;
    }

    /// <summary>gate --manifest: every task, then the release verdict; exit code the release's step exit code.</summary>
    private static int Release(CiOutput pipeline, FileInfo manifestFile, GateOptions defaults, InconclusiveOutcome? inconclusiveAs, string? decision, string? correction, FileInfo? output, FileInfo? junit, bool json, bool markdown)
    {
        var m = GateManifest.Load(manifestFile.FullName, defaults);
        var release = new ReleaseOptions
        {
            Decision = decision is not null ? ReleaseOptions.ParseDecision(decision) : m.Decision ?? ReleaseDecision.AllMustPass,
            Correction = correction is not null ? ReleaseOptions.ParseCorrection(correction) : m.Correction,
            InconclusiveAs = inconclusiveAs ?? m.InconclusiveAs ?? InconclusiveOutcome.Failed,
        };
        var (progress, done) = pipeline.Status($"evalsig gate --manifest {manifestFile.Name}");
        var report = ReleaseGate.Decide(m.Tasks, release, progress);
        done();
        if (output is not null)
        {
            CiOutput.WriteFile(output, ReleaseReportJson.Serialize(report));
        }

        if (junit is not null)
        {
            CiOutput.WriteFile(junit, JUnitXml.Release(report));
        }

        pipeline.WriteText(json ? ReleaseReportJson.Serialize(report) + Environment.NewLine : markdown ? ReleaseReportText.Markdown(report) : ReleaseReportText.Text(report));
        pipeline.Reporter.Release(report);
        return report.StepExitCode;
    }

    private static Command Compare(TextWriter stdout)
    {
        var args = new InferenceArgs();
        var cmd = new Command("compare", "Compare two runs (two-sided by default) with effect sizes; no verdict.");
        args.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var options = args.Options(p, Alternative.TwoSided);
            options.Validate();
            var (b, c) = args.Read(p);
            var result = RunComparison.Create(b, c, options);
            if (p.GetValue(args.Json))
            {
                stdout.WriteLine(AnalysisJson.Serialize(result));
            }
            else
            {
                stdout.Write(ComparisonText(result));
            }

            return 0;
        });
        return cmd;
    }

    private static Command Mde(TextWriter stdout)
    {
        var baseline = new Argument<string?>("baseline") { Description = "Baseline RunFrame or tool log (or give --std-dev and --n).", Arity = ArgumentArity.ZeroOrOne };
        var candidate = new Argument<string?>("candidate") { Description = "Candidate RunFrame or tool log.", Arity = ArgumentArity.ZeroOrOne };
        var input = new RunFrameArgs();
        var sd = new Option<double?>("--std-dev") { Description = "Standard deviation of the paired differences." };
        var n = new Option<int?>("--n") { Description = "Number of paired items (may be left out with --target-mde)." };
        var icc = new Option<double>("--icc") { Description = "Intra-cluster correlation.", DefaultValueFactory = _ => 0 };
        var size = new Option<double>("--cluster-size") { Description = "Mean items per cluster.", DefaultValueFactory = _ => 1 };
        var target = new Option<double?>("--target-mde") { Description = "Effect to detect: also print the items (and clusters) needed." };
        var alpha = new Option<double>("--alpha") { DefaultValueFactory = _ => 0.05, Description = "Significance level." };
        var power = new Option<double>("--power") { DefaultValueFactory = _ => 0.8, Description = "Target power." };
        var alternative = new Option<string?>("--alternative") { Description = "greater (default) or two-sided." };
        var cluster = new Option<string?>("--cluster") { Description = "Cluster key for run pairs." };
        var noCluster = new Option<bool>("--no-cluster") { Description = "Ignore clusters." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var cmd = new Command("mde", "Minimum detectable effect of a run pair or a planned design, or the items needed for a target effect.");
        cmd.Arguments.Add(baseline);
        cmd.Arguments.Add(candidate);
        foreach (var o in new Option[] { sd, n, icc, size, target, alpha, power, alternative, cluster, noCluster, json })
        {
            cmd.Options.Add(o);
        }

        input.AddTo(cmd);

        cmd.SetAction(p =>
        {
            var alt = ParseAlternative(p.GetValue(alternative)) ?? Alternative.Greater;
            PowerEstimate estimate;
            if (p.GetValue(baseline) is { } b && p.GetValue(candidate) is { } c)
            {
                var options = new InferenceOptions { Alpha = p.GetValue(alpha), Power = p.GetValue(power), Alternative = alt, ClusterKey = p.GetValue(cluster), NoCluster = p.GetValue(noCluster) };
                RunFrameArgs.OneStdin(b, c);
                var o = input.Options(p);
                estimate = PowerAnalysis.FromRuns(RunFrameArgs.Read(b, o), RunFrameArgs.Read(c, o), options, p.GetValue(target));
            }
            else if (p.GetValue(sd) is { } s && (p.GetValue(n) is not null || p.GetValue(target) is not null))
            {
                estimate = PowerAnalysis.FromDesign(s, p.GetValue(n), p.GetValue(alpha), p.GetValue(power), alt, p.GetValue(icc), p.GetValue(size), p.GetValue(target));
            }
            else
            {
                throw new EvalSigException(EvalSigError.InvalidPowerInput, EvalSigErrorKind.InvalidArgument, "Give a baseline and a candidate file, or --std-dev with --n and/or --target-mde.");
            }

            stdout.Write(p.GetValue(json) ? AnalysisJson.Serialize(estimate) + Environment.NewLine : PowerText(estimate));
            return 0;
        });
        return cmd;
    }

    private static Command Doctor(TextWriter stdout)
    {
        var files = new Argument<string[]>("files") { Description = "RunFrame files, tool logs or HELM run folders to validate (- for standard input).", Arity = ArgumentArity.OneOrMore };
        var input = new RunFrameArgs();
        var cmd = new Command("doctor", "Validate RunFrame files and list every problem (exit 0 if all valid, 65 otherwise).");
        cmd.Arguments.Add(files);
        input.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var o = input.Options(p);
            var bad = 0;
            RunFrameArgs.OneStdin(p.GetValue(files)!);
            foreach (var f in p.GetValue(files)!)
            {
                var name = f == "-" ? "-" : Path.GetFullPath(f);
                var problems = RunFrameArgs.Validate(f, o);
                if (problems.Count == 0)
                {
                    stdout.WriteLine($"ok       {name}");
                    continue;
                }

                bad++;
                stdout.WriteLine($"invalid  {name} ({problems.Count} problem{(problems.Count == 1 ? string.Empty : "s")})");
                foreach (var problem in problems)
                {
                    stdout.WriteLine("  " + problem);
                }
            }

            return bad == 0 ? 0 : Program.DataError;
        });
        return cmd;
    }

    private static Command Version(TextWriter stdout)
    {
        var cmd = new Command("version", "Print the EvalSig version.");
        cmd.SetAction(_ =>
        {
            stdout.WriteLine($"evalsig {EvalGate.ToolVersion}");
            return 0;
        });
        return cmd;
    }

    private static string Render(GateReport report, bool json, bool markdown)
        => json ? GateReportJson.Serialize(report) + Environment.NewLine
            : markdown ? GateReportText.Markdown(report)
            : GateReportText.Text(report);

    private static string ComparisonText(RunComparison r)
    {
        var c = r.Comparison;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{"Delta",-12} {c.Delta:+0.000000;-0.000000;0}").AppendLine();
        sb.Append(inv, $"{"CI",-12} {Core.Gating.IntervalText.Of(c)}").AppendLine();
        sb.Append(inv, $"{"p-value",-12} {c.PValue:G6} ({GateReportJson.AlternativeName(c.Alternative)})").AppendLine();
        sb.Append(inv, $"{"Significant",-12} {(c.Significant ? "yes" : "no")}").AppendLine();
        sb.Append(inv, $"{"MDE",-12} {c.Mde:G6}").AppendLine();
        sb.Append(inv, $"{"Cohen's d",-12} {r.CohensD:G6}").AppendLine();
        sb.Append(inv, $"{"Cliff's d",-12} {(r.CliffsDelta is { } cd ? cd.ToString("G6", inv) : "n/a (0/1 scores)")}").AppendLine();
        sb.Append(inv, $"{"Pairs",-12} {c.NPairs} ({c.NClusters} clusters)").AppendLine();
        sb.Append(inv, $"{"Method",-12} {c.Method}{(double.IsNaN(c.Df) ? string.Empty : $" ({c.Df:0.###} df)")}").AppendLine();
        foreach (var n in c.Notes)
        {
            sb.Append(inv, $"{"Note",-12} {n}").AppendLine();
        }

        return sb.ToString();
    }

    private static string PowerText(PowerEstimate e)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"{"MDE",-12} {e.Mde:G6} (exact t, {e.Df:0.##} df; normal formula {e.MdeNormal:G6})").AppendLine();
        sb.Append(inv, $"{"N",-12} {e.N} (effective {e.EffectiveN:0.#}, design effect {e.DesignEffect:G4}{(e.Clusters is { } planned ? $", {planned:0.#} clusters" : string.Empty)})").AppendLine();
        sb.Append(inv, $"{"Std dev",-12} {e.StdDev:G6}").AppendLine();
        if (e.TargetMde is { } t)
        {
            sb.Append(inv, $"{"Target MDE",-12} {t:G6}").AppendLine();
            sb.Append(inv, $"{"Needed",-12} {e.RequiredN} paired items{(e.RequiredClusters is { } g ? $" ({g} clusters)" : string.Empty)}").AppendLine();
        }

        sb.Append(inv, $"{"Test",-12} alpha {e.Alpha}, power {e.Power}, {GateReportJson.AlternativeName(e.Alternative)}").AppendLine();
        return sb.ToString();
    }

    private static Alternative? ParseAlternative(string? s) => s?.Replace("_", "-", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        null => null,
        "GREATER" or "ONE-SIDED" => Alternative.Greater,
        "TWO-SIDED" or "TWOSIDED" => Alternative.TwoSided,
        _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, $"Unknown alternative '{s}': use greater or two-sided."),
    };

    private static GateDecision ParseDecision(string s) => s.Replace("_", "-", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "SUPERIORITY" => GateDecision.Superiority,
        "NON-INFERIORITY" or "NONINFERIORITY" => GateDecision.NonInferiority,
        _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, $"Unknown decision '{s}': use superiority or non-inferiority."),
    };

}
