using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using EvalSig.Bridge;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// The run-store Parquet schema: <c>project_id, run_id, model_id, task_id, metric_name, item_id,
/// cluster_id, epoch:int32, score:double, config_hash, ts:timestamp(us, UTC), metadata_json</c>.
/// Parquet itself is reached through <see cref="ParquetTableReader"/> and <see cref="ParquetTableWriter"/>
/// (EvalSig.Bridge), so Parquet.Net stays in the module's own load context.
/// </summary>
internal static class RunFrameParquet
{
    // Issue 16: a reader holds a row group's columns at once, so the group's size bounds its memory. 128K rows
    // (DuckDB writes 122,880) keep that to a few MB per column while statistics and compression work on large
    // enough chunks; 1M-row groups made a 1M-item read hold whole-file columns of Parquet.Net's values.
    internal const int RowGroupSize = 1 << 17;

    public static readonly IReadOnlyList<ParquetColumn> Schema =
    [
        new(RunFrameColumns.ProjectId, typeof(string), true),
        new(RunFrameColumns.RunId, typeof(string), true),
        new(RunFrameColumns.ModelId, typeof(string), true),
        new(RunFrameColumns.TaskId, typeof(string), true),
        new(RunFrameColumns.MetricName, typeof(string), true),
        new(RunFrameColumns.ItemId, typeof(string), false),
        new(RunFrameColumns.ClusterId, typeof(string), true),
        new(RunFrameColumns.Epoch, typeof(int), false),
        new(RunFrameColumns.Score, typeof(double), false),
        new(RunFrameColumns.ConfigHash, typeof(string), true),
        new(RunFrameColumns.Ts, typeof(DateTime), true),
        new(RunFrameColumns.MetadataJson, typeof(string), true),
    ];

    public static void Write(RunFrame frame, Stream stream, CancellationToken cancel)
    {
        using var writer = ParquetTableWriter.Create(stream, Schema, cancel);
        var n = frame.Count;
        for (var start = 0; start < n || (n == 0 && start == 0); start += RowGroupSize)
        {
            cancel.ThrowIfCancellationRequested();
            var count = Math.Min(RowGroupSize, n - start);
            using var rg = writer.BeginRowGroup();
            rg.WriteStrings(Repeat(frame.ProjectId, count));
            rg.WriteStrings(Repeat(frame.RunId, count));
            rg.WriteStrings(Repeat(frame.ModelId, count));
            rg.WriteStrings(Repeat(frame.TaskId, count));
            rg.WriteStrings(Repeat(frame.MetricName, count));
            rg.WriteStrings(Slice(frame.ItemId, start, count));
            rg.WriteStrings(Slice(frame.ClusterId, start, count));
            rg.WriteRequired<int>(frame.Columns.Epochs is { } epochs ? epochs.AsMemory(start, count) : new int[count]);
            rg.WriteRequired<double>(frame.ScoreArray.AsMemory(start, count));
            rg.WriteStrings(Repeat(frame.ConfigHash, count));
            var ts = new DateTime?[count];
            if (frame.Timestamp is { } t)
            {
                Array.Fill(ts, t.UtcDateTime);
            }

            rg.WriteNullable<DateTime>(ts);
            rg.WriteStrings(Slice(frame.Metadata, start, count));
            if (n == 0)
            {
                break;
            }
        }
    }

    /// <summary>
    /// The AppContext switch <c>EvalSig.RunFrames.ReturnMemoryBetweenRowGroups</c> (issue 16): a full, non-compacting
    /// collection after each row group but the last. Off by default (a host such as PowerShell has its own
    /// heap to think of); the evalsig CLI sets it in its runtimeconfig.json.
    /// </summary>
    internal static bool ReturnMemoryBetweenRowGroups => AppContext.TryGetSwitch("EvalSig.RunFrames.ReturnMemoryBetweenRowGroups", out var on) && on;

    public static void Read(Stream stream, RunFrameBuilder b, CancellationToken cancel)
    {
        if (ParquetFooter.Check(stream) is { } bad)
        {
            b.MalformedText("not a readable Parquet file: " + bad.Reason, null, bad.Byte);
            return;
        }

        try
        {
            ReadTable(stream, b, cancel);
        }
        catch (InvalidDataException ex)
        {
            b.MalformedText(ex.Message.StartsWith("not a readable Parquet file", StringComparison.Ordinal) ? ex.Message : "not a readable Parquet file: " + ex.Message, null, null);
        }
    }

    private static void ReadTable(Stream stream, RunFrameBuilder b, CancellationToken cancel)
    {
        using var reader = ParquetTableReader.Open(stream, cancel);
        var fields = reader.Columns.ToDictionary(f => f.Name, StringComparer.Ordinal);
        ParquetColumn? F(string name) => fields.TryGetValue(name, out var f) ? f : null;
        var item = F(RunFrameColumns.ItemId);
        var score = F(RunFrameColumns.Score);
        if (item is null || score is null)
        {
            b.Problem(null, item is null ? RunFrameColumns.ItemId : RunFrameColumns.Score, $"the Parquet file has no '{(item is null ? RunFrameColumns.ItemId : RunFrameColumns.Score)}' column; found {string.Join(", ", fields.Keys)}");
            b.ItemsFieldMissing = true;
            return;
        }

        var run = new RunFieldAccumulator(b);
        var buffers = new GroupBuffers();
        var total = 0L;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                ReadRowGroup(reader, stream, g, b, fields, item, score, run, buffers, ref total, stream.CanSeek ? stream.Length : 0, cancel);
                if (ReturnMemoryBetweenRowGroups && g + 1 < reader.RowGroupCount)
                {
                    // Parquet.Net decodes each column chunk into fresh large arrays (bytes and chars, a few MB per
                    // column); left to the GC's own pace they pile up over the row groups of a file. A process
                    // that owns its memory budget (the evalsig CLI) turns this on: the next group reuses them.
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
                }
            }
            catch (InvalidDataException ex)
            {
                // Name the row group: in a file of many, it tells which part is damaged.
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"row group {g} of {reader.RowGroupCount}: {Unprefixed(ex.Message)}"), ex);
            }
        }

        b.Header = run.ToHeader();
    }

    /// <summary>Arrays one row group fills and the next reuses (issue 16: no per-group garbage of this kind).</summary>
    private sealed class GroupBuffers
    {
        public readonly ParquetPages Pages = new();
        public readonly ParquetTextChunk Ids = new();
        public readonly ParquetTextChunk ClusterText = new();
        public readonly ParquetTextChunk Metadata = new();
        public double[] Scores = [];
        public bool[] ScoreNulls = [];
        public int[] Clusters = [];
        public int[] Epochs = [];

        public static T[] Room<T>(ref T[] buffer, int n) => buffer.Length >= n ? buffer : buffer = new T[n];
    }

    private static void ReadRowGroup(ParquetTableReader reader, Stream stream, int g, RunFrameBuilder b, Dictionary<string, ParquetColumn> fields, ParquetColumn item, ParquetColumn score, RunFieldAccumulator run, GroupBuffers buffers, ref long total, long fileLength, CancellationToken cancel)
    {
        ParquetColumn? F(string name) => fields.TryGetValue(name, out var f) ? f : null;
        {
            using var rg = reader.OpenRowGroup(g);
            var n = rg.RowCount;
            if (g == 0)
            {
                // Row groups are usually of one size: room for all of them at once. Only a hint, so it is capped
                // by what the file could hold (a footer can claim any count; a damaged 1 KB file must not make
                // us reserve a gigabyte): at most eight rows per byte of file, and 64M rows.
                b.Reserve(Claimed(reader, n, fileLength), 0);
            }

            // Issue 16: text columns come as UTF-16 slices (no string per row) and are read in the order they
            // always were (so a file with several bad columns names the same one first); cluster labels become
            // codes at once, ids are transcoded into the builder row by row, and a run-level column makes a
            // string only where its value changes.
            // Issue 16: where ParquetPages can decode a chunk, text arrives as UTF-8 slices of one reused buffer.
            using var ids = ReadText(rg, item, stream, buffers, buffers.Ids, cancel);
            var scores = ReadDoubles(rg, score, stream, b, checked((int)total), buffers, cancel);
            int[]? clusters = null;
            if (F(RunFrameColumns.ClusterId) is { } cf)
            {
                using var text = ReadText(rg, cf, stream, buffers, buffers.ClusterText, cancel);
                clusters = GroupBuffers.Room(ref buffers.Clusters, n);
                for (var i = 0; i < n; i++)
                {
                    clusters[i] = text.IsNull(i) ? -1 : b.ClusterCode(text.Utf8(i));
                }
            }

            // An epoch column of one value (the usual all-zero one) is taken from its statistics, not decoded.
            var epochs = F(RunFrameColumns.Epoch) is not { } ef ? null
                : ef.ClrType == typeof(int) && rg.TryGetConstant<int>(ef.Name, out var e32) ? Constant(e32 ?? 0)
                : ef.ClrType == typeof(long) && rg.TryGetConstant<long>(ef.Name, out var e64) && e64 is null or (>= int.MinValue and <= int.MaxValue) ? Constant((int)(e64 ?? 0))
                : ReadInts(rg, ef, stream, buffers, cancel);
            int[]? Constant(int epoch) => epoch == 0 ? null : Enumerable.Repeat(epoch, n).ToArray();
            using var meta = F(RunFrameColumns.MetadataJson) is { } mf ? ReadText(rg, mf, stream, buffers, buffers.Metadata, cancel) : null;

            foreach (var name in new[] { RunFrameColumns.ProjectId, RunFrameColumns.RunId, RunFrameColumns.ModelId, RunFrameColumns.TaskId, RunFrameColumns.MetricName, RunFrameColumns.ConfigHash })
            {
                if (F(name) is { } rf && n > 0)
                {
                    // Run-level columns hold one value repeated on every row: when the column
                    // chunk's statistics say so, take it from there rather than decode n values.
                    if (rg.TryGetConstantString(rf.Name, out var constant))
                    {
                        run.Observe(name, constant, (int)total);
                        continue;
                    }

                    using var text = rg.ReadText(rf.Name, cancel);
                    ObserveDistinct(run, name, text, (int)total);
                }
            }

            if (F(RunFrameColumns.Ts) is { } tf && n > 0)
            {
                if (tf.ClrType != typeof(DateTime))
                {
                    throw new InvalidDataException($"column '{RunFrameColumns.Ts}' must hold timestamps, not {TypeName(tf)}");
                }

                foreach (var t in rg.TryGetConstant<DateTime>(tf.Name, out var only) ? [only] : rg.ReadNullable<DateTime>(tf.Name, cancel).Distinct())
                {
                    run.Observe(RunFrameColumns.Ts, t is null ? null : Time.IsoTime.Format(new DateTimeOffset(DateTime.SpecifyKind(t.Value, DateTimeKind.Utc))), (int)total);
                }
            }

            // Columns outside the run-store schema become item metadata (so any column can be a cluster key).
            var extras = new List<(string Name, object?[] Values)>();
            foreach (var f in fields.Values.Where(f => Array.IndexOf(RunFrameColumns.All, f.Name) < 0))
            {
                if (ReadPlain(rg, f, cancel) is { } values)
                {
                    extras.Add((f.Name, values));
                }
            }

            var metadataBuffer = new ArrayBufferWriter<byte>(256);
            using var metadataWriter = new Utf8JsonWriter(metadataBuffer, Json.JsonValues.WriterOptions());
            for (var i = 0; i < n; i++)
            {
                if ((i & 0xFFFF) == 0)
                {
                    cancel.ThrowIfCancellationRequested();
                }

                ReadOnlySpan<byte> metadata = default;
                if (meta is not null && !meta.IsNull(i) && meta.Utf8(i) is { IsEmpty: false } metaText && MetadataText.NormalizeUtf8(metaText, b, b.Count, metadataBuffer, metadataWriter))
                {
                    metadata = metadataBuffer.WrittenSpan;
                }

                if (extras.Count > 0)
                {
                    var d = new Json.OrderedStringDictionary();
                    foreach (var (name, values) in extras)
                    {
                        d[name] = values[i];
                    }

                    var merged = MetadataText.Merge(metadata.IsEmpty ? null : Encoding.UTF8.GetString(metadata), d);
                    metadata = merged is null ? default : Encoding.UTF8.GetBytes(merged);
                }

                var cluster = clusters is null ? -1 : clusters[i];
                var epoch = epochs is null ? 0 : epochs[i];
                if (ids.IsNull(i))
                {
                    b.AddWithoutId(scores[i], cluster, epoch, metadata);
                }
                else
                {
                    b.AddUtf8(ids.Utf8(i), scores[i], cluster, epoch, metadata);
                }
            }

            total += n;
            if (g == 0)
            {
                // The first group shows how long ids, labels and metadata run: room for all groups at once.
                b.ReserveInProportion(Claimed(reader, n, fileLength));
            }
        }
    }

    /// <summary>
    /// The rows the footer claims (exact for a sound file, so the score column needs no trim), capped by
    /// what the file could hold: a footer can claim any count, and a damaged 1 KB file must not make us
    /// reserve a gigabyte (at most eight rows per byte of file, and 64M rows).
    /// </summary>
    private static int Claimed(ParquetTableReader reader, int firstGroupRows, long fileLength)
    {
        var claimed = Math.Max(reader.TotalRowCount, firstGroupRows);
        return (int)Math.Min(Math.Min(claimed, Math.Max(1024, fileLength * 8)), 1 << 26);
    }

    /// <summary>
    /// A string column of one row group: decoded by <see cref="ParquetPages"/> into <paramref name="slot"/> where it can,
    /// otherwise by Parquet.Net (which also names what is wrong with a damaged chunk).
    /// </summary>
    private static TextSource ReadText(ParquetRowGroup rg, ParquetColumn f, Stream stream, GroupBuffers buffers, ParquetTextChunk slot, CancellationToken cancel)
    {
        if (f.ClrType == typeof(string) && rg.Layout(f.Name) is { } layout && ParquetPages.DecodableText(layout))
        {
            try
            {
                buffers.Pages.ReadText(stream, f.Name, layout, rg.RowCount, slot);
                return new TextSource(slot, null);
            }
            catch (ParquetPagesUnsupportedException)
            {
                // Parquet.Net reads it below.
            }
        }

        return new TextSource(null, rg.ReadText(f.Name, cancel));
    }

    /// <summary>A string column's rows as UTF-8, from whichever reader decoded it.</summary>
    private sealed class TextSource(ParquetTextChunk? utf8, ParquetTextColumn? utf16) : IDisposable
    {
        private byte[] _scratch = [];

        public bool IsNull(int row) => utf8?.IsNull(row) ?? utf16!.IsNull(row);

        /// <summary>Row <paramref name="row"/>'s text (empty for null), valid until the next call.</summary>
        public ReadOnlySpan<byte> Utf8(int row) => utf8 is not null ? utf8[row] : RunFrameParquet.Utf8(utf16![row], ref _scratch);

        public void Dispose() => utf16?.Dispose();
    }

    /// <summary>UTF-16 text as UTF-8 in a reused buffer (valid until the next call with it).</summary>
    private static ReadOnlySpan<byte> Utf8(ReadOnlySpan<char> text, ref byte[] scratch)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (scratch.Length < max)
        {
            scratch = new byte[Math.Max(max, 256)];
        }

        return scratch.AsSpan(0, Encoding.UTF8.GetBytes(text, scratch));
    }

    /// <summary>A column outside the schema as plain values, when its type is a string, number or boolean.</summary>
    private static object?[]? ReadPlain(ParquetRowGroup rg, ParquetColumn f, CancellationToken cancel)
    {
        var t = f.ClrType;
        return t == typeof(string) ? rg.ReadStrings(f.Name, cancel)
            : t == typeof(double) ? Box(rg.ReadNullable<double>(f.Name, cancel))
            : t == typeof(long) ? Box(rg.ReadNullable<long>(f.Name, cancel))
            : t == typeof(int) ? Box(rg.ReadNullable<int>(f.Name, cancel))
            : t == typeof(bool) ? Box(rg.ReadNullable<bool>(f.Name, cancel))
            : null; // other types (nested, binary, dates) are not item metadata
    }

    private static object?[] Box<T>(T?[] values)
        where T : struct
        => Array.ConvertAll(values, x => (object?)x);

    private static void ObserveDistinct(RunFieldAccumulator run, string name, ParquetTextColumn values, int firstIndex)
    {
        // A string only where the value changes: observing the value just observed again changes nothing.
        var last = values.IsNull(0) ? null : values[0].ToString();
        run.Observe(name, last, firstIndex);
        for (var i = 1; i < values.Count; i++)
        {
            var isNull = values.IsNull(i);
            if (isNull ? last is not null : last is null || !values[i].SequenceEqual(last))
            {
                last = isNull ? null : values[i].ToString();
                run.Observe(name, last, firstIndex + i);
            }
        }
    }

    private static double[] ReadDoubles(ParquetRowGroup rg, ParquetColumn f, Stream stream, RunFrameBuilder b, int firstIndex, GroupBuffers buffers, CancellationToken cancel)
    {
        if (f.ClrType == typeof(double) && rg.Layout(f.Name) is { } layout && ParquetPages.DecodableDoubles(layout))
        {
            var n = rg.RowCount;
            var into = GroupBuffers.Room(ref buffers.Scores, n);
            var nulls = f.IsNullable ? GroupBuffers.Room(ref buffers.ScoreNulls, n) : null;
            try
            {
                buffers.Pages.ReadDoubles(stream, f.Name, layout, n, into, nulls);
                for (var i = 0; nulls is not null && i < n; i++)
                {
                    if (nulls[i])
                    {
                        b.ScoreProblem(firstIndex + i, "score is null; every item needs a numeric score");
                    }
                }

                return into;
            }
            catch (ParquetPagesUnsupportedException)
            {
                // Parquet.Net reads it below.
            }
        }

        if (f.ClrType == typeof(double) && !f.IsNullable)
        {
            var into = GroupBuffers.Room(ref buffers.Scores, rg.RowCount);
            rg.ReadRequiredInto<double>(f.Name, into, cancel);
            return into;
        }

        if (f.ClrType == typeof(double))
        {
            var nullable = rg.ReadNullable<double>(f.Name, cancel);
            var values = new double[nullable.Length];
            for (var i = 0; i < values.Length; i++)
            {
                if (nullable[i] is { } v)
                {
                    values[i] = v;
                }
                else
                {
                    values[i] = double.NaN;
                    b.ScoreProblem(firstIndex + i, "score is null; every item needs a numeric score");
                }
            }

            return values;
        }

        if (f.ClrType == typeof(float))
        {
            return Array.ConvertAll(rg.ReadNullable<float>(f.Name, cancel), x => x ?? double.NaN);
        }

        throw new InvalidDataException($"column 'score' must hold doubles, not {TypeName(f)}");
    }

    private static int[] ReadInts(ParquetRowGroup rg, ParquetColumn f, Stream stream, GroupBuffers buffers, CancellationToken cancel)
    {
        if (f.ClrType == typeof(int) && rg.Layout(f.Name) is { } layout && ParquetPages.DecodableInts(layout))
        {
            var into = GroupBuffers.Room(ref buffers.Epochs, rg.RowCount);
            try
            {
                buffers.Pages.ReadInts(stream, f.Name, layout, rg.RowCount, into);
                return into;
            }
            catch (ParquetPagesUnsupportedException)
            {
                // Parquet.Net reads it below.
            }
        }

        if (f.ClrType == typeof(int))
        {
            return f.IsNullable ? Array.ConvertAll(rg.ReadNullable<int>(f.Name, cancel), x => x ?? 0) : rg.ReadRequired<int>(f.Name, cancel);
        }

        if (f.ClrType == typeof(long))
        {
            return Array.ConvertAll(rg.ReadNullable<long>(f.Name, cancel), x => x switch
            {
                null => 0,
                >= int.MinValue and <= int.MaxValue => (int)x.Value,
                _ => throw new InvalidDataException($"column 'epoch' holds {x}, outside int32"),
            });
        }

        throw new InvalidDataException($"column 'epoch' must hold int32, not {TypeName(f)}");
    }

    private static string Unprefixed(string message)
        => message.StartsWith(NotReadable, StringComparison.Ordinal) ? message[NotReadable.Length..] : message;

    private const string NotReadable = "not a readable Parquet file: ";

    private static string TypeName(ParquetColumn f) => f.ClrType?.Name ?? "a nested or binary type";

    private static string?[] Slice(Func<int, string?> get, int start, int count)
    {
        var a = new string?[count];
        for (var i = 0; i < count; i++)
        {
            a[i] = get(start + i);
        }

        return a;
    }

    private static string?[] Repeat(string? value, int count)
    {
        var a = new string?[count];
        Array.Fill(a, value);
        return a;
    }
}
