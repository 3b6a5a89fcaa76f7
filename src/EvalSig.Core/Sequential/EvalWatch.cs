using System;
using System.Collections.Generic;
using System.Threading;
using EvalSig.Core.RunFrames;

namespace EvalSig.Core.Sequential;

/// <summary>The sequential watch: a baseline, a stream of candidate items, an anytime-valid decision.</summary>
public static class EvalWatch
{
    /// <summary>
    /// Feeds the items to a <see cref="WatchSession"/> until the sequence decides, every baseline item
    /// has arrived, or the items run out; reports progress every <paramref name="progressEvery"/> items.
    /// </summary>
    public static WatchReport Run(RunFrame baseline, IEnumerable<RunFrameItem> candidate, WatchOptions options, IProgress<WatchProgress>? progress = null, int progressEvery = 1000, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var session = new WatchSession(baseline, options);
        foreach (var item in candidate)
        {
            cancel.ThrowIfCancellationRequested();
            var decided = session.Observe(item.ItemId, item.Score, item.Epoch);
            if (progress is not null && (session.ItemsRead % Math.Max(1, progressEvery) == 0 || decided))
            {
                progress.Report(session.Progress);
            }

            if (decided || session.Complete)
            {
                break;
            }
        }

        if (candidate is WatchFeed.Items feed && feed.RunId is { } runId)
        {
            session.CandidateRunId = runId;
        }

        return session.Finish();
    }
}
