using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Parquet;
using Parquet.Schema;

namespace EvalSig.Bridge;

/// <summary>Writes a flat, snappy-compressed Parquet file, one row group at a time.</summary>
public sealed class ParquetTableWriter : IDisposable
{
    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;
    private readonly CancellationToken _cancel;

    private ParquetTableWriter(ParquetWriter writer, DataField[] fields, CancellationToken cancel)
    {
        _writer = writer;
        _fields = fields;
        _cancel = cancel;
    }

    public static ParquetTableWriter Create(Stream stream, IReadOnlyList<ParquetColumn> schema, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var fields = schema.Select(Field).ToArray();
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        var writer = ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, options, append: false, cancel).GetAwaiter().GetResult();
        return new ParquetTableWriter(writer, fields, cancel);
    }

    /// <summary>Starts a row group; its columns must then be written in schema order.</summary>
    public ParquetRowGroupBuilder BeginRowGroup() => new(_writer.CreateRowGroup(), _fields, _cancel);

    public void Dispose() => _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static DataField Field(ParquetColumn c)
    {
        var t = c.ClrType;
        return t == typeof(DateTime) ? new DateTimeDataField(c.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: c.IsNullable)
            : t == typeof(string) || t == typeof(int) || t == typeof(long) || t == typeof(float) || t == typeof(double) || t == typeof(bool) ? new DataField(c.Name, t, c.IsNullable)
            : throw new ArgumentException($"column '{c.Name}': cannot write a column of type {t?.Name ?? "(none)"}", nameof(c));
    }
}

/// <summary>The columns of one row group, written in schema order.</summary>
public sealed class ParquetRowGroupBuilder : IDisposable
{
    private readonly ParquetRowGroupWriter _rg;
    private readonly DataField[] _fields;
    private readonly CancellationToken _cancel;
    private int _next;

    internal ParquetRowGroupBuilder(ParquetRowGroupWriter rg, DataField[] fields, CancellationToken cancel)
    {
        _rg = rg;
        _fields = fields;
        _cancel = cancel;
    }

    public void WriteStrings(IReadOnlyCollection<string?> values)
        => _rg.WriteAsync(NextField(), values!).GetAwaiter().GetResult();

    public void WriteRequired<T>(ReadOnlyMemory<T> values)
        where T : struct
        => _rg.WriteAsync(NextField(), values, cancellationToken: _cancel).GetAwaiter().GetResult();

    public void WriteNullable<T>(ReadOnlyMemory<T?> values)
        where T : struct
        => _rg.WriteAsync(NextField(), values, cancellationToken: _cancel).GetAwaiter().GetResult();

    public void Dispose() => _rg.Dispose();

    private DataField NextField()
    {
        _cancel.ThrowIfCancellationRequested();
        return _next < _fields.Length ? _fields[_next++] : throw new InvalidOperationException("every column of the row group is written already");
    }
}
