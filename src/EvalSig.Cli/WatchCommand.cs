using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Sequential;
using EvalSig.Core.Statistics;

namespace EvalSig.Cli;

/// <summary>evalsig watch: follow a growing candidate log and stop as soon as an anytime-valid sequence decides.</summary>
internal static class WatchCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var baseline = new Argument<string>("baseline") { Description = "The complete baseline: a RunFrame file, tool log or HELM run folder." };
        var candidate = new Argument<string>("candidate") { Description = "The candidate as it is written: a JSONL file of items (or lm-eval samples lines), or - for standard input." };
        var follow = new Option<bool>("--follow") { Description = "Keep waiting for the candidate file to grow (until --idle-timeout passes without a new line)." };
        var idle = new Option<double>("--idle-timeout") { Description = "Seconds without growth after which a followed file counts as finished.", DefaultValueFactory = _ => 300 };
        var sequence = new Option<string>("--sequence") { Description = "betting (scores in [0, 1], exact at every n; default) or asymptotic (any scores).", DefaultValueFactory = _ => "betting" };
        var alpha = new Option<double>("--alpha") { Description = "Error rate of each decision, in (0, 1).", DefaultValueFactory = _ => 0.05 };
        var minDelta = new Option<double>("--min-delta") { Description = "The smallest improvement worth shipping (>= 0).", DefaultValueFactory = _ => 0 };
        var decision = new Option<string>("--decision") { Description = "superiority (default) or non-inferiority.", DefaultValueFactory = _ => "superiority" };
        var margin = new Option<double?>("--margin") { Description = "Non-inferiority margin (> 0)." };
        var alternative = new Option<string?>("--alternative") { Description = "greater (default: each bound one-sided at alpha) or two-sided (each at alpha/2)." };
        var cluster = new Option<string?>("--cluster") { Description = "Cluster key of the baseline (cluster_id or a metadata key); clusters are watched at the cluster level." };
        var noCluster = new Option<bool>("--no-cluster") { Description = "Watch item by item even when the baseline has clusters." };
        var minObs = new Option<int?>("--min-observations") { Description = "Observations before the first decision (default 30 asymptotic, 1 betting)." };
        var planned = new Option<int?>("--planned") { Description = "Observations the asymptotic sequence is tuned for (default: the baseline's size)." };
        var every = new Option<int>("--progress-every") { Description = "Print progress to stderr every this many candidate items (0: never).", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print the JSON report." };
        var input = new RunFrameArgs();
        var cmd = new Command("watch", "Follow a running evaluation and decide ALLOW (0), REJECT (1) or INCONCLUSIVE (2) as soon as an anytime-valid confidence sequence allows.");
        cmd.Arguments.Add(baseline);
        cmd.Arguments.Add(candidate);
        foreach (var o in new Option[] { follow, idle, sequence, alpha, minDelta, decision, margin, alternative, cluster, noCluster, minObs, planned, every, json })
        {
            cmd.Options.Add(o);
        }

        input.AddTo(cmd);
        cmd.SetAction((p, cancel) =>
        {
            var options = new WatchOptions
            {
                Alpha = p.GetValue(alpha),
                Sequence = ParseSequence(p.GetValue(sequence)!),
                MinDelta = p.GetValue(minDelta),
                Decision = ParseDecision(p.GetValue(decision)!),
                Margin = p.GetValue(margin),
                Alternative = ParseAlternative(p.GetValue(alternative)),
                ClusterKey = p.GetValue(cluster),
                NoCluster = p.GetValue(noCluster),
                MinObservations = p.GetValue(minObs),
                PlannedObservations = p.GetValue(planned),
            };
            options.Validate();
            var (b, c) = (p.GetValue(baseline)!, p.GetValue(candidate)!);
            RunFrameArgs.OneStdin(b, c);
            var read = input.Options(p);
            var baseFrame = RunFrameArgs.Read(b, read);

            // The candidate lines are items or samples lines; the format choice applies to the baseline only.
            var lineOptions = read with { Format = RunFrameFormat.Auto };
            var seconds = p.GetValue(idle);
            if (!(seconds >= 0) || double.IsInfinity(seconds))
            {
                throw new EvalSigException(EvalSigError.WatchInvalid, EvalSigErrorKind.InvalidArgument, "--idle-timeout must be a number of seconds >= 0.");
            }

            using var stdin = c == "-" ? Console.OpenStandardInput() : null;
            var items = stdin is not null
                ? WatchFeed.FromStream(stdin, "-", lineOptions, cancel)
                : WatchFeed.FromFile(Path.GetFullPath(c), lineOptions, p.GetValue(follow), TimeSpan.FromSeconds(seconds), cancel: cancel);
            var n = p.GetValue(every);
            IProgress<WatchProgress>? progress = n > 0 ? new Printer(stderr) : null;
            var report = EvalWatch.Run(baseFrame, items, options, progress, n > 0 ? n : int.MaxValue, cancel);
            stdout.Write(p.GetValue(json) ? WatchReportText.Json(report) + Environment.NewLine : WatchReportText.Text(report));
            return System.Threading.Tasks.Task.FromResult(report.ExitCode);
        });
        return cmd;
    }

    private static SequenceKind ParseSequence(string s) => s.ToUpperInvariant() switch
    {
        "BETTING" => SequenceKind.Betting,
        "ASYMPTOTIC" => SequenceKind.Asymptotic,
        _ => throw new EvalSigException(EvalSigError.WatchInvalid, EvalSigErrorKind.InvalidArgument, $"Unknown sequence '{s}': use betting or asymptotic."),
    };

    private static GateDecision ParseDecision(string s) => s.Replace("_", "-", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "SUPERIORITY" => GateDecision.Superiority,
        "NON-INFERIORITY" or "NONINFERIORITY" => GateDecision.NonInferiority,
        _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, $"Unknown decision '{s}': use superiority or non-inferiority."),
    };

    private static Alternative ParseAlternative(string? s) => s?.Replace("_", "-", StringComparison.Ordinal).ToUpperInvariant() switch
    {
        null or "GREATER" or "ONE-SIDED" => Alternative.Greater,
        "TWO-SIDED" or "TWOSIDED" => Alternative.TwoSided,
        _ => throw new EvalSigException(EvalSigError.InvalidMethod, EvalSigErrorKind.InvalidArgument, $"Unknown alternative '{s}': use greater or two-sided."),
    };

    /// <summary>Progress on stderr, so stdout holds only the report.</summary>
    private sealed class Printer : IProgress<WatchProgress>
    {
        private readonly TextWriter _stderr;

        public Printer(TextWriter stderr) => _stderr = stderr;

        public void Report(WatchProgress value) => _stderr.WriteLine("evalsig watch: " + WatchReportText.ProgressLine(value));
    }
}
