using System;
using System.Collections.Generic;
using static System.FormattableString;

namespace EvalSig.Core.Gating;

/// <summary>
/// The warnings a user should see at once, not only in the notes: the comparison covers few of the
/// items (low coverage), or rests on few independent units (clusters or pairs below the gate's
/// sample limits, <see cref="SampleLimits"/>). The cmdlets write them with Write-Warning.
/// </summary>
public static class SampleWarnings
{
    /// <summary>Below this share of the larger run paired, coverage is low (the same 95% as Pairing's note).</summary>
    public const double MinCoverage = 0.95;

    public static IReadOnlyList<string> Of(Comparison c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var warnings = new List<string>();
        if (!c.Unpaired)
        {
            var larger = Math.Max(c.NPairs + c.OnlyInBaseline, c.NPairs + c.OnlyInCandidate);
            if (larger > 0 && c.NPairs < MinCoverage * larger)
            {
                warnings.Add(Invariant($"Low coverage: {c.NPairs} of {larger} items are paired ({100.0 * c.NPairs / larger:0.#}%); {c.OnlyInBaseline} only in the baseline, {c.OnlyInCandidate} only in the candidate. The result speaks only for the paired items."));
            }
        }

        if (c.Limitation == GateReason.TooFewClusters)
        {
            warnings.Add(Invariant($"Too few clusters: {c.NClusters} clusters is below what {c.Method} needs to support a decision (docs/methodology.md, sample limits)."));
        }
        else if (c.Limitation == GateReason.TooFewPairs)
        {
            warnings.Add(Invariant($"Too few pairs: {c.NPairs} paired items is below what {c.Method} needs to support a decision (docs/methodology.md, sample limits)."));
        }
        else if (c.NClusters > 0 && c.NClusters < SampleLimits.MinClustersForClusterBootstrap && c.ClusterKey is not null)
        {
            warnings.Add(Invariant($"Few clusters: {c.NClusters} clusters (below {SampleLimits.MinClustersForClusterBootstrap}); the effective sample size is the number of clusters, not items, so the interval is wide and small-sample corrections apply."));
        }

        return warnings;
    }
}
