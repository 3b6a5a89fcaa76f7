using System;

namespace EvalSig.Bridge;

/// <summary>
/// One flat column of a Parquet file: its name, the .NET type of its values (<see cref="string"/>,
/// <see cref="int"/>, <see cref="long"/>, <see cref="float"/>, <see cref="double"/>, <see cref="bool"/>,
/// or <see cref="DateTime"/> for timestamps in microseconds adjusted to UTC) and whether it holds nulls.
/// <see cref="ClrType"/> is null for columns EvalSig does not read (nested, binary, decimals...).
/// </summary>
public sealed record ParquetColumn(string Name, Type? ClrType, bool IsNullable);
