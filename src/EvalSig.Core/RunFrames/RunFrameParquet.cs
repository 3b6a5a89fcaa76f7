using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Parquet;
using Parquet.Schema;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// The run-store Parquet schema: <c>project_id, run_id, model_id, task_id, metric_name, item_id,
/// cluster_id, epoch:int32, score:double, config_hash, ts:timestamp(us, UTC), metadata_json</c>.
/// </summary>
internal static class RunFrameParquet
{
    private const int RowGroupSize = 1 << 20;

    private static readonly DataField<string> ProjectId = new(RunFrameColumns.ProjectId, true);
    private static readonly DataField<string> RunIdField = new(RunFrameColumns.RunId, true);
    private static readonly DataField<string> ModelId = new(RunFrameColumns.ModelId, true);
    private static readonly DataField<string> TaskId = new(RunFrameColumns.TaskId, true);
    private static readonly DataField<string> MetricName = new(RunFrameColumns.MetricName, true);
    private static readonly DataField<string> ItemId = new(RunFrameColumns.ItemId, false);
    private static readonly DataField<string> ClusterId = new(RunFrameColumns.ClusterId, true);
    private static readonly DataField<int> Epoch = new(RunFrameColumns.Epoch, false);
    private static readonly DataField<double> Score = new(RunFrameColumns.Score, false);
    private static readonly DataField<string> ConfigHash = new(RunFrameColumns.ConfigHash, true);
    private static readonly DateTimeDataField Ts = new(RunFrameColumns.Ts, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true);
    private static readonly DataField<string> MetadataJson = new(RunFrameColumns.MetadataJson, true);

    public static readonly ParquetSchema Schema = new(ProjectId, RunIdField, ModelId, TaskId, MetricName, ItemId, ClusterId, Epoch, Score, ConfigHash, Ts, MetadataJson);

    public static void Write(RunFrame frame, Stream stream, CancellationToken cancel)
        => WriteAsync(frame, stream, cancel).GetAwaiter().GetResult();

    public static async Task WriteAsync(RunFrame frame, Stream stream, CancellationToken cancel)
    {
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        await using var writer = await ParquetWriter.CreateAsync(Schema, stream, options, append: false, cancel).ConfigureAwait(false);
        var n = frame.Count;
        for (var start = 0; start < n || (n == 0 && start == 0); start += RowGroupSize)
        {
            cancel.ThrowIfCancellationRequested();
            var count = Math.Min(RowGroupSize, n - start);
            using var rg = writer.CreateRowGroup();
            await rg.WriteAsync(ProjectId, Repeat(frame.ProjectId, count)).ConfigureAwait(false);
            await rg.WriteAsync(RunIdField, Repeat(frame.RunId, count)).ConfigureAwait(false);
            await rg.WriteAsync(ModelId, Repeat(frame.ModelId, count)).ConfigureAwait(false);
            await rg.WriteAsync(TaskId, Repeat(frame.TaskId, count)).ConfigureAwait(false);
            await rg.WriteAsync(MetricName, Repeat(frame.MetricName, count)).ConfigureAwait(false);
            await rg.WriteAsync(ItemId, new ArraySegment<string>(frame.ItemIdArray, start, count)).ConfigureAwait(false);
            await rg.WriteAsync(ClusterId, new ArraySegment<string?>(frame.ClusterIdArray, start, count)!).ConfigureAwait(false);
            await rg.WriteAsync<int>(Epoch, frame.EpochArray.AsMemory(start, count), cancellationToken: cancel).ConfigureAwait(false);
            await rg.WriteAsync<double>(Score, frame.ScoreArray.AsMemory(start, count), cancellationToken: cancel).ConfigureAwait(false);
            await rg.WriteAsync(ConfigHash, Repeat(frame.ConfigHash, count)).ConfigureAwait(false);
            var ts = new DateTime?[count];
            if (frame.Timestamp is { } t)
            {
                Array.Fill(ts, t.UtcDateTime);
            }

            await rg.WriteAsync<DateTime>(Ts, ts.AsMemory(), cancellationToken: cancel).ConfigureAwait(false);
            await rg.WriteAsync(MetadataJson, new ArraySegment<string?>(frame.MetadataArray, start, count)!).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
        }
    }

    public static void Read(Stream stream, RunFrameBuilder b, CancellationToken cancel)
        => ReadAsync(stream, b, cancel).GetAwaiter().GetResult();

    private static async Task ReadAsync(Stream stream, RunFrameBuilder b, CancellationToken cancel)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, null, leaveStreamOpen: true, cancel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            b.MalformedText("not a readable Parquet file: " + ex.Message, null, null);
            return;
        }

        await using (reader.ConfigureAwait(false))
        {
            var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
            DataField? F(string name) => fields.TryGetValue(name, out var f) ? f : null;
            var item = F(RunFrameColumns.ItemId);
            var score = F(RunFrameColumns.Score);
            if (item is null || score is null)
            {
                b.Problem(null, item is null ? RunFrameColumns.ItemId : RunFrameColumns.Score, $"the Parquet file has no '{(item is null ? RunFrameColumns.ItemId : RunFrameColumns.Score)}' column; found {string.Join(", ", fields.Keys)}");
                b.ItemsFieldMissing = true;
                return;
            }

            var run = new RunFieldAccumulator(b);
            var total = 0L;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                cancel.ThrowIfCancellationRequested();
                using var rg = reader.OpenRowGroupReader(g);
                var n = checked((int)rg.RowCount);
                var ids = await ReadStrings(rg, item, n, cancel).ConfigureAwait(false);
                var scores = await ReadDoubles(rg, score, n, b, checked((int)total), cancel).ConfigureAwait(false);
                var clusters = F(RunFrameColumns.ClusterId) is { } cf ? await ReadStrings(rg, cf, n, cancel).ConfigureAwait(false) : new string?[n];
                var epochs = F(RunFrameColumns.Epoch) is { } ef ? await ReadInts(rg, ef, n, cancel).ConfigureAwait(false) : new int[n];
                var meta = F(RunFrameColumns.MetadataJson) is { } mf ? await ReadStrings(rg, mf, n, cancel).ConfigureAwait(false) : new string?[n];

                foreach (var name in new[] { RunFrameColumns.ProjectId, RunFrameColumns.RunId, RunFrameColumns.ModelId, RunFrameColumns.TaskId, RunFrameColumns.MetricName, RunFrameColumns.ConfigHash })
                {
                    if (F(name) is { } rf && n > 0)
                    {
                        // Run-level columns hold one value repeated on every row: when the column
                        // chunk's statistics say so, take it from there rather than decode n strings.
                        if (ConstantString(rg, rf, n) is { } constant)
                        {
                            run.Observe(name, constant.Value, (int)total);
                            continue;
                        }

                        var values = await ReadStrings(rg, rf, n, cancel).ConfigureAwait(false);
                        ObserveDistinct(run, name, values, (int)total);
                    }
                }

                if (F(RunFrameColumns.Ts) is { } tf && n > 0)
                {
                    var ts = new DateTime?[n];
                    await rg.ReadAsync<DateTime>(tf, ts.AsMemory(), null, cancel).ConfigureAwait(false);
                    foreach (var t in ts.Distinct())
                    {
                        run.Observe(RunFrameColumns.Ts, t is null ? null : Time.IsoTime.Format(new DateTimeOffset(DateTime.SpecifyKind(t.Value, DateTimeKind.Utc))), (int)total);
                    }
                }

                // Columns outside the run-store schema become item metadata (so any column can be a cluster key).
                var extras = new List<(string Name, object?[] Values)>();
                foreach (var f in fields.Values.Where(f => Array.IndexOf(RunFrameColumns.All, f.Name) < 0))
                {
                    if (await ReadPlain(rg, f, n, cancel).ConfigureAwait(false) is { } values)
                    {
                        extras.Add((f.Name, values));
                    }
                }

                for (var i = 0; i < n; i++)
                {
                    var m = meta[i];
                    var metadata = string.IsNullOrEmpty(m) ? null : MetadataText.Normalize(m, b, b.Count);
                    if (extras.Count > 0)
                    {
                        var d = new Json.OrderedStringDictionary();
                        foreach (var (name, values) in extras)
                        {
                            d[name] = values[i];
                        }

                        metadata = MetadataText.Merge(metadata, d);
                    }

                    b.Add(ids[i], scores[i], clusters[i], epochs[i], metadata);
                }

                total += n;
            }

            b.Header = run.ToHeader();
        }
    }

    /// <summary>The single value of a column chunk whose statistics prove it constant, else null.</summary>
    private static Box? ConstantString(ParquetRowGroupReader rg, DataField f, int n)
    {
        var stats = rg.GetStatistics(f);
        if (stats is null)
        {
            return null;
        }

        if (stats.NullCount == n)
        {
            return new Box(null);
        }

        if (stats.NullCount == 0 && stats.MinValue is { } min && stats.MaxValue is { } max && Equals(Text(min), Text(max)))
        {
            return new Box(Text(min));
        }

        return null;
    }

    private static string? Text(object value) => value switch
    {
        string s => s,
        byte[] b => System.Text.Encoding.UTF8.GetString(b),
        ReadOnlyMemory<char> m => m.ToString(),
        _ => null,
    };

    private sealed record Box(string? Value);

    /// <summary>A column outside the schema as plain values, when its type is a string, number or boolean.</summary>
    private static async Task<object?[]?> ReadPlain(ParquetRowGroupReader rg, DataField f, int n, CancellationToken cancel)
    {
        var t = f.ClrType;
        if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
        {
            return (await ReadStrings(rg, f, n, cancel).ConfigureAwait(false)).Cast<object?>().ToArray();
        }

        if (t == typeof(double))
        {
            var v = new double?[n];
            await rg.ReadAsync<double>(f, v.AsMemory(), null, cancel).ConfigureAwait(false);
            return v.Select(x => (object?)x).ToArray();
        }

        if (t == typeof(long))
        {
            var v = new long?[n];
            await rg.ReadAsync<long>(f, v.AsMemory(), null, cancel).ConfigureAwait(false);
            return v.Select(x => (object?)x).ToArray();
        }

        if (t == typeof(int))
        {
            var v = new int?[n];
            await rg.ReadAsync<int>(f, v.AsMemory(), null, cancel).ConfigureAwait(false);
            return v.Select(x => (object?)x).ToArray();
        }

        if (t == typeof(bool))
        {
            var v = new bool?[n];
            await rg.ReadAsync<bool>(f, v.AsMemory(), null, cancel).ConfigureAwait(false);
            return v.Select(x => (object?)x).ToArray();
        }

        return null; // other types (nested, binary, dates) are not item metadata
    }

    private static void ObserveDistinct(RunFieldAccumulator run, string name, string?[] values, int firstIndex)
    {
        var last = values[0];
        run.Observe(name, last, firstIndex);
        for (var i = 1; i < values.Length; i++)
        {
            if (!string.Equals(values[i], last, StringComparison.Ordinal))
            {
                last = values[i];
                run.Observe(name, last, firstIndex + i);
            }
        }
    }

    private static async Task<string?[]> ReadStrings(ParquetRowGroupReader rg, DataField f, int n, CancellationToken cancel)
    {
        var values = new string?[n];
        if (f.ClrType != typeof(string) && f.ClrType != typeof(ReadOnlyMemory<char>))
        {
            throw new InvalidDataException($"column '{f.Name}' must hold strings, not {f.ClrType.Name}");
        }

        await rg.ReadAsync(f, values.AsMemory()!, null, cancel).ConfigureAwait(false);
        return values;
    }

    private static async Task<double[]> ReadDoubles(ParquetRowGroupReader rg, DataField f, int n, RunFrameBuilder b, int firstIndex, CancellationToken cancel)
    {
        var values = new double[n];
        if (f.ClrType == typeof(double) && !f.IsNullable)
        {
            await rg.ReadAsync<double>(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
            return values;
        }

        if (f.ClrType == typeof(double))
        {
            var nullable = new double?[n];
            await rg.ReadAsync<double>(f, nullable.AsMemory(), null, cancel).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
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
            var floats = new float?[n];
            await rg.ReadAsync<float>(f, floats.AsMemory(), null, cancel).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
            {
                values[i] = floats[i] ?? double.NaN;
            }

            return values;
        }

        throw new InvalidDataException($"column 'score' must hold doubles, not {f.ClrType.Name}");
    }

    private static async Task<int[]> ReadInts(ParquetRowGroupReader rg, DataField f, int n, CancellationToken cancel)
    {
        var values = new int[n];
        if (f.ClrType == typeof(int) && !f.IsNullable)
        {
            await rg.ReadAsync<int>(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
            return values;
        }

        if (f.ClrType == typeof(int))
        {
            var nullable = new int?[n];
            await rg.ReadAsync<int>(f, nullable.AsMemory(), null, cancel).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
            {
                values[i] = nullable[i] ?? 0;
            }

            return values;
        }

        if (f.ClrType == typeof(long))
        {
            var longs = new long?[n];
            await rg.ReadAsync<long>(f, longs.AsMemory(), null, cancel).ConfigureAwait(false);
            for (var i = 0; i < n; i++)
            {
                values[i] = checked((int)(longs[i] ?? 0));
            }

            return values;
        }

        throw new InvalidDataException($"column 'epoch' must hold int32, not {f.ClrType.Name}");
    }

    private static string?[] Repeat(string? value, int count)
    {
        var a = new string?[count];
        Array.Fill(a, value);
        return a;
    }
}
