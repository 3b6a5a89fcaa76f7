using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// The last line of defence of "readers never throw" (issue 15): whatever a reader or a library
/// under it throws on a damaged file becomes a problem of the RunFrame, so the caller gets
/// RunFrameInvalid naming the file and a plain reason, never a raw Thrift, Snappy, zip, JSON or
/// index exception. Readers report what they can with positions themselves; this catches the rest.
/// </summary>
internal static class ReaderFailure
{
    /// <summary>True for every exception that says something about the input, i.e. all but EvalSig's own and cancellation.</summary>
    public static bool IsDataFailure(Exception ex) => ex is not EvalSigException and not OperationCanceledException;

    public static void Report(RunFrameBuilder b, RunFrameFormat format, Exception ex, string? encoding)
    {
        var what = FormatName(format);
        switch (ex)
        {
            case JsonException j:
                b.MalformedText("malformed JSON: " + FirstSentence(j.Message), j.LineNumber + 1, j.BytePositionInLine + 1);
                return;
            case InvalidDataException d:
                b.MalformedText(d.Message.StartsWith("not a readable", StringComparison.Ordinal) ? d.Message : $"not a readable {what}: {d.Message}", null, null);
                return;
            case OutOfMemoryException:
            case InsufficientExecutionStackException:
                b.MalformedText($"it declares sizes or nesting beyond what can be read; the file is damaged or not a {what}", null, null);
                return;
        }

        if (Chain(ex).OfType<DecoderFallbackException>().FirstOrDefault() is { } decode)
        {
            var bytes = decode.BytesUnknown is { Length: > 0 } u ? " (bytes " + string.Join(" ", u.Select(x => x.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))) + ")" : string.Empty;
            b.MalformedText($"the text is not valid {encoding ?? "UTF-8"}{bytes}; save the file as UTF-8", null, null);
            return;
        }

        if (ex is IOException io)
        {
            b.MalformedText($"it could not be read to the end: {io.Message}", null, null);
            return;
        }

        b.MalformedText($"the file is damaged or not a {what}: the reader met an inconsistency ({ex.GetType().Name}: {FirstSentence(ex.Message)})", null, null);
    }

    public static string FormatName(RunFrameFormat format) => format switch
    {
        RunFrameFormat.Json => "RunFrame JSON file",
        RunFrameFormat.Jsonl => "RunFrame JSONL file",
        RunFrameFormat.Csv => "RunFrame CSV file",
        RunFrameFormat.Parquet => "Parquet file",
        RunFrameFormat.LmEval => "lm-evaluation-harness samples file",
        RunFrameFormat.Inspect => "Inspect log",
        RunFrameFormat.Helm => "HELM run",
        _ => "RunFrame",
    };

    private static System.Collections.Generic.IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).Trim();
    }
}
