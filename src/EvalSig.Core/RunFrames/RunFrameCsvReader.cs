using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
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
        using var csv = new Utf8CsvReader(stream);
        try
        {
            ReadRecords(csv, b, o, cancel);
        }
        catch (FormatException ex)
        {
            b.MalformedText("malformed CSV: " + ex.Message, csv.RecordLine, null);
        }
        catch (InvalidUtf8Exception ex)
        {
            b.MalformedText(ex.Message, ex.Line, ex.ByteInLine);
        }
    }

    private static void ReadRecords(Utf8CsvReader csv, RunFrameBuilder b, RunFrameReadOptions o, CancellationToken cancel)
    {
        if (!csv.Read())
        {
            b.Problem(null, null, "the CSV file is empty; it needs a header row and one row per item");
            b.ItemsFieldMissing = true;
            return;
        }

        var names = new string[csv.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = (csv.FieldString(i) ?? string.Empty).Trim();
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

        // What each other column is: a run field (held once while it repeats), metadata, or skipped.
        var role = new int[names.Length];
        for (var c = 0; c < names.Length; c++)
        {
            role[c] = c == item || c == score || c == cluster || c == epoch || c == meta ? Skip
                : RunFrameColumns.IsRunField(names[c]) ? RunField
                : names[c].Length > 0 ? Extra
                : Skip;
        }

        var run = new RunFieldAccumulator(b);
        var lastRun = new byte[names.Length][];
        var lastRunLength = new int[names.Length];
        var metadataBuffer = new ArrayBufferWriter<byte>(256);
        using var metadataWriter = new Utf8JsonWriter(metadataBuffer, JsonValues.WriterOptions());
        while (csv.Read())
        {
            if ((b.Count & 0xFFF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            var count = csv.Count;
            if (count == 1 && csv.IsNull(0))
            {
                continue; // blank line
            }

            var index = b.Count;
            if (count != names.Length)
            {
                b.Problem(index, null, string.Create(CultureInfo.InvariantCulture, $"line {csv.RecordLine} has {count} fields but the header has {names.Length}"));
            }

            var id = item < count ? csv.Field(item) : default;
            if (id.IsEmpty)
            {
                b.Problem(index, o.ItemColumn, $"required field '{o.ItemColumn}' is empty");
            }

            var scoreText = score < count ? csv.Field(score) : default;
            var s = double.NaN;
            if (RunFrameJsonlReader.IsBlank(scoreText))
            {
                b.ScoreProblem(index, $"required field '{o.ScoreColumn}' is empty");
            }
            else if (!Utf8Numbers.TryParsePlainDouble(scoreText, out s) && !double.TryParse(scoreText, NumberStyles.Float, CultureInfo.InvariantCulture, out s))
            {
                b.ScoreProblem(index, $"score must be a number, not '{Encoding.UTF8.GetString(scoreText)}'");
                s = double.NaN;
            }

            var e = 0;
            var epochText = epoch >= 0 && epoch < count ? csv.Field(epoch) : default;
            if (!Utf8Numbers.TryParseDigit(epochText, out e) && !RunFrameJsonlReader.IsBlank(epochText) && !int.TryParse(epochText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out e))
            {
                b.Problem(index, o.EpochColumn, $"epoch must be an integer >= 0, not '{Encoding.UTF8.GetString(epochText)}'");
                e = 0;
            }

            var metadata = meta >= 0 && meta < count && MetadataText.NormalizeUtf8(csv.Field(meta), b, index, metadataBuffer, metadataWriter);
            OrderedStringDictionary? extras = null;
            for (var c = 0; c < names.Length && c < count; c++)
            {
                if (role[c] == RunField)
                {
                    // Observing the value last observed changes nothing: no string while a run field repeats.
                    var value = csv.Field(c);
                    var isNull = csv.IsNull(c);
                    if (lastRun[c] is { } last && (isNull ? lastRunLength[c] < 0 : lastRunLength[c] >= 0 && value.SequenceEqual(last.AsSpan(0, lastRunLength[c]))))
                    {
                        continue;
                    }

                    if (lastRun[c] is null || lastRun[c].Length < value.Length)
                    {
                        lastRun[c] = new byte[Math.Max(value.Length, 64)];
                    }

                    value.CopyTo(lastRun[c]);
                    lastRunLength[c] = isNull ? -1 : value.Length;
                    run.Observe(names[c], csv.FieldString(c), index);
                }
                else if (role[c] == Extra)
                {
                    extras ??= new OrderedStringDictionary();
                    extras[names[c]] = csv.FieldString(c);
                }
            }

            var clusterCode = cluster >= 0 && cluster < count && !csv.IsNull(cluster) ? b.ClusterCode(csv.Field(cluster)) : -1;
            ReadOnlySpan<byte> metadataJson = metadata ? metadataBuffer.WrittenSpan : default;
            if (extras is not null)
            {
                var merged = MetadataText.Merge(metadata ? Encoding.UTF8.GetString(metadataJson) : null, extras);
                metadataJson = merged is null ? default : Encoding.UTF8.GetBytes(merged);
            }

            if (id.IsEmpty)
            {
                b.AddWithoutId(s, clusterCode, e, metadataJson);
            }
            else
            {
                b.AddUtf8(id, s, clusterCode, e, metadataJson);
            }
        }

        b.Header = run.ToHeader();
    }

    private const int Skip = 0;
    private const int RunField = 1;
    private const int Extra = 2;
}
