namespace EvalSig.Core.Sequential;

/// <summary>Where a watch stands: candidate items read, observations in the sequence, running delta and interval.</summary>
public sealed record WatchProgress(long ItemsRead, long Matched, long Observations, double Delta, double Lower, double Upper, int ClustersComplete, int ClustersTotal);
