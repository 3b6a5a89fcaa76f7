using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using DuckDB.NET.Data;
using EvalSig.Core.RunFrames;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 16: EvalSig's own Parquet page decoder (ParquetPages, Snappy) against Parquet.Net. Every file is read twice,
/// with the decoder and with every column through Parquet.Net, and the two readings must agree in every field; the
/// chunk count shows which reader did the work.
/// </summary>
public class ParquetPagesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(59)]
    [InlineData(60)]
    [InlineData(4096)]
    [InlineData(200_000)]
    public void Snappy_DecodesWhatSnappierEncodes(int length)
    {
        var rng = new Random(length);
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            // Runs, repeats at short and long distances, and noise: every kind of element.
            data[i] = (i % 1000) < 300 ? (byte)rng.Next(256) : (i % 1000) < 600 ? (byte)(i % 7) : data[Math.Max(0, i - 70_000)];
        }

        var packed = Snappier.Snappy.CompressToArray(data);
        var output = new byte[length];
        Snappy.Decompress(packed, output);
        Assert.Equal(data, output);
    }

    [Fact]
    public void Snappy_RefusesDamagedBlocks_WithoutReadingOrWritingOutsideThem()
    {
        var data = Enumerable.Range(0, 5000).Select(i => (byte)(i % 13)).ToArray();
        var packed = Snappier.Snappy.CompressToArray(data);
        Assert.Throws<ParquetPagesUnsupportedException>(() => Snappy.Decompress(packed, new byte[data.Length - 1])); // length other than the page's
        Assert.Throws<ParquetPagesUnsupportedException>(() => Snappy.Decompress(packed.AsSpan(0, packed.Length - 1), new byte[data.Length])); // cut
        Assert.Throws<ParquetPagesUnsupportedException>(() => Snappy.Decompress(new byte[] { 4, 0x01, 0x09 }, new byte[4])); // a copy before the start
        Assert.Throws<ParquetPagesUnsupportedException>(() => Snappy.Decompress(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, new byte[4])); // a varint too long
        var rng = new Random(16);
        for (var i = 0; i < 2000; i++)
        {
            var bad = (byte[])packed.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            var output = new byte[data.Length];
            try
            {
                Snappy.Decompress(bad, output);
            }
            catch (ParquetPagesUnsupportedException)
            {
                // refused: the caller reads the column with Parquet.Net
            }
        }
    }

    [Fact]
    public void Hybrid_DecodesTheSpecificationsExamples_AndCutsTheLastGroup()
    {
        // Encodings.md: the values 0..7 bit-packed with width 3 are 10001000 11000110 11111010; one group: header (1 << 1) | 1.
        var values = new int[13];
        ParquetPages.Hybrid(new byte[] { 0x03, 0x88, 0xC6, 0xFA, 0x0A, 0x05 }, 3, values);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5 }, values); // then an RLE run of five 5s: header 5 << 1
        var wide = new int[3];
        ParquetPages.Hybrid(new byte[] { 0x06, 0x34, 0x12, 0x01 }, 13, wide); // an RLE run of 3 (header 6) of 0x1234 in two bytes
        Assert.Equal(new[] { 0x1234, 0x1234, 0x1234 }, wide);
        var cut = new int[2];
        ParquetPages.Hybrid(new byte[] { 0x03, 0x88, 0xC6, 0xFA }, 3, cut);
        Assert.Equal(new[] { 0, 1 }, cut);
        Assert.Throws<ParquetPagesUnsupportedException>(() => ParquetPages.Hybrid(new byte[] { 0x03, 0x88 }, 3, new int[8])); // a cut group
        Assert.Throws<ParquetPagesUnsupportedException>(() => ParquetPages.Hybrid(new byte[] { 0x00 }, 3, new int[1])); // an empty run
        Assert.Throws<ParquetPagesUnsupportedException>(() => ParquetPages.Hybrid(new byte[] { 0x02, 0x09 }, 3, new int[1])); // 9 in 3 bits
    }

    public static TheoryData<string, int, double, bool> ParquetNetCases()
    {
        var d = new TheoryData<string, int, double, bool>();
        foreach (var codec in new[] { "None", "Snappy" })
        {
            foreach (var threshold in new[] { 0.0, 0.8, 1.0 })
            {
                d.Add(codec, 3000, threshold, false);
                d.Add(codec, 3000, threshold, true);
            }
        }

        d.Add("Snappy", 1, 0.8, true);
        return d;
    }

    [Theory]
    [MemberData(nameof(ParquetNetCases))]
    public void FilesOfParquetNet_ReadAlike_WithAndWithoutThePageDecoder(string codec, int rows, double dictionaryThreshold, bool nulls)
    {
        using var s = new Scratch();
        var path = s.File("f.parquet");
        WriteWithParquetNet(path, Enum.Parse<CompressionMethod>(codec), dictionaryThreshold, rows, rowsPerGroup: 1000, nulls);
        var decoded = AssertReadAlike(path);
        var groups = (rows + 999) / 1000;
        Assert.True(decoded >= 4 * groups, $"the page decoder read {decoded} chunks"); // ids, scores, clusters, metadata of each group, at least once
    }

    [Fact]
    public void AGzipFile_IsReadByParquetNet_AndReadsTheSame()
    {
        using var s = new Scratch();
        var path = s.File("g.parquet");
        WriteWithParquetNet(path, CompressionMethod.Gzip, 0.8, 2000, 700, nulls: true);
        Assert.Equal(0, AssertReadAlike(path));
    }

    [Fact]
    public void InvalidUtf8InStrings_IsReplacedAsParquetNetReplacesIt()
    {
        using var s = new Scratch();
        var path = s.File("u.parquet");
        WriteWithParquetNet(path, CompressionMethod.None, 0.0, 400, 400, nulls: false);
        var bytes = File.ReadAllBytes(path);
        var patched = 0;
        for (var i = 0; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == 0xC3 && bytes[i + 1] == 0xA9)
            {
                bytes[i + 1] = 0x28; // "é" becomes a lead byte followed by "(": invalid UTF-8
                patched++;
            }
        }

        Assert.True(patched > 100);
        File.WriteAllBytes(path, bytes);
        Assert.True(AssertReadAlike(path) >= 2);
        Assert.Contains(RunFrameFile.Read(path).ItemIds, id => id.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("snappy", "v1", 30)]
    [InlineData("uncompressed", "v1", 30)]
    [InlineData("snappy", "v2", 18)]
    [InlineData("zstd", "v1", 0)]
    public void FilesOfDuckDb_ReadAlike_WithAndWithoutThePageDecoder(string compression, string version, int expectedChunks)
    {
        using var s = new Scratch();
        var path = s.File("duck.parquet");
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                COPY (SELECT 'run-d' AS run_id, 'm' AS model_id, 't' AS task_id, 'acc' AS metric_name,
                             'q' || i || CASE WHEN i % 5 = 0 THEN 'é' ELSE '' END AS item_id,
                             CASE WHEN i % 11 = 0 THEN NULL ELSE 'c' || (i // 4) END AS cluster_id,
                             (i % 3)::INTEGER AS epoch, (i % 7) / 7.0 AS score,
                             CASE WHEN i % 9 = 0 THEN '{"{"}"k": ' || i || '{"}"}' ELSE NULL END AS metadata_json
                      FROM range(5000) t(i))
                TO '{path.Replace("'", "''", StringComparison.Ordinal)}' (FORMAT PARQUET, COMPRESSION {compression}, PARQUET_VERSION {version}, ROW_GROUP_SIZE 2048)
                """;
            cmd.ExecuteNonQuery();
        }

        // Two readings (validate, read) of three row groups. Version 1 pages: the decoder reads all five item columns
        // (ids, clusters, epochs, scores, metadata); version 2 pages: the dictionary-encoded ones (DuckDB writes the
        // others in DELTA encodings, which Parquet.Net reads); zstd: none.
        Assert.Equal(expectedChunks, AssertReadAlike(path));
    }

    [Fact]
    public void ARunFrameSavedAsParquet_IsReadByThePageDecoder()
    {
        using var s = new Scratch();
        var json = s.Write("r.json", """
            {"run_id": "r", "model_id": "m", "task_id": "t", "metric_name": "acc",
             "items": [{"item_id": "a", "score": 1, "cluster_id": "x", "metadata": {"n": 1}},
                       {"item_id": "b", "score": 0.25, "cluster_id": "y", "epoch": 2},
                       {"item_id": "ü", "score": 0}]}
            """);
        RunFrameFile.Write(RunFrameFile.Read(json), s.File("r.parquet"), RunFrameFormat.Parquet);
        Assert.True(AssertReadAlike(s.File("r.parquet")) >= 4);
        var frame = RunFrameFile.Read(s.File("r.parquet"));
        Assert.Equal(new[] { "a", "b", "ü" }, frame.ItemIds);
        Assert.Equal(new[] { 1, 0.25, 0 }, frame.Scores);
        Assert.Equal(new[] { "x", "y", null }, frame.ClusterIds);
        Assert.Equal(new[] { 0, 2, 0 }, frame.ItemEpochs);
        Assert.Equal("{\"n\":1}", frame.MetadataJson[0]);
    }

    [Theory]
    [InlineData("None", 1616)]
    [InlineData("Snappy", 1616)]
    [InlineData("Snappy", 2020)] // mutant 898: a chunk shorter than its rows, once read through pooled levels left by another column
    public void DamagedFiles_ReadAlike_WithAndWithoutThePageDecoder(string codec, int defaultSeed)
    {
        // The decoder never judges a file: whatever it cannot read consistently goes to Parquet.Net. So a damaged file
        // must give the same frame, or the same error, either way.
        using var s = new Scratch();
        var path = s.File("seed.parquet");
        WriteWithParquetNet(path, Enum.Parse<CompressionMethod>(codec), 0.8, 600, 250, nulls: true);
        var seed = File.ReadAllBytes(path);
        // EVALSIG_PARQUET_DIFF_MUTANTS and EVALSIG_PARQUET_DIFF_SEED scale and vary the run (1,000 mutants, the case's seed by default).
        var count = int.TryParse(Environment.GetEnvironmentVariable("EVALSIG_PARQUET_DIFF_MUTANTS"), CultureInfo.InvariantCulture, out var c) ? c : 1000;
        var rng = new Random(int.TryParse(Environment.GetEnvironmentVariable("EVALSIG_PARQUET_DIFF_SEED"), CultureInfo.InvariantCulture, out var sd) ? sd : defaultSeed);
        var decodedSomewhere = 0;
        var refusedWithoutDictionary = 0;
        for (var i = 0; i < count; i++)
        {
            var mutant = rng.Next(3) == 0 ? Fuzz.Mutator.Blind(seed, rng) : Fuzz.Mutator.MutateParquet(seed, rng);
            ParquetPages.ChunksDecoded = 0;
            var fast = Outcome(mutant);
            decodedSomewhere += ParquetPages.ChunksDecoded > 0 ? 1 : 0;
            ParquetPages.OffOnThisThread = true;
            try
            {
                var slow = Outcome(mutant);
                if (slow != fast && fast.Contains("a dictionary-encoded page in a chunk without a dictionary page", StringComparison.Ordinal))
                {
                    refusedWithoutDictionary++; // Parquet.Net's reading of such a page depends on its buffer pool's last use
                    continue;
                }

                Assert.True(slow == fast, $"mutant {i}:\nParquet.Net: {slow}\ndecoder: {fast}");
            }
            finally
            {
                ParquetPages.OffOnThisThread = false;
            }
        }

        Assert.True(decodedSomewhere > count / 3, $"the decoder took part in {decodedSomewhere} of {count} readings");
        Assert.True(refusedWithoutDictionary < count / 50, $"{refusedWithoutDictionary} readings differed (pages without their dictionary)");

        static string Outcome(byte[] data)
        {
            using var ms = new MemoryStream(data, writable: false);
            try
            {
                var f = RunFrameFile.Read(ms, "m.parquet");
                return string.Join("\n", new[] { f.RunId, f.ModelId, f.TaskId, f.MetricName, f.ConfigHash ?? "", f.Timestamp?.ToString("O", CultureInfo.InvariantCulture) ?? "" }
                    .Concat(Enumerable.Range(0, f.Count).Select(i => string.Join("|", f.ItemIds[i], BitConverter.DoubleToInt64Bits(f.Scores[i]).ToString(CultureInfo.InvariantCulture), f.ClusterIds[i] ?? "(null)", f.ItemEpochs[i].ToString(CultureInfo.InvariantCulture), f.MetadataJson[i] ?? "(null)"))));
            }
            catch (RunFrameInvalidException ex)
            {
                return "invalid: " + ex.Message;
            }
        }
    }

    /// <summary>Reads the file with the decoder and without it; asserts the two agree; returns the chunks the decoder read.</summary>
    private static int AssertReadAlike(string path)
    {
        ParquetPages.ChunksDecoded = 0;
        var fastProblems = RunFrameFile.Validate(path).Select(p => p.ToString()).ToList();
        var fast = fastProblems.Count == 0 ? RunFrameFile.Read(path) : null;
        var decoded = ParquetPages.ChunksDecoded;
        ParquetPages.OffOnThisThread = true;
        try
        {
            ParquetPages.ChunksDecoded = 0;
            var slowProblems = RunFrameFile.Validate(path).Select(p => p.ToString()).ToList();
            var slow = slowProblems.Count == 0 ? RunFrameFile.Read(path) : null;
            Assert.Equal(0, ParquetPages.ChunksDecoded);
            Assert.Equal(slowProblems, fastProblems);
            Assert.True(slow is not null || slowProblems.All(p => p.Contains("score", StringComparison.Ordinal)), "only null scores may keep a file from being compared in full: " + string.Join("; ", slowProblems));
            if (slow is not null)
            {
                Assert.NotNull(fast);
                Assert.Equal(slow.Count, fast!.Count);
                Assert.Equal(slow.RunId, fast.RunId);
                Assert.Equal(slow.ModelId, fast.ModelId);
                Assert.Equal(slow.TaskId, fast.TaskId);
                Assert.Equal(slow.MetricName, fast.MetricName);
                Assert.Equal(slow.ConfigHash, fast.ConfigHash);
                Assert.Equal(slow.Timestamp, fast.Timestamp);
                Assert.Equal(slow.ItemIds, fast.ItemIds);
                Assert.Equal(slow.Scores.Select(BitConverter.DoubleToInt64Bits), fast.Scores.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(slow.ClusterIds, fast.ClusterIds);
                Assert.Equal(slow.ItemEpochs, fast.ItemEpochs);
                Assert.Equal(slow.MetadataJson, fast.MetadataJson);
            }
        }
        finally
        {
            ParquetPages.OffOnThisThread = false;
        }

        return decoded;
    }

    private static void WriteWithParquetNet(string path, CompressionMethod codec, double dictionaryThreshold, int rows, int rowsPerGroup, bool nulls)
    {
        var run = new DataField("run_id", typeof(string), true);
        var item = new DataField("item_id", typeof(string), nulls);
        var cluster = new DataField("cluster_id", typeof(string), true);
        var epoch = new DataField("epoch", typeof(int), nulls);
        var score = new DataField("score", typeof(double), nulls);
        var meta = new DataField("metadata_json", typeof(string), true);
        var extra = new DataField("passage", typeof(string), true);
        var model = new DataField("model_id", typeof(string), true);
        var task = new DataField("task_id", typeof(string), true);
        var metric = new DataField("metric_name", typeof(string), true);
        var schema = new ParquetSchema(run, item, cluster, epoch, score, meta, extra, model, task, metric);
        var options = new ParquetOptions { CompressionMethod = codec, DictionaryEncodingThreshold = dictionaryThreshold };
        using var stream = File.Create(path);
        var writer = ParquetWriter.CreateAsync(schema, stream, options).GetAwaiter().GetResult();
        try
        {
            WriteGroups(writer, rows, rowsPerGroup, nulls, run, item, cluster, epoch, score, meta, extra, model, task, metric);
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void WriteGroups(ParquetWriter writer, int rows, int rowsPerGroup, bool nulls, params DataField[] f)
    {
        var (run, item, cluster, epoch, score, meta, extra) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
        for (var start = 0; start < rows; start += rowsPerGroup)
        {
            var n = Math.Min(rowsPerGroup, rows - start);
            var at = Enumerable.Range(start, n).ToArray();
            using var rg = writer.CreateRowGroup();
            rg.WriteAsync(run, at.Select(_ => (string?)"run-p").ToArray()).GetAwaiter().GetResult();
            rg.WriteAsync(item, at.Select(i => nulls && i % 97 == 5 ? null : "item-" + i.ToString(CultureInfo.InvariantCulture) + (i % 3 == 0 ? "é" : i % 3 == 1 ? "漢" : "")).ToArray()).GetAwaiter().GetResult();
            rg.WriteAsync(cluster, at.Select(i => nulls && i % 13 == 0 ? null : "c" + (i / 8).ToString(CultureInfo.InvariantCulture)).ToArray()).GetAwaiter().GetResult();
            if (nulls)
            {
                rg.WriteAsync(epoch, (ReadOnlyMemory<int?>)at.Select(i => i % 17 == 0 ? (int?)null : i % 4).ToArray()).GetAwaiter().GetResult();
                rg.WriteAsync(score, (ReadOnlyMemory<double?>)at.Select(i => i % 101 == 7 ? (double?)null : (i % 10) / 10.0 + 1e-9 * i).ToArray()).GetAwaiter().GetResult();
            }
            else
            {
                rg.WriteAsync(epoch, (ReadOnlyMemory<int>)at.Select(i => i % 4).ToArray()).GetAwaiter().GetResult();
                rg.WriteAsync(score, (ReadOnlyMemory<double>)at.Select(i => i % 5 == 0 ? 1.0 : (i % 10) / 10.0 + 1e-9 * i).ToArray()).GetAwaiter().GetResult();
            }

            rg.WriteAsync(meta, at.Select(i => i % 6 == 0 ? "{\"n\": " + i.ToString(CultureInfo.InvariantCulture) + ", \"s\": \"é\"}" : i % 6 == 1 ? "" : null).ToArray()).GetAwaiter().GetResult();
            rg.WriteAsync(extra, at.Select(i => i % 5 == 0 ? null : "p" + (i % 50).ToString(CultureInfo.InvariantCulture)).ToArray()).GetAwaiter().GetResult();
            foreach (var (field, value) in new[] { (f[7], "model-m"), (f[8], "task-t"), (f[9], "acc") })
            {
                rg.WriteAsync(field, at.Select(_ => (string?)value).ToArray()).GetAwaiter().GetResult();
            }
        }
    }
}
