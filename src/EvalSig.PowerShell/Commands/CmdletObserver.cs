using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using EvalSig.Core.Audit;

namespace EvalSig.Commands;

/// <summary>
/// Core's warnings and progress as WriteWarning / WriteProgress. The engine accepts them only on
/// the pipeline thread, so a report from a worker thread waits in a queue until <see cref="Drain"/>.
/// </summary>
internal sealed class CmdletObserver : IAuditObserver
{
    private readonly Cmdlet _cmdlet;
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private readonly ConcurrentQueue<Action> _pending = new();
    private readonly ProgressRecord _progress = new(2, "EvalSig", "Starting");

    public CmdletObserver(Cmdlet cmdlet) => _cmdlet = cmdlet;

    public void Warning(string message) => Run(() => _cmdlet.WriteWarning(message));

    public void Progress(string activity, string status, double fraction)
    {
        var percent = (int)Math.Clamp(fraction * 100, 0, 100);
        Run(() =>
        {
            _progress.Activity = activity;
            _progress.StatusDescription = status;
            _progress.PercentComplete = percent;
            _progress.RecordType = fraction >= 1 ? ProgressRecordType.Completed : ProgressRecordType.Processing;
            _cmdlet.WriteProgress(_progress);
        });
    }

    /// <summary>Writes what worker threads reported; call on the pipeline thread.</summary>
    public void Drain()
    {
        while (_pending.TryDequeue(out var a))
        {
            a();
        }
    }

    private void Run(Action a)
    {
        if (Environment.CurrentManagedThreadId == _thread)
        {
            Drain();
            a();
        }
        else
        {
            _pending.Enqueue(a);
        }
    }
}
