using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Files;

namespace EvalSig.Core.RunFrames;

/// <summary>Reading, validating and writing RunFrame files in every supported format.</summary>
public static class RunFrameFile
{
    /// <summary>
    /// Reads and validates a RunFrame; nothing is returned unless the whole file is valid. The path may
    /// be a file (also an unseekable one such as <c>/dev/stdin</c> or a process substitution), or a HELM
    /// run folder.
    /// </summary>
    /// <exception cref="RunFrameInvalidException">Every problem found, with item index and field.</exception>
    /// <exception cref="EvalSigException">RunFrameNotFound, RunFrameFormatUnknown or RunFrameUnsupported.</exception>
    public static RunFrame Read(string path, RunFrameReadOptions? options = null, CancellationToken cancel = default)
        => Parse(path, options ?? RunFrameReadOptions.Default, cancel).Build();

    /// <summary>Every problem in a RunFrame file, without building the frame. Empty when valid.</summary>
    public static IReadOnlyList<RunFrameProblem> Validate(string path, RunFrameReadOptions? options = null, CancellationToken cancel = default)
        => Parse(path, options ?? RunFrameReadOptions.Default, cancel).Validate();

    /// <summary>
    /// Reads a RunFrame from a stream that need not be seekable (standard input, a pipe); the format
    /// is detected from the first bytes unless given. <paramref name="name"/> names the input in
    /// messages and provenance (<c>-</c> for standard input).
    /// </summary>
    public static RunFrame Read(Stream stream, string name, RunFrameReadOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return ParseStream(stream, name, null, options ?? RunFrameReadOptions.Default, cancel).Build();
    }

    /// <summary>Every problem in a RunFrame read from a stream.</summary>
    public static IReadOnlyList<RunFrameProblem> Validate(Stream stream, string name, RunFrameReadOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        return ParseStream(stream, name, null, options ?? RunFrameReadOptions.Default, cancel).Validate();
    }

    /// <summary>Reads a RunFrame from its text (RunFrame JSON or JSONL, or a tool's JSON log), e.g. from Get-Content -Raw.</summary>
    public static RunFrame ReadText(string text, RunFrameReadOptions? options = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var stream = new MemoryStream(new UTF8Encoding(false).GetBytes(text), writable: false);
        return ParseStream(stream, TextSource, null, options ?? RunFrameReadOptions.Default, cancel).Build();
    }

    /// <summary>Whether a string is RunFrame content rather than a path: it starts (after white space) with { or [.</summary>
    public static bool LooksLikeContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.AsSpan().TrimStart();
        return t.Length > 0 && (t[0] == '{' || t[0] == '[');
    }

    /// <summary>The name text input gets in messages and provenance.</summary>
    public const string TextSource = "(text)";

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
                throw new EvalSigException(EvalSigError.RunFrameUnsupported, EvalSigErrorKind.InvalidArgument, $"RunFrames are written as Json, Jsonl, Csv or Parquet; {format} is an input format only.", format);
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
        if (Directory.Exists(path))
        {
            if (o.Format is RunFrameFormat.Auto or RunFrameFormat.Helm && File.Exists(Path.Combine(path, Harness.HelmRun.StatsFile)))
            {
                return ParseHelm(path, o, cancel);
            }

            throw new EvalSigException(
                EvalSigError.RunFrameNotFound,
                EvalSigErrorKind.ObjectNotFound,
                $"'{path}' is a directory, not a RunFrame file (nor a HELM run folder: it has no {Harness.HelmRun.StatsFile}).",
                path);
        }

        if (!File.Exists(path))
        {
            throw new EvalSigException(
                EvalSigError.RunFrameNotFound,
                EvalSigErrorKind.ObjectNotFound,
                $"The RunFrame file '{path}' does not exist.",
                path);
        }

        if (o.Format is RunFrameFormat.Auto or RunFrameFormat.Helm && string.Equals(Path.GetFileName(path), Harness.HelmRun.StatsFile, StringComparison.Ordinal))
        {
            return ParseHelm(Path.GetDirectoryName(Path.GetFullPath(path))!, o, cancel);
        }

        if (o.Format == RunFrameFormat.Helm)
        {
            throw new EvalSigException(EvalSigError.RunFrameUnsupported, EvalSigErrorKind.InvalidArgument, $"A HELM run is a folder: give the folder that holds {Harness.HelmRun.StatsFile}, not '{path}'.", path);
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.ReadError, $"The RunFrame file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        using (stream)
        {
            return ParseStream(stream, path, path, o, cancel);
        }
    }

    private static RunFrameBuilder ParseHelm(string folder, RunFrameReadOptions o, CancellationToken cancel)
    {
        var b = new RunFrameBuilder(folder);
        try
        {
            Harness.HelmRun.Read(folder, b, o, cancel);
        }
        catch (Exception ex) when (ReaderFailure.IsDataFailure(ex))
        {
            ReaderFailure.Report(b, RunFrameFormat.Helm, ex, null);
        }

        ApplyRunFieldDefaults(b, folder, o, RunFrameFormat.Helm);
        return b;
    }

    /// <summary>
    /// Reads the first bytes, decides the format, then hands the reader a stream that replays those
    /// bytes before the rest: nothing here seeks, so pipes and standard input work like files.
    /// </summary>
    private static RunFrameBuilder ParseStream(Stream stream, string name, string? filePath, RunFrameReadOptions o, CancellationToken cancel)
        => ParseStream(stream, name, filePath, o, null, cancel);

    private static RunFrameBuilder ParseStream(Stream stream, string name, string? filePath, RunFrameReadOptions o, string? transcodedFrom, CancellationToken cancel)
    {
        try
        {
            return ParseStreamCore(stream, name, filePath, o, transcodedFrom, cancel);
        }
        catch (Exception ex) when (ReaderFailure.IsDataFailure(ex))
        {
            // Detection and the transcoder read before any reader runs; their failures are the file's too.
            var b = new RunFrameBuilder(filePath ?? name);
            ReaderFailure.Report(b, o.Format, ex, transcodedFrom);
            return b;
        }
    }

    private static RunFrameBuilder ParseStreamCore(Stream stream, string name, string? filePath, RunFrameReadOptions o, string? transcodedFrom, CancellationToken cancel, bool skipComments = false)
    {
        var head = new byte[DetectBytes];
        var n = ReadFully(stream, head);

        // Text in UTF-16 or UTF-32 is read through a transcoder to UTF-8 when its byte order mark says
        // which it is (a strict one: a lone surrogate is an error, not a replacement character).
        if (transcodedFrom is null && o.Format is not RunFrameFormat.Parquet && TextEncodings.FromByteOrderMark(head.AsSpan(0, n)) is { } bom)
        {
            using var rest = new ReplayStream(head[bom.Length..n], n - bom.Length, stream);
            using var utf8 = Encoding.CreateTranscodingStream(rest, bom.Encoding, new UTF8Encoding(false, true), leaveOpen: true);
            return ParseStream(utf8, name, filePath, o, bom.Name, cancel);
        }

        var format = o.Format == RunFrameFormat.Auto ? Detect(name, filePath, head.AsSpan(0, n), n < head.Length) : o.Format;
        if (format == RunFrameFormat.Helm)
        {
            throw new EvalSigException(EvalSigError.RunFrameUnsupported, EvalSigErrorKind.InvalidArgument, $"A HELM run is a folder ({Harness.HelmRun.StatsFile}, scenario_state.json, run_spec.json): give the run folder's path; '{name}' cannot be read as one.", name);
        }

        var zip = n >= 4 && head.AsSpan(0, 4).SequenceEqual(ZipMagic);
        var b = new RunFrameBuilder(filePath ?? name);
        if (format is not RunFrameFormat.Parquet && !(format is RunFrameFormat.Inspect && zip) && TextEncodings.Unmarked(head.AsSpan(0, n)) is { } unmarked)
        {
            // Without a byte order mark, UTF-16 and UTF-32 text shows as NUL bytes; read as UTF-8 it
            // would be garbage (a CSV of one odd column), so it is refused by name.
            b.MalformedText(unmarked.Reason, null, unmarked.Byte + 1);
            ApplyRunFieldDefaults(b, filePath ?? name, o, format);
            return b;
        }

        if (n == head.Length && stream.CanSeek && format is RunFrameFormat.Json or RunFrameFormat.Jsonl or RunFrameFormat.Csv)
        {
            ReserveFromHead(b, format, head, stream.Length);
        }

        // JSON may carry comments (they are skipped), but looking for them slows the tokenizer (issue 16). A
        // large file that can be read again is first read as if it had none; only if that fails is it read
        // again from the start, with comments skipped, and that reading decides (a file with comments, or a
        // malformed one, then costs two readings).
        var commentsPossible = skipComments || !(format == RunFrameFormat.Json && n == head.Length && stream.CanSeek && stream.Length >= NoCommentsFirstFrom);

        using var input = new ReplayStream(head, n, stream);
        try
        {
            ReadFormat(stream, input, format, zip, b, o, name, filePath, commentsPossible, cancel);
            if (!commentsPossible && b.Malformed)
            {
                stream.Position = 0;
                return ParseStreamCore(stream, name, filePath, o, transcodedFrom, cancel, skipComments: true);
            }
        }
        catch (Exception ex) when (ReaderFailure.IsDataFailure(ex))
        {
            ReaderFailure.Report(b, format, ex, transcodedFrom);
        }

        if (format is RunFrameFormat.Json or RunFrameFormat.Jsonl or RunFrameFormat.Csv or RunFrameFormat.Parquet)
        {
            b.Provenance = new RunFrameProvenance(format, name, "EvalSig RunFrame", null, null, o.HasToolChoices
                ? ToolChoicesIgnored
                : Array.Empty<string>());
        }

        ApplyRunFieldDefaults(b, filePath ?? name, o, format);
        return b;
    }

    private static void ReadFormat(Stream stream, ReplayStream input, RunFrameFormat format, bool zip, RunFrameBuilder b, RunFrameReadOptions o, string name, string? filePath, bool commentsPossible, CancellationToken cancel)
    {
        switch (format)
        {
            case RunFrameFormat.Json:
                RunFrameJsonReader.Read(input, b, cancel, commentsPossible);
                break;
            case RunFrameFormat.Jsonl:
                RunFrameJsonlReader.Read(input, b, o, cancel);
                break;
            case RunFrameFormat.Csv:
                RunFrameCsvReader.Read(input, b, o, cancel);
                break;
            case RunFrameFormat.Parquet:
                if (stream.CanSeek)
                {
                    stream.Position = 0;
                    RunFrameParquet.Read(stream, b, cancel);
                }
                else
                {
                    // Parquet's footer is at the end: an unseekable input is buffered first.
                    using var copy = new MemoryStream();
                    input.CopyTo(copy);
                    copy.Position = 0;
                    RunFrameParquet.Read(copy, b, cancel);
                }

                break;
            case RunFrameFormat.LmEval:
                Harness.LmEvalSamples.Read(input, b, o, name, filePath, cancel);
                break;
            case RunFrameFormat.Inspect:
                Harness.InspectLog.Read(input, zip, b, o, name, filePath, cancel);
                break;
            default:
                throw new EvalSigException(EvalSigError.RunFrameUnsupported, EvalSigErrorKind.InvalidArgument, $"'{name}' cannot be read as {format}.", name);
        }
    }

    private const int DetectBytes = 64 * 1024;

    /// <summary>JSON files this large are first read without looking for comments (a small one costs too little to matter).</summary>
    private const long NoCommentsFirstFrom = 4 << 20;

    /// <summary>
    /// Sizes the columns once from the file's length and its first 64 KB (items per byte there; for JSON
    /// also the mean id length), so that a large file is not read into columns that grow step by step.
    /// An estimate only: the columns still grow if the rest of the file is denser.
    /// </summary>
    private static void ReserveFromHead(RunFrameBuilder b, RunFrameFormat format, ReadOnlySpan<byte> head, long length)
    {
        // Issue 16: every column is sized once from the first 64 KB (ids, cluster labels and metadata too),
        // so that neither growth nor a final trim leaves a copy behind: each would be a second column alive
        // at the moment memory peaks.
        var est = format == RunFrameFormat.Csv ? HeadEstimate.OfCsv(head) : HeadEstimate.OfJson(head);
        if (format != RunFrameFormat.Json)
        {
            var lines = head.Count((byte)'\n');
            if (est.Items < lines / 2)
            {
                est = new HeadEstimate { Items = lines, IdBytes = 12L * lines }; // ids not found: one item per line, 12 bytes each
            }
        }

        if (est.Items < 8)
        {
            return;
        }

        // The head's sizes scaled by bytes, with 5% to spare: a frame keeps the slack (it reads only its first
        // Count entries), and a file denser than its head grows its columns once or twice.
        var scale = (double)length / head.Length * 1.05;
        var estimate = (int)Math.Min(Math.Min(est.Items * scale + 64, length / 8.0), Array.MaxLength);
        b.ReserveLike(est, scale, estimate, maxMetadataBytes: length);
    }

    private static readonly string[] ToolChoicesIgnored = { "-Metric, -Filter, -ScoreKey and -Perturbation apply to evaluation-tool logs; a RunFrame file has one score per item, so they were not used" };

    private static ReadOnlySpan<byte> ZipMagic => "PK\u0003\u0004"u8;

    private static int ReadFully(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var k = stream.Read(buffer, total, buffer.Length - total);
            if (k == 0)
            {
                break;
            }

            total += k;
        }

        return total;
    }

    /// <summary>
    /// Run fields given by the caller win. Line- and row-based files often carry none, so they
    /// default: run id to the file name, model and task to "unknown", metric to the score column.
    /// </summary>
    private static void ApplyRunFieldDefaults(RunFrameBuilder b, string path, RunFrameReadOptions o, RunFrameFormat format)
    {
        var h = b.Header;
        var lineBased = format is RunFrameFormat.Jsonl or RunFrameFormat.Csv;
        var defaultRunId = path is "-" ? "stdin" : path == TextSource ? "text" : Path.GetFileNameWithoutExtension(path);
        b.Header = h with
        {
            RunId = o.RunId ?? (lineBased && string.IsNullOrEmpty(h.RunId) ? defaultRunId : h.RunId),
            ModelId = o.ModelId ?? (lineBased && string.IsNullOrEmpty(h.ModelId) ? "unknown" : h.ModelId),
            TaskId = o.TaskId ?? (lineBased && string.IsNullOrEmpty(h.TaskId) ? "unknown" : h.TaskId),
            MetricName = o.MetricName ?? (lineBased && string.IsNullOrEmpty(h.MetricName) ? o.ScoreColumn : h.MetricName),
        };
    }

    /// <summary>
    /// The format from the content first (an evaluation tool's log is recognised by its fields, so a
    /// samples .jsonl or an Inspect .json is not mistaken for a RunFrame), then from the extension.
    /// </summary>
    internal static RunFrameFormat Detect(string name, string? filePath, ReadOnlySpan<byte> head, bool complete)
    {
        var ext = Path.GetExtension(filePath ?? name).ToUpperInvariant();
        if (head.Length >= 4 && head[..4].SequenceEqual("PAR1"u8))
        {
            return RunFrameFormat.Parquet;
        }

        if (head.Length >= 4 && head[..4].SequenceEqual(ZipMagic))
        {
            return RunFrameFormat.Inspect;
        }

        if (ext is ".CSV")
        {
            return RunFrameFormat.Csv;
        }

        var text = head.TrimStart("\xEF\xBB\xBF \t\r\n"u8);
        if (text.Length > 0 && text[0] == (byte)'{')
        {
            var (names, secondObject) = TopLevelNames(text, complete);
            if (names.Contains("doc_id") && (names.Contains("doc") || names.Contains("resps") || names.Contains("filtered_resps") || names.Contains("arguments") || names.Contains("doc_hash")))
            {
                return RunFrameFormat.LmEval;
            }

            if (names.Contains("eval") && (names.Contains("version") || names.Contains("status") || names.Contains("samples")))
            {
                return RunFrameFormat.Inspect;
            }

            if (FormatFromExtension(filePath ?? name) is { } byExtension)
            {
                return byExtension;
            }

            return secondObject ? RunFrameFormat.Jsonl : RunFrameFormat.Json;
        }

        if (text.Length > 0 && text[0] == (byte)'[' && text.IndexOf("\"instance_id\""u8) >= 0)
        {
            return RunFrameFormat.Helm;
        }

        if (FormatFromExtension(filePath ?? name) is { } f)
        {
            return f;
        }

        throw new EvalSigException(
            EvalSigError.RunFrameFormatUnknown,
            EvalSigErrorKind.InvalidData,
            $"Cannot tell the format of '{name}': it is not RunFrame JSON, JSONL, CSV or Parquet, an lm-evaluation-harness samples file, an Inspect log or a HELM run. Give -Format (--format).",
            name);
    }

    /// <summary>The property names of the first object (depth 1), and whether another value follows it (JSONL).</summary>
    private static (HashSet<string> Names, bool SecondObject) TopLevelNames(ReadOnlySpan<byte> text, bool complete)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var r = new Utf8JsonReader(text, complete, default);
        try
        {
            while (r.Read())
            {
                if (r.TokenType == JsonTokenType.PropertyName && r.CurrentDepth == 1)
                {
                    names.Add(r.GetString()!);
                }
                else if (r.TokenType == JsonTokenType.EndObject && r.CurrentDepth == 0)
                {
                    var rest = text[(int)r.BytesConsumed..].TrimStart(" \t\r\n"u8);
                    return (names, rest.Length > 0 && rest[0] == (byte)'{');
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Python's bare NaN, a cut-off head or a name that is not UTF-8: the names seen so far decide.
        }

        return (names, false);
    }
}
