using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.Gating;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 16: a RunFrame holds its items in compact columns (UTF-8 ids end to end, cluster codes, sparse
/// metadata) and pairs aligned runs without a hash join. These tests pin the behaviour that must not change
/// with the representation: duplicate detection, escapes, UTF-8 checks, pairing in any order, cluster
/// agreement, and metadata text.
/// </summary>
public class CompactColumnsTests
{
    private static RunFrame Json(string items) => RunFrameFile.ReadText(
        "{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[" + items + "]}");

    private static string Item(string id, double score, string? cluster = null, int epoch = 0, string? metadata = null)
        => string.Create(CultureInfo.InvariantCulture, $"{{\"item_id\":{id},\"score\":{score},\"cluster_id\":{cluster ?? "null"},\"epoch\":{epoch}{(metadata is null ? string.Empty : ",\"metadata\":" + metadata)}}}");

    [Theory]
    [InlineData("\"b\",\"a\",\"c\",\"a\"", 3, 1)] // unsorted: found through the hash table
    [InlineData("\"a\",\"b\",\"b\",\"c\"", 2, 1)] // sorted but repeated: not strictly ascending
    [InlineData("\"x\",\"y\",\"z\",\"x\"", 3, 0)]
    public void DuplicateIds_AreReported_WithTheFirstIndex(string ids, int at, int first)
    {
        var items = string.Join(",", ids.Split(',').Select((id, i) => Item(id, i % 2)));
        var ex = Assert.Throws<RunFrameInvalidException>(() => Json(items));
        var p = Assert.Single(ex.Problems);
        Assert.Equal(at, p.ItemIndex);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"first seen at item {first}"), p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameId_AtOtherEpochs_IsNoDuplicate_AndAThousandUnsortedIdsPassTheHashTable()
    {
        var f = Json(string.Join(",", Item("\"a\"", 1), Item("\"a\"", 0, epoch: 1), Item("\"a\"", 1, epoch: 2)));
        Assert.Equal(new[] { 0, 1, 2 }, f.Epochs);

        var rng = new Random(7);
        var ids = Enumerable.Range(0, 1000).OrderBy(_ => rng.Next()).Select(i => "\"i" + i.ToString(CultureInfo.InvariantCulture) + "\"");
        Assert.Equal(1000, Json(string.Join(",", ids.Select(id => Item(id, 1)))).Count);
    }

    [Fact]
    public void ItemFieldNames_WrittenWithEscapes_AreTheSameFields_AndEpochsOfAnyWidthRead()
    {
        var f = Json("{\"item\\u005fid\":\"a\",\"\\u0073core\":0.5,\"cluster\\u005fid\":\"c\",\"epoc\\u0068\":7,\"meta\\u0064ata\":{\"k\":1}},"
            + "{\"item_id\":\"b\",\"score\":1,\"epoch\":12,\"scores\":3,\"item_idx\":\"z\"}");
        Assert.Equal(new[] { "a", "b" }, f.ItemIds);
        Assert.Equal(new[] { 0.5, 1.0 }, f.Scores);
        Assert.Equal(new[] { "c", null }, f.ClusterIds);
        Assert.Equal(new[] { 7, 12 }, f.ItemEpochs);
        Assert.Equal(new[] { "{\"k\":1}", null }, f.MetadataJson);
    }

    [Fact]
    public void JsonlKeys_WrittenWithEscapes_OrRenamedByOptions_AreTheSameFields()
    {
        var path = Path.Combine(Path.GetTempPath(), "evalsig-keys-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllText(path,
            "{\"run\\u005fid\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"item\\u005fid\":\"a\",\"sc\\u006fre\":0.5,\"cluster_id\":\"c\",\"epoch\":3}\n"
            + "{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"item_id\":\"b\",\"score\":1,\"metadata_json\":{\"k\":2},\"epoch\":11}\n");
        try
        {
            var f = RunFrameFile.Read(path);
            Assert.Equal("r", f.RunId);
            Assert.Equal(new[] { "a", "b" }, f.ItemIds);
            Assert.Equal(new[] { 0.5, 1.0 }, f.Scores);
            Assert.Equal(new[] { 3, 11 }, f.ItemEpochs);
            Assert.Equal(new[] { null, "{\"k\":2}" }, f.MetadataJson);

            // Renamed columns: "score" is then an ordinary key (metadata), "points" the score.
            File.WriteAllText(path, "{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"q\":\"a\",\"points\":0.25,\"score\":9}\n");
            var g = RunFrameFile.Read(path, new RunFrameReadOptions { ItemColumn = "q", ScoreColumn = "points" });
            Assert.Equal(new[] { "a" }, g.ItemIds);
            Assert.Equal(new[] { 0.25 }, g.Scores);
            Assert.Equal("{\"score\":9}", g.MetadataJson[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EscapedIds_AreStoredUnescaped_AndPairWithThePlainSpelling()
    {
        var b = Json(string.Join(",", Item("\"q\\u0031\"", 0), Item("\"q\\\"2\"", 1), Item("\"caf\\u00e9\"", 1)));
        var c = Json(string.Join(",", Item("\"q1\"", 1), Item("\"q\\\"2\"", 1), Item("\"café\"", 1)));
        Assert.Equal(new[] { "q1", "q\"2", "café" }, b.ItemIds);
        Assert.True(b.Columns.Ids.ContentEquals(c.Columns.Ids));
        var p = Pairing.Pair(b, c, null, noCluster: false);
        Assert.Equal(new[] { 1.0, 0.0, 0.0 }, p.Differences);
    }

    [Fact]
    public void AnIdThatIsNotUtf8_IsRunFrameInvalid_NotAReplacementCharacter()
    {
        var head = Encoding.UTF8.GetBytes("{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[{\"item_id\":\"q");
        var tail = Encoding.UTF8.GetBytes("\",\"score\":1}]}");
        var bytes = head.Concat(new byte[] { 0xC3, 0x28 }).Concat(tail).ToArray();
        using var stream = new MemoryStream(bytes);
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(stream, "bad.json"));
        Assert.Contains("not valid UTF-8", ex.Problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunsInAnotherOrder_PairLikeAlignedRuns_AndMissingItemsAreCounted()
    {
        var rng = new Random(11);
        var n = 500;
        var ids = Enumerable.Range(0, n).Select(i => "\"item-" + i.ToString(CultureInfo.InvariantCulture) + "\"").ToArray();
        var bs = ids.Select(_ => Math.Round(rng.NextDouble(), 3)).ToArray();
        var cs = ids.Select(_ => Math.Round(rng.NextDouble(), 3)).ToArray();
        var clusters = ids.Select((_, i) => "\"c" + (i / 10).ToString(CultureInfo.InvariantCulture) + "\"").ToArray();
        var b = Json(string.Join(",", ids.Select((id, i) => Item(id, bs[i], clusters[i]))));
        var alignedC = Json(string.Join(",", ids.Select((id, i) => Item(id, cs[i], clusters[i]))));
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var shuffledC = Json(string.Join(",", order.Select(i => Item(ids[i], cs[i], clusters[i]))));

        var aligned = Pairing.Pair(b, alignedC, null, false);
        var joined = Pairing.Pair(b, shuffledC, null, false);
        Assert.Equal(aligned.Differences, joined.Differences);
        Assert.Equal(aligned.Cluster, joined.Cluster);
        Assert.Equal(50, joined.ClusterCount);
        Assert.Empty(joined.Notes);

        // Drop 40 candidate items and add 3 of its own: 460 pairs in baseline order, coverage noted.
        var partial = Json(string.Join(",", order.Where(i => i >= 40).Select(i => Item(ids[i], cs[i], clusters[i]))
            .Concat(new[] { Item("\"extra-1\"", 1), Item("\"extra-2\"", 1), Item("\"extra-3\"", 1) })));
        var p = Pairing.Pair(b, partial, null, false);
        Assert.Equal(n - 40, p.Count);
        Assert.Equal(40, p.OnlyInBaseline);
        Assert.Equal(3, p.OnlyInCandidate);
        Assert.Equal(aligned.Differences.Skip(40), p.Differences);
        Assert.Contains(p.Notes, x => x.StartsWith("Low coverage: 460 items paired", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a,a,b,c,c,d", "a,a,b,c,c,d", 4)] // strictly ascending: no hash table is ever built
    [InlineData("a,b,c,b,a,d,c,e", "a,b,c,b,a,d,c,e", 5)] // out of order at the fourth item: earlier labels are found again
    [InlineData("b,a,b,a,c", "b,a,b,a,c", 3)] // out of order at the second item
    [InlineData("p10,p2,p10,p9,p2", "p10,p2,p10,p9,p2", 3)] // byte order, not numeric order
    public void ClusterLabels_InAnyOrder_GetOneCodePerDistinctLabel(string labels, string expected, int distinct)
    {
        var items = labels.Split(',').Select((l, i) => Item("\"i" + i.ToString(CultureInfo.InvariantCulture) + "\"", i % 2, "\"" + l + "\""));
        var f = Json(string.Join(",", items));
        Assert.Equal(expected.Split(','), f.ClusterIds);
        Assert.Equal(distinct, f.ClusterCount);
        Assert.Equal(distinct, f.Columns.ClusterLabels.Count);
        var codes = f.Columns.ClusterCodes!;
        var split = labels.Split(',');
        for (var i = 0; i < split.Length; i++)
        {
            for (var j = 0; j < split.Length; j++)
            {
                Assert.Equal(split[i] == split[j], codes[i] == codes[j]);
            }
        }
    }

    [Fact]
    public void ClusterLabels_NumberedDifferentlyInEachRun_AreMatchedByText_AndDisagreementsCounted()
    {
        // The candidate meets its labels in another order (its codes differ); one item moves cluster, one
        // loses its cluster, one baseline item has none (a singleton).
        var b = Json(string.Join(",", Item("\"1\"", 0, "\"A\""), Item("\"2\"", 1, "\"B\""), Item("\"3\"", 0, "\"A\""), Item("\"4\"", 1, "\"C\""), Item("\"5\"", 0)));
        var c = Json(string.Join(",", Item("\"4\"", 1, "\"C\""), Item("\"2\"", 1, "\"A\""), Item("\"1\"", 1, "\"A\""), Item("\"3\"", 1), Item("\"5\"", 1)));
        var p = Pairing.Pair(b, c, null, false);
        Assert.Equal(new[] { 0, 1, 0, 2, 3 }, p.Cluster);
        Assert.Equal(4, p.ClusterCount);
        Assert.Contains(p.Notes, x => x.Contains("disagree on 'cluster_id' for 2 paired item(s)", StringComparison.Ordinal));
        Assert.Contains(p.Notes, x => x.Contains("1 paired item(s) have no 'cluster_id'", StringComparison.Ordinal));
    }

    [Fact]
    public void ClusterLabels_MetInTheSameOrder_PairByCode_AndAMovedItemIsStillCounted()
    {
        // Both runs meet A, B, C in that order (equal label columns: the codes are compared directly), but
        // the candidate puts item 3 in B.
        var b = Json(string.Join(",", Item("\"1\"", 0, "\"A\""), Item("\"2\"", 1, "\"B\""), Item("\"3\"", 0, "\"A\""), Item("\"4\"", 1, "\"C\"")));
        var c = Json(string.Join(",", Item("\"1\"", 1, "\"A\""), Item("\"2\"", 1, "\"B\""), Item("\"3\"", 1, "\"B\""), Item("\"4\"", 1, "\"C\"")));
        var p = Pairing.Pair(b, c, null, false);
        Assert.Equal(new[] { 0, 1, 0, 2 }, p.Cluster);
        Assert.Equal(3, p.ClusterCount);
        Assert.Contains(p.Notes, x => x.Contains("disagree on 'cluster_id' for 1 paired item(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void ParquetRuns_WithExactColumns_ShareTheBaselineCodesAsTheClusterIndex_AndPairAsFromJson()
    {
        // A Parquet footer gives the exact row count, so the codes column has no slack and aligned runs use the
        // baseline's codes as the cluster index; the result must equal the general path's (JSON-read frames).
        using var scratch = new Scratch();
        var bJson = RunFrameFile.Read(EvalSig.Testing.SyntheticRuns.WriteJson(scratch.File("b.json"), 3000, seed: 4, clusterSize: 7));
        var cJson = RunFrameFile.Read(EvalSig.Testing.SyntheticRuns.WriteJson(scratch.File("c.json"), 3000, seed: 5, clusterSize: 7, shift: 0.01));
        RunFrameFile.Write(bJson, scratch.File("b.parquet"), RunFrameFormat.Parquet);
        RunFrameFile.Write(cJson, scratch.File("c.parquet"), RunFrameFormat.Parquet);
        var b = RunFrameFile.Read(scratch.File("b.parquet"));
        var c = RunFrameFile.Read(scratch.File("c.parquet"));

        var fromParquet = Pairing.Pair(b, c, null, false);
        var fromJson = Pairing.Pair(bJson, cJson, null, false);

        Assert.Same(b.Columns.ClusterCodes, fromParquet.Cluster);
        Assert.NotSame(bJson.Columns.ClusterCodes, fromJson.Cluster);
        Assert.Equal(fromJson.Cluster, fromParquet.Cluster);
        Assert.Equal(fromJson.ClusterCount, fromParquet.ClusterCount);
        Assert.Equal(fromJson.Differences, fromParquet.Differences);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Parquet_WithOneEpochForAllItems_ReadsItFromTheStatistics_AndMixedEpochsStillDecode(int epoch)
    {
        using var scratch = new Scratch();
        var ids = Enumerable.Range(0, 50).Select(i => "q" + i).ToArray();
        var one = RunFrame.Create("r", "m", "t", "a", ids, ids.Select(_ => 0.5).ToArray(), epochs: ids.Select(_ => epoch).ToArray(), timestamp: new DateTimeOffset(2026, 6, 30, 12, 0, 0, TimeSpan.Zero));
        var mixed = RunFrame.Create("r", "m", "t", "a", ids, ids.Select(_ => 0.5).ToArray(), epochs: ids.Select((_, i) => i % 3).ToArray());
        RunFrameFile.Write(one, scratch.File("one.parquet"), RunFrameFormat.Parquet);
        RunFrameFile.Write(mixed, scratch.File("mixed.parquet"), RunFrameFormat.Parquet);

        var a = RunFrameFile.Read(scratch.File("one.parquet"));
        var m = RunFrameFile.Read(scratch.File("mixed.parquet"));

        Assert.All(a.ItemEpochs, e => Assert.Equal(epoch, e));
        Assert.Equal(one.Timestamp, a.Timestamp);
        Assert.Equal(mixed.ItemEpochs, m.ItemEpochs);
    }

    [Fact]
    public void ALargeMalformedJsonFile_IsRefusedWithTheErrorOfTheReadingThatSkipsComments()
    {
        using var scratch = new Scratch();
        var path = scratch.File("bad.json");
        var text = new StringBuilder("{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[");
        for (var i = 0; i < 60000; i++)
        {
            text.Append(i > 0 ? "," : string.Empty).Append("{\"item_id\": \"q").Append(i).Append("\", /* ok */ \"score\": 0.5, \"metadata\": {\"pad\": \"").Append('x', 40).Append("\"}}");
        }

        File.WriteAllText(path, text.Append("],}").ToString()); // a trailing comma: malformed however comments are treated
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));
        var p = Assert.Single(ex.Problems);
        Assert.StartsWith("malformed JSON", p.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("comment", p.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AFileDenserThanItsHead_GrowsItsColumns_AndAlignedRunsWithSlackPairExactly()
    {
        // The first 64 KB hold long ids, the rest short ones: the head's estimate is far too low, the columns
        // grow; a frame keeps whatever slack its columns have, and pairing sees exactly Count scores.
        using var scratch = new Scratch();
        string Write(string name, double score)
        {
            var text = new StringBuilder("{\"run_id\":\"" + name + "\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[");
            for (var i = 0; i < 200000; i++)
            {
                var id = i < 300 ? "long" + new string('x', 200) + i.ToString(CultureInfo.InvariantCulture) : "s" + i.ToString(CultureInfo.InvariantCulture);
                text.Append(i > 0 ? "," : string.Empty).Append("{\"item_id\":\"").Append(id).Append("\",\"score\":").Append((i % 2 == 0 ? score : 1 - score).ToString(CultureInfo.InvariantCulture)).Append('}');
            }

            var path = scratch.File(name + ".json");
            File.WriteAllText(path, text.Append("]}").ToString());
            return path;
        }

        var b = RunFrameFile.Read(Write("b", 0.25));
        var c = RunFrameFile.Read(Write("c", 0.75));
        Assert.Equal(200000, b.Count);
        Assert.Equal(200000, b.Scores.Count);
        Assert.Equal(0.25, b.Scores[^2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.GetItem(200000));
        var p = Pairing.Pair(b, c, null, noCluster: false);
        Assert.Equal(200000, p.Baseline.Count);
        Assert.Equal(200000, p.Candidate.Count);
        Assert.Equal(200000, p.Differences.Length);
        Assert.Equal(0.0, b.MeanScore - 0.5, 12);
    }

    [Theory]
    [InlineData(null)] // read without looking for comments, in one reading
    [InlineData("/* a block comment */")] // that reading fails: read again, with comments skipped
    [InlineData("// a line comment\n")]
    [InlineData("\"url\":\"https://example.org/x\",")] // a '/' in a string only
    public void ALargeJsonFile_ReadsTheSame_WithOrWithoutCommentsAndSlashes(string? extra)
    {
        // JSON files of 4 MB and more are first tokenized without comment handling, and read again with it
        // when that fails. Either way comments are skipped and every item is read.
        using var scratch = new Scratch();
        var path = scratch.File("big.json");
        var text = new StringBuilder("{\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"a\",\"items\":[");
        const int items = 60000;
        for (var i = 0; i < items; i++)
        {
            text.Append(i > 0 ? "," : string.Empty);
            if (i == items / 2 && extra is not null && !extra.StartsWith('"'))
            {
                text.Append(extra);
            }

            text.Append("{\"item_id\": \"q").Append(i).Append("\", ").Append(i == 7 && extra is not null && extra.StartsWith('"') ? extra : string.Empty)
                .Append("\"score\": 0.5, \"metadata\": {\"pad\": \"").Append('x', 40).Append("\"}}");
        }

        File.WriteAllText(path, text.Append("]}").ToString());
        Assert.True(new FileInfo(path).Length >= 4 << 20);
        var f = RunFrameFile.Read(path);
        Assert.Equal(items, f.Count);
        Assert.Equal("q59999", f.ItemIds[^1]);
    }

    [Fact]
    public void HeadEstimate_CountsIds_LabelChanges_AndNonEmptyMetadata_InJsonAndCsv()
    {
        // Four items in two clusters; two have metadata ("{}" is none). The estimate sizes columns only.
        var json = "{\"items\": [" + string.Join(",", Item("\"q1\"", 0, "\"p1\"", metadata: "{\"a\": \"}{\"}"), Item("\"q22\"", 1, "\"p1\"", metadata: "{}"),
            Item("\"q3\"", 0, "\"p2\"", metadata: "{\"b\": [1, {\"c\": 2}]}"), Item("\"q4\"", 1, "\"p2\"")) + "]}";
        var e = HeadEstimate.OfJson(Encoding.UTF8.GetBytes(json));
        Assert.Equal((4, 9L), (e.Items, e.IdBytes));
        Assert.Equal((2, 4L), (e.Labels, e.LabelBytes));
        Assert.Equal((2, (long)"{\"a\": \"}{\"}".Length + "{\"b\": [1, {\"c\": 2}]}".Length), (e.MetadataItems, e.MetadataBytes));

        var csv = "item_id,score,cluster_id,metadata_json\nq1,0,p1,\"{\"\"a\"\":1,\"\"b\"\":2}\"\nq22,1,p1,\nq3,0,p2,{}\nq4,1,p2,\"{\"\"c\"\":3}\"\nq5,1,p";
        var c = HeadEstimate.OfCsv(Encoding.UTF8.GetBytes(csv));
        Assert.Equal((4, 9L), (c.Items, c.IdBytes)); // the unfinished last row is not counted
        Assert.Equal((2, 4L), (c.Labels, c.LabelBytes));
        Assert.Equal(2, c.MetadataItems);
    }

    [Theory]
    [InlineData("{\"source\": \"gen\", \"len\": 10}")]
    [InlineData("{ \"a\" : [1, 2.50, 1E2, -0, {\"b\": null}], \"t\": true, \"f\": false }")]
    [InlineData("{\"esc\\u0061ped\": \"tab\\tquote\\\"slash\\/\\u00e9\\ud83d\\ude00<>&'\"}")]
    [InlineData("{\"deep\": {\"x\": {\"y\": [[], {}, [[\"z\"]]]}}, \"n\": 12345678901234567890123}")]
    [InlineData("{\"dup\": 1, \"dup\": 2}")]
    public void Metadata_IsTheSameTextAsADocumentMinify(string metadata)
    {
        var f = Json(Item("\"a\"", 1, metadata: metadata));
        Assert.Equal(JsonValues.Minify(Encoding.UTF8.GetBytes(metadata)), f.MetadataJson[0]);
    }

    [Fact]
    public void Metadata_OnSomeItems_IsFoundForThoseItemsOnly()
    {
        var items = Enumerable.Range(0, 100).Select(i => Item("\"i" + i.ToString("D3", CultureInfo.InvariantCulture) + "\"", 1, metadata: i % 7 == 3 ? "{\"k\":" + i.ToString(CultureInfo.InvariantCulture) + "}" : i % 7 == 4 ? "{}" : null));
        var f = Json(string.Join(",", items));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i % 7 == 3 ? "{\"k\":" + i.ToString(CultureInfo.InvariantCulture) + "}" : null, f.MetadataJson[i]);
        }
    }

    [Fact]
    public void IdsOfOneLength_KeepNoOffsets_AndIdsOfMixedLengthsReadBackTheSame()
    {
        var fixedWidth = Json(string.Join(",", Enumerable.Range(0, 50).Select(i => Item("\"q" + i.ToString("D4", CultureInfo.InvariantCulture) + "\"", 1))));
        Assert.Equal(250, fixedWidth.Columns.Ids.ByteCount);
        Assert.Equal("q0049", fixedWidth.ItemIds[49]);

        // The first different length switches to offsets after 20 fixed-width entries.
        var ids = Enumerable.Range(0, 20).Select(i => "q" + i.ToString("D4", CultureInfo.InvariantCulture)).Concat(new[] { "long-id-20", "x", string.Empty, "é" }).ToArray();
        var mixed = Json(string.Join(",", ids.Select(id => Item("\"" + id + "\"", 1))));
        Assert.Equal(ids, mixed.ItemIds);
        Assert.False(mixed.Columns.Ids.ContentEquals(fixedWidth.Columns.Ids));
        Assert.Throws<ArgumentOutOfRangeException>(() => mixed.ItemIds[ids.Length]);
    }

    [Fact]
    public void FramesBuiltInMemory_UseTheSameColumns_AsFramesReadFromFiles()
    {
        var ids = new List<string> { "b", "a", "c" };
        var f = RunFrame.Create("r", "m", "t", "a", ids, new[] { 1.0, 0.5, 0.0 }, new[] { "x", null, "x" }, new[] { 0, 0, 3 }, new[] { null, "{\"k\":1}", null });
        Assert.Equal(ids, f.ItemIds);
        Assert.Equal(new[] { "x", null, "x" }, f.ClusterIds);
        Assert.Equal(new[] { 0, 0, 3 }, f.ItemEpochs);
        Assert.Equal(new[] { null, "{\"k\":1}", null }, f.MetadataJson);
        Assert.Equal(1, f.ClusterCount);
        Assert.Equal(new RunFrameItem("c", 0.0, "x", 3, null), f.GetItem(2));
        var dup = Assert.Throws<RunFrameInvalidException>(() => RunFrame.Create("r", "m", "t", "a", new[] { "a", "a" }, new[] { 1.0, 1.0 }));
        Assert.Equal(EvalSigError.RunFrameInvalid, dup.Error);
    }
}
