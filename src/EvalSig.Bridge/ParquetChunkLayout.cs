using System.Collections.Generic;

namespace EvalSig.Bridge;

/// <summary>
/// Where one flat column chunk of a row group lies in its file and how it is stored, as the footer
/// states it (issue 16: EvalSig decodes the pages of its hot columns itself). The numbers are those of
/// the Parquet format's Thrift definitions: <see cref="PhysicalType"/> is <c>Type</c> (1 INT32, 2 INT64,
/// 5 DOUBLE, 6 BYTE_ARRAY...), <see cref="Codec"/> is <c>CompressionCodec</c> (0 UNCOMPRESSED, 1 SNAPPY...)
/// and <see cref="Encodings"/> holds <c>Encoding</c> values. <see cref="DictionaryPageOffset"/> is 0 when the
/// chunk has no dictionary page. A footer can lie: every offset and size is a claim to check.
/// </summary>
public sealed record ParquetChunkLayout(
    int PhysicalType,
    int Codec,
    IReadOnlyList<int> Encodings,
    long DataPageOffset,
    long DictionaryPageOffset,
    long TotalCompressedSize,
    long ValueCount,
    int MaxDefinitionLevel,
    int MaxRepetitionLevel);
