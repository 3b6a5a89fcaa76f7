using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using EvalSig.Core.Diagnostics;
using EvalSig.Core.RunFrames;
using EvalSig.Testing;
using Xunit;

namespace EvalSig.Core.Tests;

public class RunFrameReadingTests
{
    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var c in TestPaths.ReferenceCases)
        {
            d.Add(c);
        }

        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StreamedJson_MatchesADomParseOfTheSameFile(string name)
    {
        foreach (var file in new[] { "baseline.json", "candidate.json" })
        {
            var path = TestPaths.Reference(name, file);
            var frame = RunFrameFile.Read(path);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var items = doc.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(doc.RootElement.GetProperty("run_id").GetString(), frame.RunId);
            Assert.Equal(items.Count, frame.Count);
            for (var i = 0; i < items.Count; i++)
            {
                Assert.Equal(items[i].GetProperty("item_id").GetString(), frame.ItemIds[i]);
                Assert.Equal(BitConverter.DoubleToInt64Bits(items[i].GetProperty("score").GetDouble()), BitConverter.DoubleToInt64Bits(frame.Scores[i]));
                var c = items[i].GetProperty("cluster_id");
                Assert.Equal(c.ValueKind == JsonValueKind.Null ? null : c.GetString(), frame.ClusterIds[i]);
                Assert.Equal(items[i].GetProperty("epoch").GetInt32(), frame.ItemEpochs[i]);
            }
        }
    }

    [Theory]
    [InlineData(RunFrameFormat.Json)]
    [InlineData(RunFrameFormat.Jsonl)]
    [InlineData(RunFrameFormat.Csv)]
    [InlineData(RunFrameFormat.Parquet)]
    public void ClusterIds_AreHeldOncePerDistinctLabel_WithTheSameValues(RunFrameFormat format)
    {
        // Issue 16: equal cluster ids share one code and one stored label, wherever they sit; values must
        // not change (escapes included).
        var dir = Directory.CreateTempSubdirectory("evalsig-core-").FullName;
        try
        {
            var json = Path.Combine(dir, "run.json");
            File.WriteAllText(json, """
                {"run_id":"r","model_id":"m","task_id":"t","metric_name":"a","items":[
                  {"item_id":"a","score":1,"cluster_id":"p\u00e9"},
                  {"item_id":"b","score":0,"cluster_id":"pé"},
                  {"item_id":"c","score":1,"cluster_id":"q"},
                  {"item_id":"d","score":1,"cluster_id":null},
                  {"item_id":"e","score":0,"cluster_id":"q"},
                  {"item_id":"f","score":0,"cluster_id":"q"}]}
                """);
            var path = Path.Combine(dir, "run." + format.ToString().ToLowerInvariant());
            if (format != RunFrameFormat.Json)
            {
                RunFrameFile.Write(RunFrameFile.Read(json), path, format);
            }
            else
            {
                path = json;
            }

            var f = RunFrameFile.Read(path);

            Assert.Equal(new[] { "p\u00e9", "p\u00e9", "q", null, "q", "q" }.Select(c => c is null ? null : System.Text.RegularExpressions.Regex.Unescape(c)), f.ClusterIds);
            Assert.Equal(2, f.Columns.ClusterLabels.Count);
            Assert.Equal(new[] { 0, 0, 1, -1, 1, 1 }, f.Columns.ClusterCodes!.Take(f.Count));
            Assert.Equal(2, f.ClusterCount);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void StreamedJson_ItemsAndMetadataSpanningBufferRefills_ParseExactly()
    {
        using var s = new Scratch();

        // 40,000 items (~5 MB) cross the 1 MiB buffer many times; one item carries 3 MB of
        // metadata, more than the buffer holds, so the buffer must grow mid-item.
        var path = SyntheticRuns.WriteJson(s.File("big.json"), 40_000, seed: 7);
        var text = File.ReadAllText(path);
        var huge = new string('x', 3 << 20);
        text = text.Replace("\"metadata\": {\"source\": \"gen\", \"len\": 0}", "\"metadata\": {\"blob\": \"" + huge + "\"}", StringComparison.Ordinal);
        File.WriteAllText(path, text);

        var frame = RunFrameFile.Read(path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var items = doc.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(40_000, frame.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Assert.Equal(items[i].GetProperty("item_id").GetString(), frame.ItemIds[i]);
            Assert.Equal(items[i].GetProperty("score").GetDouble(), frame.Scores[i]);
        }

        Assert.Equal(huge, frame.GetItem(0).Metadata["blob"]);
        Assert.Equal("gen", frame.GetItem(10).Metadata["source"]);
        Assert.Null(frame.MetadataJson[1]);
    }

    [Fact]
    public void MalformedJson_DeepInAFile_ReportsTheAbsoluteLine()
    {
        using var s = new Scratch();
        var path = SyntheticRuns.WriteJson(s.File("big.json"), 20_000);
        var lines = File.ReadAllLines(path).ToList();
        var target = lines.FindIndex(l => l.Contains("q0015000", StringComparison.Ordinal));
        lines[target] = lines[target].Replace("\",", "\"", StringComparison.Ordinal); // drop a comma
        File.WriteAllLines(path, lines);

        var problem = Assert.Single(RunFrameFile.Validate(path));
        Assert.Contains("malformed JSON", problem.Message, StringComparison.Ordinal);
        Assert.Equal(target + 2, problem.Line); // the error is found at the next token, one line on
    }

    [Fact]
    public void TruncatedJson_IsMalformed_NotAnEmptyFrame()
    {
        using var s = new Scratch();
        var path = SyntheticRuns.WriteJson(s.File("t.json"), 100);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));
        Assert.Equal(EvalSigError.RunFrameInvalid, ex.Error);
        var problem = Assert.Single(ex.Problems);
        Assert.Contains("malformed JSON", problem.Message, StringComparison.Ordinal);
        Assert.NotNull(problem.Line);
    }

    [Fact]
    public void Validation_CollectsAllProblems_OrderedByItem()
    {
        using var s = new Scratch();
        var path = s.Write("bad.json", """
            {"model_id":"m","task_id":"t","metric_name":"acc","items":[
              {"item_id":"a","score":"0.5"},
              {"item_id":"b","score":null},
              {"item_id":"c","score":1,"epoch":"one"},
              {"item_id":"c","score":1,"metadata":[1]},
              5
            ]}
            """);
        var problems = RunFrameFile.Validate(path);
        Assert.Equal(new (int?, string?)[]
        {
            (null, "run_id"),
            (0, "score"),
            (1, "score"),
            (2, "epoch"),
            (3, "metadata"),
            (3, "item_id"),
            (4, null),
        }, problems.Select(p => (p.ItemIndex, p.Field)));
    }

    [Fact]
    public void MissingItemsField_IsOneProblem()
    {
        using var s = new Scratch();
        var path = s.Write("noitems.json", """{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc"}""");
        var p = Assert.Single(RunFrameFile.Validate(path));
        Assert.Equal("items", p.Field);
    }

    [Fact]
    public void Csv_QuotedFieldsAndNullVersusEmpty_AreRead()
    {
        using var s = new Scratch();
        var path = s.Write("q.csv", "item_id,score,cluster_id,note\r\n\"a,1\",0.5,,\"say \"\"hi\"\"\"\r\nb,1,\"\",\"multi\nline\"\r\n");
        var f = RunFrameFile.Read(path);
        Assert.Equal(new[] { "a,1", "b" }, f.ItemIds);
        Assert.Null(f.ClusterIds[0]);
        Assert.Equal(string.Empty, f.ClusterIds[1]);
        Assert.Equal("say \"hi\"", f.GetItem(0).Metadata["note"]);
        Assert.Equal("multi\nline", f.GetItem(1).Metadata["note"]);
    }

    [Fact]
    public void Csv_MissingScoreColumn_NamesTheColumnsFound()
    {
        using var s = new Scratch();
        var path = s.Write("q.csv", "item_id,points\na,1\n");
        var p = Assert.Single(RunFrameFile.Validate(path));
        Assert.Contains("no 'score' column", p.Message, StringComparison.Ordinal);
        Assert.Contains("points", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jsonl_RunFieldsThatDisagree_AreAProblem()
    {
        using var s = new Scratch();
        var path = s.Write("r.jsonl", "{\"run_id\":\"a\",\"item_id\":\"1\",\"score\":1}\n{\"run_id\":\"b\",\"item_id\":\"2\",\"score\":0}\n");
        var p = Assert.Single(RunFrameFile.Validate(path));
        Assert.Equal("run_id", p.Field);
        Assert.Equal(1, p.ItemIndex);
    }

    [Fact]
    public void NotParquet_WithParquetExtension_IsInvalidNotACrash()
    {
        using var s = new Scratch();
        var path = s.Write("x.parquet", "this is not parquet at all");
        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));
        Assert.Contains("Parquet", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf8Bom_IsAccepted()
    {
        using var s = new Scratch();
        var path = s.File("bom.json");
        File.WriteAllText(path, """{"run_id":"r","model_id":"m","task_id":"t","metric_name":"acc","items":[{"item_id":"a","score":1}]}""", new UTF8Encoding(true));
        Assert.Equal(1, RunFrameFile.Read(path).Count);
    }
}
