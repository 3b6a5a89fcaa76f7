namespace EvalSig.Core.RunFrames;

/// <summary>File formats a RunFrame is read from and written to.</summary>
public enum RunFrameFormat
{
    /// <summary>Decide from the content (evaluation-tool logs are recognised by their fields), then the extension.</summary>
    Auto,

    /// <summary>RunFrame v1 JSON, the public EVALSIG format: one object with an items array.</summary>
    Json,

    /// <summary>One item object per line.</summary>
    Jsonl,

    /// <summary>One item per row, with a header row.</summary>
    Csv,

    /// <summary>The run-store schema.</summary>
    Parquet,

    /// <summary>EleutherAI lm-evaluation-harness: a <c>samples_&lt;task&gt;_&lt;timestamp&gt;.jsonl</c> file written with <c>--log_samples</c> (read only).</summary>
    LmEval,

    /// <summary>UK AISI Inspect: an <c>.eval</c> log (zip) or a <c>.json</c> log (read only).</summary>
    Inspect,

    /// <summary>Stanford CRFM HELM: a run folder with <c>per_instance_stats.json</c> (read only).</summary>
    Helm,
}
