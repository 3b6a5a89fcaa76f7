using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Management.Automation;
using System.Threading.Tasks;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.RunFrames;
using EvalSig.Core.Sequential;
using EvalSig.Core.Statistics;

namespace EvalSig.Commands;

/// <summary>
/// Watches a running evaluation: candidate items from a growing JSONL file (-Path, with -Follow) or
/// from the pipeline, each paired with the baseline as it arrives; stops as soon as an anytime-valid
/// confidence sequence decides and writes a report shaped like the gate's.
/// </summary>
[Cmdlet(VerbsCommon.Watch, "EvalGate", DefaultParameterSetName = nameof(ParameterSet.Path))]
[OutputType(typeof(WatchReport))]
public sealed class WatchEvalGateCommand : RunFrameInputCmdlet
{
    private const int ProgressEvery = 100;
    private WatchSession? _session;
    private RunFrame? _baseline;
    private WatchOptions? _options;
    private bool _written;

    private enum ParameterSet
    {
        Path,
        LiteralPath,
        InputObject,
    }

    /// <summary>A watch is a release gate too: when it cannot run it stops the script (see <see cref="EvalSigCmdlet.FailClosed"/>).</summary>
    protected override bool FailClosed => true;

    /// <summary>The complete baseline: a RunFrame, a path (RunFrame file, tool log, HELM run folder) or RunFrame JSON text.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object? Baseline { get; set; }

    /// <summary>The candidate JSONL file as it is being written (RunFrame items or lm-eval samples lines).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = nameof(ParameterSet.Path))]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = nameof(ParameterSet.LiteralPath))]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string? LiteralPath { get; set; }

    /// <summary>Candidate items from the pipeline: RunFrameItems, objects with ItemId/item_id and Score/score, or JSON lines.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = nameof(ParameterSet.InputObject))]
    [ValidateNotNull]
    public object? InputObject { get; set; }

    /// <summary>Keep waiting for the file to grow until -IdleTimeoutSec passes without a new line.</summary>
    [Parameter(ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(ParameterSetName = nameof(ParameterSet.LiteralPath))]
    public SwitchParameter Follow { get; set; }

    [Parameter(ParameterSetName = nameof(ParameterSet.Path))]
    [Parameter(ParameterSetName = nameof(ParameterSet.LiteralPath))]
    [ValidateRange(0, int.MaxValue)]
    public int IdleTimeoutSec { get; set; } = 300;

    [Parameter]
    public SequenceKind Sequence { get; set; } = SequenceKind.Betting;

    [Parameter]
    public double Alpha { get; set; } = 0.05;

    [Parameter]
    public double MinDelta { get; set; }

    [Parameter]
    public GateDecision Decision { get; set; } = GateDecision.Superiority;

    [Parameter]
    public double? Margin { get; set; }

    [Parameter]
    public Alternative Alternative { get; set; } = Alternative.Greater;

    /// <summary>Cluster key of the baseline (cluster_id or a metadata key); clustered runs are watched per cluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    [Parameter]
    public SwitchParameter NoCluster { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? MinObservations { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? PlannedObservations { get; set; }

    protected override void BeginProcessing()
    {
        _options = new WatchOptions
        {
            Alpha = Alpha,
            Sequence = Sequence,
            MinDelta = MinDelta,
            Decision = Decision,
            Margin = Margin,
            Alternative = Alternative,
            ClusterKey = Cluster,
            NoCluster = NoCluster,
            MinObservations = MinObservations,
            PlannedObservations = PlannedObservations,
        };
        Try(_options.Validate, terminating: true);
        _baseline = ResolveRunFrame(Baseline, nameof(Baseline), ReadOptions());
        Try(() => _session = new WatchSession(_baseline, _options), terminating: true);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != nameof(ParameterSet.InputObject))
        {
            WatchFile();
            return;
        }

        if (_written || _session is null)
        {
            return;
        }

        if (ToItem(InputObject) is not { } item)
        {
            return;
        }

        var decided = false;
        if (!Try(() => decided = _session.Observe(item.ItemId, item.Score, item.Epoch), terminating: true))
        {
            return;
        }

        if (_session.ItemsRead % ProgressEvery == 0)
        {
            Progress(_session.Progress, completed: false);
        }

        if (decided || _session.Complete)
        {
            Write(_session.Finish());
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == nameof(ParameterSet.InputObject) && !_written && _session is not null)
        {
            Write(_session.Finish());
        }
    }

    private void WatchFile()
    {
        var literal = ParameterSetName == nameof(ParameterSet.LiteralPath);
        var full = literal
            ? SessionState.Path.GetUnresolvedProviderPathFromPSPath(LiteralPath!)
            : ResolveCandidate(Path!);
        var read = ReadOptions() with { Format = RunFrameFormat.Auto };
        var items = WatchFeed.FromFile(full, read, Follow, TimeSpan.FromSeconds(IdleTimeoutSec), cancel: Cancellation);
        var baseline = _baseline!;
        using var queue = new BlockingCollection<WatchProgress>();
        var sink = new QueueProgress(queue);
        var task = Task.Run(() =>
        {
            try
            {
                return EvalWatch.Run(baseline, items, _options!, sink, ProgressEvery, Cancellation);
            }
            finally
            {
                queue.CompleteAdding();
            }
        });
        foreach (var p in queue.GetConsumingEnumerable())
        {
            Progress(p, completed: false);
        }

        WatchReport? report = null;
        if (Try(() => report = task.GetAwaiter().GetResult(), terminating: true))
        {
            Write(report!);
        }
    }

    private string ResolveCandidate(string path)
    {
        try
        {
            var found = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
            return found.Count == 1 ? found[0] : throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.InvalidArgument, $"-Path '{path}' matches {found.Count} files; give exactly one.", path);
        }
        catch (ItemNotFoundException)
        {
            // With -Follow the file may not exist yet: the evaluation has not started writing.
            return SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }
    }

    private void Write(WatchReport report)
    {
        Progress(_session?.Progress ?? new WatchProgress(report.ItemsRead, report.Matched, report.Observations, report.Comparison.Delta, report.Comparison.CiLower, report.Comparison.CiUpper, report.ClustersComplete, report.ClustersTotal), completed: true);
        WriteObject(report);
        _written = true;
    }

    private void Progress(WatchProgress p, bool completed)
    {
        var record = new ProgressRecord(2, "Watch-EvalGate", WatchReportText.ProgressLine(p))
        {
            RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        WriteProgress(record);
    }

    /// <summary>A pipeline object as an item; null (with a non-terminating error) when it is not one.</summary>
    private RunFrameItem? ToItem(object? input)
    {
        var value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case RunFrameItem item:
                return item;
            case string line when line.TrimStart().StartsWith('{'):
                RunFrameItem? parsed = null;
                Try(() => parsed = ParseLine(line), terminating: true);
                return parsed;
        }

        var obj = PSObject.AsPSObject(input);
        var id = Property(obj, "ItemId", "item_id");
        var score = Property(obj, "Score", "score");
        var epoch = Property(obj, "Epoch", "epoch");
        if (id is null || score is null)
        {
            WriteError(Error(EvalSigError.RunFrameInvalid, EvalSigErrorKind.InvalidData, $"Watch-EvalGate takes candidate items with ItemId (item_id) and Score (score), RunFrameItems, or JSON lines; this {value?.GetType().Name ?? "null"} has no {(id is null ? "ItemId" : "Score")}.", input));
            return null;
        }

        try
        {
            return new RunFrameItem(
                Convert.ToString(id, CultureInfo.InvariantCulture)!,
                Convert.ToDouble(score, CultureInfo.InvariantCulture),
                null,
                epoch is null ? 0 : Convert.ToInt32(epoch, CultureInfo.InvariantCulture),
                null);
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            WriteError(Error(EvalSigError.RunFrameInvalid, EvalSigErrorKind.InvalidData, $"Candidate item '{id}': score '{score}' is not a number.", input));
            return null;
        }
    }

    private RunFrameItem ParseLine(string line)
    {
        using var stream = new System.IO.MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
        foreach (var item in WatchFeed.FromStream(stream, "(pipeline)", ReadOptions() with { Format = RunFrameFormat.Auto }, Cancellation))
        {
            return item;
        }

        throw new EvalSigException(EvalSigError.RunFrameInvalid, EvalSigErrorKind.InvalidData, "The pipeline line holds no item.", line);
    }

    private static object? Property(PSObject obj, string name, string alternative)
    {
        var p = obj.Properties[name] ?? obj.Properties[alternative];
        var v = p?.Value;
        return v is PSObject inner ? inner.BaseObject : v;
    }

    private sealed class QueueProgress : IProgress<WatchProgress>
    {
        private readonly BlockingCollection<WatchProgress> _queue;

        public QueueProgress(BlockingCollection<WatchProgress> queue) => _queue = queue;

        public void Report(WatchProgress value)
        {
            try
            {
                _queue.TryAdd(value);
            }
            catch (InvalidOperationException)
            {
                // Completed.
            }
        }
    }
}
