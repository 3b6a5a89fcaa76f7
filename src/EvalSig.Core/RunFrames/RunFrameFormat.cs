namespace EvalSig.Core.RunFrames;

/// <summary>File formats a RunFrame is read from and written to.</summary>
public enum RunFrameFormat
{
    /// <summary>Decide from the file extension, then from the first bytes.</summary>
    Auto,

    /// <summary>RunFrame v1 JSON, the public EVALSIG format: one object with an items array.</summary>
    Json,

    /// <summary>One item object per line.</summary>
    Jsonl,

    /// <summary>One item per row, with a header row.</summary>
    Csv,

    /// <summary>The run-store schema.</summary>
    Parquet,
}
