using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Core.RunFrames.Harness;

namespace EvalSig.Core.Sequential;

/// <summary>
/// Candidate items from a growing JSONL file or a stream, line by line as they are written: RunFrame
/// JSONL items (item_id, score, epoch) or lm-evaluation-harness samples lines (doc_id and the
/// metric). Only complete lines are read (a line still being written waits for its newline); with
/// <c>follow</c> the end of the file is not the end of the stream until it stops growing for the
/// idle timeout. A line that is not a valid item stops the watch with its line number.
/// </summary>
public static class WatchFeed
{
    /// <summary>Items from a file; with follow, waits for it to appear and to grow.</summary>
    public static Items FromFile(string path, RunFrameReadOptions read, bool follow, TimeSpan idleTimeout, TimeSpan? pollInterval = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(read);
        return new Items(() => OpenFile(path, follow, idleTimeout, pollInterval ?? TimeSpan.FromMilliseconds(200), cancel), Path.GetFileNameWithoutExtension(path), read, follow, idleTimeout, pollInterval ?? TimeSpan.FromMilliseconds(200), cancel);
    }

    /// <summary>Items from a stream (standard input, a pipe): read until it ends.</summary>
    public static Items FromStream(Stream stream, string name, RunFrameReadOptions read, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new Items(() => stream, name == "-" ? "stdin" : name, read, false, TimeSpan.Zero, TimeSpan.Zero, cancel);
    }

    private static FileStream OpenFile(string path, bool follow, TimeSpan idle, TimeSpan poll, CancellationToken cancel)
    {
        var waited = TimeSpan.Zero;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
            }
            catch (FileNotFoundException) when (follow && waited < idle)
            {
                cancel.WaitHandle.WaitOne(poll);
                cancel.ThrowIfCancellationRequested();
                waited += poll;
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new EvalSigException(EvalSigError.RunFrameNotFound, EvalSigErrorKind.ObjectNotFound, $"The candidate file '{path}' does not exist.", path, ex);
            }
        }
    }

    /// <summary>The item stream; after enumeration, <see cref="RunId"/> holds the candidate's run id when the lines carried one.</summary>
    public sealed class Items : IEnumerable<RunFrameItem>
    {
        private readonly Func<Stream> _open;
        private readonly string _name;
        private readonly RunFrameReadOptions _read;
        private readonly bool _follow;
        private readonly TimeSpan _idle;
        private readonly TimeSpan _poll;
        private readonly CancellationToken _cancel;

        internal Items(Func<Stream> open, string name, RunFrameReadOptions read, bool follow, TimeSpan idle, TimeSpan poll, CancellationToken cancel)
        {
            (_open, _name, _read, _follow, _idle, _poll, _cancel) = (open, name, read, follow, idle, poll, cancel);
            RunId = name;
        }

        public string? RunId { get; private set; }

        public IEnumerator<RunFrameItem> GetEnumerator()
        {
            var parser = new LineParser(_read, _name);
            using var stream = _open();
            var buffer = new byte[1 << 16];
            var line = new MemoryStream();
            long lineNo = 0;
            var idle = TimeSpan.Zero;
            while (true)
            {
                _cancel.ThrowIfCancellationRequested();
                var n = stream.Read(buffer, 0, buffer.Length);
                if (n == 0)
                {
                    if (!_follow || idle >= _idle)
                    {
                        break;
                    }

                    _cancel.WaitHandle.WaitOne(_poll);
                    idle += _poll;
                    continue;
                }

                idle = TimeSpan.Zero;
                var start = 0;
                for (var i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)'\n')
                    {
                        continue;
                    }

                    line.Write(buffer, start, i - start);
                    start = i + 1;
                    lineNo++;
                    var item = parser.Parse(line.GetBuffer().AsSpan(0, (int)line.Length), lineNo);
                    line.SetLength(0);
                    if (parser.RunId is { } id)
                    {
                        RunId = id;
                    }

                    if (item is not null)
                    {
                        yield return item;
                    }
                }

                line.Write(buffer, start, n - start);
            }

            // A last line without a newline is complete once the stream has ended.
            if (line.Length > 0)
            {
                var item = parser.Parse(line.GetBuffer().AsSpan(0, (int)line.Length), lineNo + 1);
                if (item is not null)
                {
                    yield return item;
                }
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>One line to one item. The lm-eval metric and filter are fixed by the first line that needs them.</summary>
    private sealed class LineParser
    {
        private readonly RunFrameReadOptions _read;
        private readonly string _name;
        private string? _metric;
        private string? _filter;

        public LineParser(RunFrameReadOptions read, string name)
        {
            (_read, _name) = (read, name);
            _metric = read.Metric;
            _filter = read.Filter;
        }

        public string? RunId { get; private set; }

        public RunFrameItem? Parse(ReadOnlySpan<byte> utf8, long lineNo)
        {
            var text = Encoding.UTF8.GetString(utf8).Trim();
            if (text.Length == 0)
            {
                return null;
            }

            JsonDocument doc;
            try
            {
                doc = PythonJson.Parse(text);
            }
            catch (JsonException ex)
            {
                throw Bad(lineNo, "malformed JSON: " + ex.Message.Split(" LineNumber:")[0].Trim());
            }

            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw Bad(lineNo, "not a JSON object; each line is one item");
                }

                return root.TryGetProperty("doc_id", out _) ? LmEval(text, lineNo) : RunFrameLine(root, lineNo);
            }
        }

        private RunFrameItem RunFrameLine(JsonElement root, long lineNo)
        {
            if (root.TryGetProperty(RunFrameColumns.RunId, out var rid) && rid.ValueKind == JsonValueKind.String)
            {
                RunId = rid.GetString();
            }

            string? id = root.TryGetProperty(_read.ItemColumn, out var idv) ? idv.ValueKind switch
            {
                JsonValueKind.String => idv.GetString(),
                JsonValueKind.Number => idv.GetRawText(),
                _ => null,
            } : null;
            if (id is null)
            {
                throw Bad(lineNo, $"'{_read.ItemColumn}' is missing or not a string");
            }

            if (!root.TryGetProperty(_read.ScoreColumn, out var sv) || PythonJson.NumberOf(sv) is not { } score || !double.IsFinite(score))
            {
                throw Bad(lineNo, $"'{_read.ScoreColumn}' is missing or not a finite number");
            }

            var epoch = root.TryGetProperty(_read.EpochColumn, out var ev) && ev.ValueKind == JsonValueKind.Number && ev.TryGetInt32(out var e) ? e : 0;
            return new RunFrameItem(id, score, null, epoch, null);
        }

        private RunFrameItem? LmEval(string text, long lineNo)
        {
            var row = LmEvalSamples.ParseLine(text, lineNo, out var error) ?? throw Bad(lineNo, error!);
            _filter ??= row.Filter;
            if (row.Filter != _filter)
            {
                if (_read.Filter is not null)
                {
                    return null;
                }

                throw Bad(lineNo, $"the samples have filters '{_filter}' and '{row.Filter}'; choose one with -Filter or --filter");
            }

            if (_metric is null)
            {
                if (row.Values.Count != 1)
                {
                    throw Bad(lineNo, row.Values.Count == 0
                        ? "the line has no per-item numeric metric"
                        : $"the line has per-item metrics {LmEvalSamples.Quote(row.Values.Keys)}; choose one with -Metric or --metric");
                }

                foreach (var k in row.Values.Keys)
                {
                    _metric = k;
                }
            }

            if (!row.Values.TryGetValue(_metric!, out var v) || !double.IsFinite(v))
            {
                throw Bad(lineNo, row.Values.ContainsKey(_metric!) ? $"'{_metric}' is not a finite number" : $"no metric '{_metric}' on this line");
            }

            return row.DocId is null ? throw Bad(lineNo, "'doc_id' is missing") : new RunFrameItem(row.DocId, v, null, 0, null);
        }

        private RunFrameInvalidException Bad(long lineNo, string message)
            => new RunFrameInvalidException(_name, new[] { new RunFrameProblem(_name, null, null, message, lineNo, null) });
    }
}
