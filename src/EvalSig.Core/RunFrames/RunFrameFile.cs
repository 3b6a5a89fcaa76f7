using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;

namespace EvalSig.Core.RunFrames;

/// <summary>Reading, validating and writing RunFrame files in every supported format.</summary>
public static class RunFrameFile
{
    /// <summary>Reads and validates a RunFrame; nothing is returned unless the whole file is valid.</summary>
    /// <exception cref="RunFrameInvalidException">Every problem found, with item index and field.</exception>
    /// <exception cref="EvalSigException">RunFrameNotFound or RunFrameFormatUnknown.</exception>
    public static RunFrame Read(string path, RunFrameReadOptions? options = null, CancellationToken cancel = default)
        => Parse(path, options ?? RunFrameReadOptions.Default, cancel).Build();

    /// <summary>Every problem in a RunFrame file, without building the frame. Empty when valid.</summary>
    public static IReadOnlyList<RunFrameProblem> Validate(string path, RunFrameReadOptions? options = null, CancellationToken cancel = default)
        => Parse(path, options ?? RunFrameReadOptions.Default, cancel).Validate();

    /// <summary>Writes atomically: the target holds the old file or the complete new one.</summary>
    public static void Write(RunFrame frame, string path, RunFrameFormat format, bool noClobber = false, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(path);
        if (format == RunFrameFormat.Auto)
        {
            format = FormatFromExtension(path) ?? throw new EvalSigException(
                EvalSigError.RunFrameFormatUnknown,
                EvalSigErrorKind.InvalidArgument,
                $"Cannot tell the format of '{path}' from its extension; give -Format Json, Jsonl, Csv or Parquet.",
                path);
        }

        AtomicFile.Write(path, stream => WriteTo(frame, stream, format, cancel), noClobber);
    }

    public static void WriteTo(RunFrame frame, Stream stream, RunFrameFormat format, CancellationToken cancel = default)
    {
        switch (format)
        {
            case RunFrameFormat.Json:
                RunFrameTextWriters.WriteJson(frame, stream, cancel);
                break;
            case RunFrameFormat.Jsonl:
                RunFrameTextWriters.WriteJsonl(frame, stream, cancel);
                break;
            case RunFrameFormat.Csv:
                RunFrameTextWriters.WriteCsv(frame, stream, cancel);
                break;
            case RunFrameFormat.Parquet:
                RunFrameParquet.Write(frame, stream, cancel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Choose Json, Jsonl, Csv or Parquet.");
        }
    }

    /// <summary>The format a path's extension names, or null.</summary>
    public static RunFrameFormat? FormatFromExtension(string path) => Path.GetExtension(path).ToUpperInvariant() switch
    {
        ".JSON" => RunFrameFormat.Json,
        ".JSONL" or ".NDJSON" => RunFrameFormat.Jsonl,
        ".CSV" => RunFrameFormat.Csv,
        ".PARQUET" or ".PQ" => RunFrameFormat.Parquet,
        _ => null,
    };

    private static RunFrameBuilder Parse(string path, RunFrameReadOptions o, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new EvalSigException(
                EvalSigError.RunFrameNotFound,
                EvalSigErrorKind.ObjectNotFound,
                Directory.Exists(path) ? $"'{path}' is a directory, not a RunFrame file." : $"The RunFrame file '{path}' does not exist.",
                path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var format = o.Format == RunFrameFormat.Auto ? Detect(path, stream) : o.Format;
        var b = new RunFrameBuilder(path);
        switch (format)
        {
            case RunFrameFormat.Json:
                RunFrameJsonReader.Read(stream, b, cancel);
                break;
            case RunFrameFormat.Jsonl:
                RunFrameJsonlReader.Read(stream, b, o, cancel);
                break;
            case RunFrameFormat.Csv:
                RunFrameCsvReader.Read(stream, b, o, cancel);
                break;
            case RunFrameFormat.Parquet:
                RunFrameParquet.Read(stream, b, cancel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(o), o.Format, "Unknown format.");
        }

        ApplyRunFieldDefaults(b, path, o, format);
        return b;
    }

    /// <summary>
    /// Run fields given by the caller win. Line- and row-based files often carry none, so they
    /// default: run id to the file name, model and task to "unknown", metric to the score column.
    /// </summary>
    private static void ApplyRunFieldDefaults(RunFrameBuilder b, string path, RunFrameReadOptions o, RunFrameFormat format)
    {
        var h = b.Header;
        var lineBased = format is RunFrameFormat.Jsonl or RunFrameFormat.Csv;
        b.Header = h with
        {
            RunId = o.RunId ?? (lineBased && string.IsNullOrEmpty(h.RunId) ? Path.GetFileNameWithoutExtension(path) : h.RunId),
            ModelId = o.ModelId ?? (lineBased && string.IsNullOrEmpty(h.ModelId) ? "unknown" : h.ModelId),
            TaskId = o.TaskId ?? (lineBased && string.IsNullOrEmpty(h.TaskId) ? "unknown" : h.TaskId),
            MetricName = o.MetricName ?? (lineBased && string.IsNullOrEmpty(h.MetricName) ? o.ScoreColumn : h.MetricName),
        };
    }

    private static RunFrameFormat Detect(string path, FileStream stream)
    {
        if (FormatFromExtension(path) is { } f)
        {
            return f;
        }

        Span<byte> head = stackalloc byte[64];
        var n = stream.Read(head);
        stream.Position = 0;
        if (n >= 4 && head[..4].SequenceEqual("PAR1"u8))
        {
            return RunFrameFormat.Parquet;
        }

        var text = head[..n].TrimStart("\xEF\xBB\xBF \t\r\n"u8);
        if (text.Length > 0 && text[0] == (byte)'{')
        {
            return RunFrameFormat.Json;
        }

        throw new EvalSigException(
            EvalSigError.RunFrameFormatUnknown,
            EvalSigErrorKind.InvalidData,
            $"Cannot tell the format of '{path}': its extension is not .json, .jsonl, .csv or .parquet and its content does not look like JSON or Parquet. Give -Format.",
            path);
    }
}
