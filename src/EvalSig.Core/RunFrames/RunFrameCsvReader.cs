using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using EvalSig.Core.Json;
using EvalSig.Core.Text;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// CSV with a header row, one item per row. Columns outside the schema become item metadata
/// (as strings), so any column can serve as a cluster key.
/// </summary>
internal static class RunFrameCsvReader
{
    public static void Read(Stream stream, RunFrameBuilder b, RunFrameReadOptions o, CancellationToken cancel)
    {
        using var text = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var csv = new CsvRecordReader(text);
        var header = new List<string?>();
        var row = new List<string?>();
        try
        {
            if (!csv.Read(header))
            {
                b.Problem(null, null, "the CSV file is empty; it needs a header row and one row per item");
                b.ItemsFieldMissing = true;
                return;
            }

            var names = new string[header.Count];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = (header[i] ?? string.Empty).Trim();
            }

            var item = Array.IndexOf(names, o.ItemColumn);
            var score = Array.IndexOf(names, o.ScoreColumn);
            var cluster = Array.IndexOf(names, o.ClusterColumn);
            var epoch = Array.IndexOf(names, o.EpochColumn);
            var meta = Array.IndexOf(names, RunFrameColumns.MetadataJson);
            if (item < 0)
            {
                b.Problem(null, o.ItemColumn, $"the header has no '{o.ItemColumn}' column (use -ItemColumn to name another): found {string.Join(", ", names)}");
            }

            if (score < 0)
            {
                b.Problem(null, o.ScoreColumn, $"the header has no '{o.ScoreColumn}' column (use -ScoreColumn to name another): found {string.Join(", ", names)}");
            }

            if (item < 0 || score < 0)
            {
                b.ItemsFieldMissing = true;
                return;
            }

            var run = new RunFieldAccumulator(b);
            while (csv.Read(row))
            {
                if ((b.Count & 0xFFF) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                }

                if (row.Count == 1 && row[0] is null)
                {
                    continue; // blank line
                }

                var index = b.Count;
                if (row.Count != names.Length)
                {
                    b.Problem(index, null, string.Create(CultureInfo.InvariantCulture, $"line {csv.RecordLine} has {row.Count} fields but the header has {names.Length}"));
                }

                string? Field(int col) => col >= 0 && col < row.Count ? row[col] : null;

                var id = Field(item);
                if (string.IsNullOrEmpty(id))
                {
                    b.Problem(index, o.ItemColumn, $"required field '{o.ItemColumn}' is empty");
                }

                var scoreText = Field(score);
                var s = double.NaN;
                if (string.IsNullOrWhiteSpace(scoreText))
                {
                    b.ScoreProblem(index, $"required field '{o.ScoreColumn}' is empty");
                }
                else if (!double.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out s))
                {
                    b.ScoreProblem(index, $"score must be a number, not '{scoreText}'");
                    s = double.NaN;
                }

                var e = 0;
                var epochText = Field(epoch);
                if (!string.IsNullOrWhiteSpace(epochText) && !int.TryParse(epochText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out e))
                {
                    b.Problem(index, o.EpochColumn, $"epoch must be an integer >= 0, not '{epochText}'");
                    e = 0;
                }

                var metadata = meta >= 0 ? MetadataText.Normalize(Field(meta), b, index) : null;
                OrderedStringDictionary? extras = null;
                for (var c = 0; c < names.Length && c < row.Count; c++)
                {
                    if (c == item || c == score || c == cluster || c == epoch || c == meta)
                    {
                        continue;
                    }

                    if (RunFrameColumns.IsRunField(names[c]))
                    {
                        run.Observe(names[c], row[c], index);
                    }
                    else if (names[c].Length > 0)
                    {
                        extras ??= new OrderedStringDictionary();
                        extras[names[c]] = row[c];
                    }
                }

                if (extras is not null)
                {
                    metadata = MetadataText.Merge(metadata, extras);
                }

                b.Add(string.IsNullOrEmpty(id) ? null : id, s, Field(cluster), e, metadata);
            }

            b.Header = run.ToHeader();
        }
        catch (FormatException ex)
        {
            b.MalformedText("malformed CSV: " + ex.Message, csv.RecordLine, null);
        }
    }
}
