using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Parquet;
using Parquet.Schema;

namespace EvalSig.Bridge;

/// <summary>
/// Reads the flat columns of a Parquet file, a row group at a time. Whatever Parquet.Net throws on a
/// damaged file (Thrift, Snappy, index and null-reference failures among them) comes out as an
/// <see cref="InvalidDataException"/>; only cancellation passes through unchanged.
/// </summary>
public sealed class ParquetTableReader : IDisposable
{
    private readonly ParquetReader _reader;
    private readonly Dictionary<string, DataField> _fields;
    private readonly Dictionary<string, int> _schemaTypes;

    private ParquetTableReader(ParquetReader reader)
    {
        _reader = reader;
        _fields = new Dictionary<string, DataField>(StringComparer.Ordinal);
        _schemaTypes = SchemaTypes(reader);
        var columns = new List<ParquetColumn>();
        foreach (var f in reader.Schema.GetDataFields())
        {
            if (_fields.TryAdd(f.Name, f))
            {
                columns.Add(new ParquetColumn(f.Name, TypeOf(f), f.IsNullable));
            }
        }

        Columns = columns;
    }

    public IReadOnlyList<ParquetColumn> Columns { get; }

    public int RowGroupCount => _reader.RowGroupCount;

    /// <summary>The rows of all row groups together, as the footer states them (a damaged footer can lie: a hint only).</summary>
    public long TotalRowCount => _reader.Metadata?.RowGroups?.Sum(g => Math.Max(0L, g.NumRows)) ?? 0;

    /// <exception cref="InvalidDataException">The stream is not a readable Parquet file.</exception>
    public static ParquetTableReader Open(Stream stream, CancellationToken cancel)
    {
        ParquetFooterProbe.Check(stream);
        return Guard(() => new ParquetTableReader(ParquetReader.CreateAsync(new ParquetFooterProbe.EndedFile(stream), null, leaveStreamOpen: true, cancel).GetAwaiter().GetResult()));
    }

    /// <summary>True when every <see cref="Open"/> first parses the footer on a stream with an honest end (see ParquetFooterProbe).</summary>
    public static bool FooterProbeActive => ParquetFooterProbe.Available;

    public ParquetRowGroup OpenRowGroup(int index)
        => Guard(() => new ParquetRowGroup(_reader.OpenRowGroupReader(index), _fields, _schemaTypes));

    public void Dispose() => _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException("not a readable Parquet file: " + ex.Message, ex);
        }
    }

    internal static T Guard<T>(Func<Task<T>> read) => Guard(() => read().GetAwaiter().GetResult());

    /// <summary>
    /// The physical type the schema gives each top-level leaf (the type Parquet.Net decodes a column's values as). A
    /// name that occurs twice is left out.
    /// </summary>
    private static Dictionary<string, int> SchemaTypes(ParquetReader reader)
    {
        var types = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var schema = reader.Metadata?.Schema;
        for (var i = 1; schema is not null && i < schema.Count; i++)
        {
            var e = schema[i];
            if (e.Name is { } name && !seen.Add(name))
            {
                types.Remove(name);
            }
            else if (e.Name is not null && e.Type is { } t && (e.NumChildren ?? 0) == 0)
            {
                types[e.Name] = (int)t;
            }
        }

        return types;
    }

    private static Type? TypeOf(DataField f)
    {
        if (f.MaxRepetitionLevel > 0)
        {
            return null; // lists and nested values are not flat columns
        }

        var t = f.ClrType;
        return t == typeof(ReadOnlyMemory<char>) ? typeof(string)
            : t == typeof(string) || t == typeof(int) || t == typeof(long) || t == typeof(float) || t == typeof(double) || t == typeof(bool) ? t
            : t == typeof(DateTime) && f is DateTimeDataField ? t
            : null;
    }
}

/// <summary>One row group of a <see cref="ParquetTableReader"/>: each column read whole.</summary>
public sealed class ParquetRowGroup : IDisposable
{
    private readonly ParquetRowGroupReader _rg;
    private readonly Dictionary<string, DataField> _fields;
    private readonly Dictionary<string, int> _schemaTypes;

    internal ParquetRowGroup(ParquetRowGroupReader rg, Dictionary<string, DataField> fields, Dictionary<string, int> schemaTypes)
    {
        _rg = rg;
        _fields = fields;
        _schemaTypes = schemaTypes;
        RowCount = checked((int)rg.RowCount);
    }

    public int RowCount { get; }

    public string?[] ReadStrings(string column, CancellationToken cancel)
    {
        var f = Field(column);
        if (f.ClrType != typeof(string) && f.ClrType != typeof(ReadOnlyMemory<char>))
        {
            throw new InvalidDataException($"column '{column}' must hold strings, not {f.ClrType.Name}");
        }

        var values = new string?[RowCount];
        ParquetTableReader.Guard(async () =>
        {
            await _rg.ReadAsync(f, values.AsMemory()!, null, cancel).ConfigureAwait(false);
            return 0;
        });
        return values;
    }

    /// <summary>
    /// A string column as UTF-16 slices, one per row, without a string per value (issue 16): the
    /// caller transcodes what it keeps, and run-level or dictionary-encoded columns cost no object per row.
    /// </summary>
    public ParquetTextColumn ReadText(string column, CancellationToken cancel)
    {
        var f = Field(column);
        if (f.ClrType != typeof(string) && f.ClrType != typeof(ReadOnlyMemory<char>))
        {
            throw new InvalidDataException($"column '{column}' must hold strings, not {f.ClrType.Name}");
        }

        var n = RowCount;
        var values = ArrayPool<ReadOnlyMemory<char>>.Shared.Rent(Math.Max(n, 1));
        var levels = f.MaxDefinitionLevel > 0 ? ArrayPool<int>.Shared.Rent(Math.Max(n, 1)) : null;
        try
        {
            // A pooled array holds whatever its last user (Parquet.Net among them) left. Parquet.Net does not say how
            // many values and levels it wrote, and a damaged chunk can hold fewer than the row group's rows: values it
            // did not reach read as empty, not as an earlier column's, and levels it did not reach refuse the column.
            values.AsSpan(0, n).Clear();
            levels?.AsSpan(0, n).Fill(-1);
            ParquetTableReader.Guard(async () =>
            {
                await _rg.ReadRawAsync<ReadOnlyMemory<char>>(f, values.AsMemory(0, n), levels?.AsMemory(0, n), null, cancel).ConfigureAwait(false);
                return 0;
            });
            if (levels is not null && levels.AsSpan(0, n).Contains(-1))
            {
                throw new InvalidDataException($"column '{column}' holds fewer values than its row group's {n} rows");
            }

            return new ParquetTextColumn(values, levels, n);
        }
        catch
        {
            ArrayPool<ReadOnlyMemory<char>>.Shared.Return(values, clearArray: true);
            if (levels is not null)
            {
                ArrayPool<int>.Shared.Return(levels);
            }

            throw;
        }
    }

    /// <summary>A column of <typeparamref name="T"/> whose values may be null.</summary>
    public T?[] ReadNullable<T>(string column, CancellationToken cancel)
        where T : struct
    {
        var f = Typed<T>(column);
        var values = new T?[RowCount];
        ParquetTableReader.Guard(async () =>
        {
            await _rg.ReadAsync<T>(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
            return 0;
        });
        return values;
    }

    /// <summary>
    /// A column of <typeparamref name="T"/> declared without nulls, written into <paramref name="values"/>
    /// (at least <see cref="RowCount"/> long), so one buffer serves every row group of a file.
    /// </summary>
    public void ReadRequiredInto<T>(string column, Memory<T> values, CancellationToken cancel)
        where T : struct
    {
        var f = Typed<T>(column);
        if (f.IsNullable)
        {
            throw new InvalidDataException($"column '{column}' is nullable; read it with ReadNullable");
        }

        ParquetTableReader.Guard(async () =>
        {
            await _rg.ReadAsync<T>(f, values[..RowCount], null, cancel).ConfigureAwait(false);
            return 0;
        });
    }

    /// <summary>
    /// True with the single value of a column chunk whose statistics prove it constant (all null, or
    /// min = max and no null), without decoding its values.
    /// </summary>
    public bool TryGetConstant<T>(string column, out T? value)
        where T : struct
    {
        value = null;
        var f = Field(column);
        if (f.ClrType != typeof(T))
        {
            return false;
        }

        var stats = ParquetTableReader.Guard(() => _rg.GetStatistics(f));
        if (stats is null)
        {
            return false;
        }

        if (stats.NullCount == RowCount)
        {
            return true;
        }

        if (stats.NullCount == 0 && stats.MinValue is T min && stats.MaxValue is T max && min.Equals(max))
        {
            value = min;
            return true;
        }

        return false;
    }

    /// <summary>A column of <typeparamref name="T"/> declared without nulls.</summary>
    public T[] ReadRequired<T>(string column, CancellationToken cancel)
        where T : struct
    {
        var f = Typed<T>(column);
        if (f.IsNullable)
        {
            throw new InvalidDataException($"column '{column}' is nullable; read it with ReadNullable");
        }

        var values = new T[RowCount];
        ParquetTableReader.Guard(async () =>
        {
            await _rg.ReadAsync<T>(f, values.AsMemory(), null, cancel).ConfigureAwait(false);
            return 0;
        });
        return values;
    }

    /// <summary>
    /// True with the single value of a string column chunk whose statistics prove it constant
    /// (all null, or min = max and no null), without decoding its values.
    /// </summary>
    public bool TryGetConstantString(string column, out string? value)
    {
        value = null;
        var f = Field(column);
        var stats = ParquetTableReader.Guard(() => _rg.GetStatistics(f));
        if (stats is null)
        {
            return false;
        }

        if (stats.NullCount == RowCount)
        {
            return true;
        }

        if (stats.NullCount == 0 && stats.MinValue is { } min && stats.MaxValue is { } max && Text(min) is { } lo && lo == Text(max))
        {
            value = lo;
            return true;
        }

        return false;
    }

    /// <summary>
    /// The layout of a column's chunk in this row group (see <see cref="ParquetChunkLayout"/>), or null when the
    /// footer gives none that EvalSig could decode itself (no metadata, an external file, encryption, or a chunk whose
    /// type is not the one the schema gives its column, which Parquet.Net would decode as the schema's).
    /// </summary>
    public ParquetChunkLayout? Layout(string column)
    {
        var f = Field(column);
        var chunk = ParquetTableReader.Guard(() => _rg.GetMetadata(f));
        if (chunk?.MetaData is not { } m || chunk.FilePath is not null || chunk.CryptoMetadata is not null || chunk.EncryptedColumnMetadata is not null
            || f.MaxRepetitionLevel != 0 || !_schemaTypes.TryGetValue(column, out var schemaType) || schemaType != (int)m.Type)
        {
            return null;
        }

        return new ParquetChunkLayout(
            (int)m.Type,
            (int)m.Codec,
            m.Encodings?.Select(e => (int)e).ToArray() ?? [],
            m.DataPageOffset,
            m.DictionaryPageOffset ?? 0,
            m.TotalCompressedSize,
            m.NumValues,
            f.MaxDefinitionLevel,
            f.MaxRepetitionLevel);
    }

    public void Dispose() => _rg.Dispose();

    private static string? Text(object value) => value switch
    {
        string s => s,
        byte[] b => System.Text.Encoding.UTF8.GetString(b),
        ReadOnlyMemory<char> m => m.ToString(),
        _ => null,
    };

    private DataField Field(string column)
        => _fields.TryGetValue(column, out var f) ? f : throw new ArgumentException($"no column '{column}'", nameof(column));

    private DataField Typed<T>(string column)
    {
        var f = Field(column);
        if (f.ClrType != typeof(T) || f.MaxRepetitionLevel > 0)
        {
            throw new InvalidDataException($"column '{column}' holds {f.ClrType.Name}, not {typeof(T).Name}");
        }

        return f;
    }
}

/// <summary>A string column of one row group as UTF-16 slices, one per row (see <see cref="ParquetRowGroup.ReadText"/>).</summary>
public sealed class ParquetTextColumn : IDisposable
{
    private ReadOnlyMemory<char>[] _values;
    private int[]? _levels;

    internal ParquetTextColumn(ReadOnlyMemory<char>[] values, int[]? levels, int count)
    {
        _values = values;
        _levels = levels;
        Count = count;
        if (levels is not null)
        {
            // The reader packs the non-null values first; spread them to their rows, from the back so
            // that no value is overwritten before it is moved (a row never precedes its value).
            var k = 0;
            for (var i = 0; i < count; i++)
            {
                k += levels[i] == 0 ? 0 : 1;
            }

            for (var i = count - 1; i >= 0; i--)
            {
                values[i] = levels[i] == 0 ? default : values[--k];
            }
        }
    }

    public int Count { get; }

    /// <summary>Row <paramref name="row"/>'s text (empty for null).</summary>
    public ReadOnlySpan<char> this[int row] => (uint)row < (uint)Count ? _values[row].Span : throw new ArgumentOutOfRangeException(nameof(row));

    public bool IsNull(int row) => _levels is not null && _levels[row] == 0;

    public void Dispose()
    {
        if (_values.Length > 0)
        {
            ArrayPool<ReadOnlyMemory<char>>.Shared.Return(_values, clearArray: true);
            _values = Array.Empty<ReadOnlyMemory<char>>();
        }

        if (_levels is not null)
        {
            ArrayPool<int>.Shared.Return(_levels);
            _levels = null;
        }
    }
}
