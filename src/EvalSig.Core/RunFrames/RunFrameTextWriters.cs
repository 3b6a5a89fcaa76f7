using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Core.Json;
using EvalSig.Core.Text;
using EvalSig.Core.Time;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// JSON, JSONL and CSV writers. Scores use the shortest round-trip form, so a file read back
/// gives bit-identical doubles; metadata is written as the JSON it was read as.
/// </summary>
internal static class RunFrameTextWriters
{
    public static void WriteJson(RunFrame f, Stream stream, CancellationToken cancel)
    {
        using var w = new Utf8JsonWriter(stream, JsonValues.WriterOptions(indented: true));
        w.WriteStartObject();
        WriteRunFields(w, f);
        w.WriteStartArray("items");
        for (var i = 0; i < f.Count; i++)
        {
            if ((i & 0xFFFF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
                w.Flush();
            }

            w.WriteStartObject();
            WriteItemFields(w, f, i);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteJsonl(RunFrame f, Stream stream, CancellationToken cancel)
    {
        using var w = new Utf8JsonWriter(stream, JsonValues.WriterOptions());
        for (var i = 0; i < f.Count; i++)
        {
            if ((i & 0xFFFF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            w.WriteStartObject();
            WriteRunFields(w, f);
            WriteItemFields(w, f, i);
            w.WriteEndObject();
            w.Flush();
            stream.WriteByte((byte)'\n');
            w.Reset();
        }
    }

    public static void WriteCsv(RunFrame f, Stream stream, CancellationToken cancel)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        w.WriteLine(string.Join(",", RunFrameColumns.All));
        var ts = f.Timestamp is { } t ? IsoTime.Format(t) : null;
        for (var i = 0; i < f.Count; i++)
        {
            if ((i & 0xFFFF) == 0)
            {
                cancel.ThrowIfCancellationRequested();
            }

            CsvField.Write(w, f.ProjectId);
            w.Write(',');
            CsvField.Write(w, f.RunId);
            w.Write(',');
            CsvField.Write(w, f.ModelId);
            w.Write(',');
            CsvField.Write(w, f.TaskId);
            w.Write(',');
            CsvField.Write(w, f.MetricName);
            w.Write(',');
            CsvField.Write(w, f.ItemId(i));
            w.Write(',');
            CsvField.Write(w, f.ClusterId(i));
            w.Write(',');
            w.Write(f.Epoch(i).ToString(CultureInfo.InvariantCulture));
            w.Write(',');
            w.Write(f.ScoreArray[i].ToString("R", CultureInfo.InvariantCulture));
            w.Write(',');
            CsvField.Write(w, f.ConfigHash);
            w.Write(',');
            CsvField.Write(w, ts);
            w.Write(',');
            CsvField.Write(w, f.Metadata(i));
            w.WriteLine();
        }
    }

    private static void WriteRunFields(Utf8JsonWriter w, RunFrame f)
    {
        if (f.ProjectId is not null)
        {
            w.WriteString(RunFrameColumns.ProjectId, f.ProjectId);
        }

        w.WriteString(RunFrameColumns.RunId, f.RunId);
        w.WriteString(RunFrameColumns.ModelId, f.ModelId);
        w.WriteString(RunFrameColumns.TaskId, f.TaskId);
        w.WriteString(RunFrameColumns.MetricName, f.MetricName);
        if (f.ConfigHash is null)
        {
            w.WriteNull(RunFrameColumns.ConfigHash);
        }
        else
        {
            w.WriteString(RunFrameColumns.ConfigHash, f.ConfigHash);
        }

        if (f.Timestamp is { } t)
        {
            w.WriteString(RunFrameColumns.Ts, IsoTime.Format(t));
        }
    }

    private static void WriteItemFields(Utf8JsonWriter w, RunFrame f, int i)
    {
        w.WriteString(RunFrameColumns.ItemId, f.ItemId(i));
        w.WriteNumber(RunFrameColumns.Score, f.ScoreArray[i]);
        if (f.ClusterId(i) is { } c)
        {
            w.WriteString(RunFrameColumns.ClusterId, c);
        }
        else
        {
            w.WriteNull(RunFrameColumns.ClusterId);
        }

        w.WriteNumber(RunFrameColumns.Epoch, f.Epoch(i));
        w.WritePropertyName("metadata");
        if (f.Metadata(i) is { } m)
        {
            w.WriteRawValue(m, skipInputValidation: true);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }
    }
}
