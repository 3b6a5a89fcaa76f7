using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.Json;
using EvalSig.Core.RunFrames;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// The JSONL, CSV and Parquet readers parse bytes in place (issue 16): lines and records that cross the
/// read window, every kind of line break, a byte order mark, escapes and invalid UTF-8 must read exactly
/// as text did.
/// </summary>
public sealed class ByteReaderTests
{
    private const string Run = "\"run_id\":\"r\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"acc\"";

    // Larger than the readers' windows (JSONL 64 KB, CSV 256 KB), so a record must survive a refill and a grown window.
    private static readonly string Long = new('x', 600_000);

    [Fact]
    public void Jsonl_LinesLongerThanTheReadWindow_AreReadWhole()
    {
        using var s = new Scratch();
        var sb = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            var note = i == 1500 ? Long : "n" + i;
            sb.Append(CultureInfo($"{{{Run},\"item_id\":\"q{i:D5}\",\"score\":{i % 2},\"cluster_id\":\"c{i / 7}\",\"metadata\":{{\"note\":\"{note}\"}}}}\n"));
        }

        var f = RunFrameFile.Read(s.Write("long.jsonl", sb.ToString()));

        Assert.Equal(3000, f.Count);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => CultureInfo($"q{i:D5}")), f.ItemIds);
        Assert.Equal(Long, f.GetItem(1500).Metadata["note"]);
        Assert.Equal("n2999", f.GetItem(2999).Metadata["note"]);
        Assert.Equal("c428", f.ClusterIds[2999]);
        Assert.Equal(429, f.ClusterCount);
    }

    [Fact]
    public void Jsonl_WithByteOrderMark_CrLf_LoneCr_BlankLinesAndNoFinalBreak_CountsLinesAsText()
    {
        using var s = new Scratch();
        var text = "\uFEFF{" + Run + ",\"item_id\":\"a\",\"score\":1}\r\n\r\n \t \r{" + Run + ",\"item_id\":\"b\",\"score\":0}\r[1]\n{" + Run + ",\"item_id\":\"c\",\"score\":0.5}";
        var path = s.File("breaks.jsonl");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text));

        // Line 5 (after CRLF, CRLF, CR, CR) is an array: the problem names it, the other items read.
        var p = Assert.Single(RunFrameFile.Validate(path));
        Assert.Equal("line 5 is not a JSON object; each line is one item", p.Message);
        Assert.Equal(2, p.ItemIndex);

        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.Replace("\r[1]", string.Empty, StringComparison.Ordinal)));
        var f = RunFrameFile.Read(path);
        Assert.Equal(new[] { "a", "b", "c" }, f.ItemIds);
        Assert.Equal(new[] { 1.0, 0.0, 0.5 }, f.Scores);
    }

    [Fact]
    public void Jsonl_EscapedIdsClustersAndRunFields_AreUnescaped()
    {
        using var s = new Scratch();
        var path = s.Write("esc.jsonl", "{\"run_id\":\"r\\u0031\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"acc\",\"item_id\":\"q\\u00e9\\\"1\",\"score\":1,\"cluster_id\":\"c\\/1\"}\n"
            + "{\"run_id\":\"r1\",\"model_id\":\"m\",\"task_id\":\"t\",\"metric_name\":\"acc\",\"item_\\u0069d\":\"plain\",\"score\":0,\"cluster_id\":\"c/1\"}\n");

        var f = RunFrameFile.Read(path);

        Assert.Equal(new[] { "qé\"1", "plain" }, f.ItemIds);
        Assert.Equal(new[] { "c/1", "c/1" }, f.ClusterIds);
        Assert.Equal(1, f.ClusterCount);
        Assert.Equal("r1", f.RunId);
    }

    [Fact]
    public void Jsonl_Metadata_IsMinifiedAsTheDocumentWouldBe_AndExtraKeysMergeIntoIt()
    {
        using var s = new Scratch();
        const string Meta = "{ \"a\" : \"x\\u00e9\\n<b>\", \"b\": [1, 2.50, {\"c\": null, \"d\": true}], \"e\\u0041\": -0.0 }";
        var path = s.Write("meta.jsonl", "{" + Run + ",\"item_id\":\"a\",\"score\":1,\"metadata\":" + Meta + "}\n"
            + "{" + Run + ",\"item_id\":\"b\",\"score\":1,\"metadata\":" + Meta + ",\"extra\":[1,\"two\"],\"a\":\"kept from metadata\"}\n"
            + "{" + Run + ",\"item_id\":\"c\",\"score\":1,\"metadata\":{}}\n");

        var f = RunFrameFile.Read(path);

        Assert.Equal(JsonValues.Minify(Encoding.UTF8.GetBytes(Meta)), f.MetadataJson[0]);
        var merged = f.GetItem(1).Metadata;
        Assert.Equal("x\u00e9\n<b>", merged["a"]);
        Assert.Equal(new object?[] { 1L, "two" }, (object?[])merged["extra"]!);
        Assert.Null(f.MetadataJson[2]);
    }

    [Fact]
    public void Jsonl_DuplicateKeys_LastWins_AndLeaveNoUnusedCluster()
    {
        using var s = new Scratch();
        var f = RunFrameFile.Read(s.Write("dup.jsonl", "{" + Run + ",\"item_id\":\"a\",\"score\":0,\"cluster_id\":\"x\",\"cluster_id\":\"y\",\"score\":1}\n"));

        Assert.Equal(new string?[] { "y" }, f.ClusterIds);
        Assert.Equal(1, f.ClusterCount);
        Assert.Equal(new[] { 1.0 }, f.Scores);
    }

    [Fact]
    public void Jsonl_MalformedLine_IsTheOnlyProblem_EvenAfterBadFieldsOnIt()
    {
        using var s = new Scratch();
        var path = s.Write("bad.jsonl", "{" + Run + ",\"item_id\":\"a\",\"score\":1}\n{" + Run + ",\"item_id\":5,\"score\":\"x\",\"run_id\":\"other\"} trailing\n");

        var p = Assert.Single(RunFrameFile.Validate(path));

        Assert.StartsWith("malformed JSON: ", p.Message, StringComparison.Ordinal);
        Assert.Equal(2, p.Line);
    }

    [Fact]
    public void Jsonl_BadValues_AreReportedWithTheTextAsWritten()
    {
        using var s = new Scratch();
        var path = s.Write("vals.jsonl", "{" + Run + ",\"item_id\":null,\"score\":{\"v\": 1},\"epoch\":\"two\"}\n");

        var problems = RunFrameFile.Validate(path).Select(p => (p.ItemIndex, p.Field, p.Message)).ToList();

        Assert.Equal(
            new (int?, string?, string)[]
            {
                (0, "item_id", "item_id must be a string"),
                (0, "score", "score must be a number, not {\"v\": 1}"),
                (0, "epoch", "epoch must be an integer >= 0, not \"two\""),
            },
            problems);
    }

    [Theory]
    [InlineData(",\"item_id\":\"a\",\"score\":0.25,\"cluster_id\":\"c\",\"epoch\":2,\"metadata\":{\"k\":[1,{\"x\":null}]}}")]
    [InlineData(",\"item_id\":5,\"score\":1e400,\"cluster_id\":7,\"epoch\":\"two\",\"metadata\":[]}")]
    [InlineData(",\"score\":\"high\"}")]
    [InlineData(",\"item_id\":\"a\",\"score\":1,\"note\":\"an extra key\"}")]
    [InlineData(",\"item_id\":\"a\",\"score\":1,\"metadata\":\"{\\\"k\\\": 1}\"}")]
    [InlineData(",\"item_id\":\"q\\u00e9\",\"score\":1,\"run_id\":\"other\",\"model_id\":\"m\"}")]
    [InlineData(",\"item_id\":\"a\",\"score\":1} trailing")]
    [InlineData(",\"item_id\":\"a\",\"score\":}")]
    [InlineData("5,\"item_id\":\"a\",\"score\":1}")]
    [InlineData("}")]
    [InlineData(" ")]
    [InlineData(",\"item_id\":\"a\u00e9\",\"score\":1}")]
    public void Jsonl_ALineOpeningWithTheRunFieldsOfTheLineBefore_ReadsAsItDoesAlone(string tail)
    {
        // Issue 16: after a line read on the fast path, a line opening with the same run fields is parsed from
        // the reader's state after them; the same line first in a file is parsed whole.
        foreach (var opening in new[] { "{" + Run, "{ \"run_id\":\"r\",\"task_id\":{\"k\":[1,\"x\"]}" })
        {
            var line = Encoding.UTF8.GetBytes(opening + tail + "\n");
            var alone = ReadJsonl(line);
            var after = ReadJsonl([.. Encoding.UTF8.GetBytes(opening + ",\"item_id\":\"first\",\"score\":0,\"metadata\":{}}\n"), .. line]);

            Assert.Equal(alone.Problems.Select(p => (p.ItemIndex + 1, p.Field, p.Message, p.Line + 1, p.BytePosition)), after.Problems.Select(p => (p.ItemIndex, p.Field, p.Message, p.Line, p.BytePosition)));
            Assert.Equal(alone.Items, after.Items.Skip(1));
        }
    }

    [Fact]
    public void Jsonl_InvalidUtf8AfterTheRunFieldsOfTheLineBefore_NamesTheLineAndByte()
    {
        var line = Encoding.UTF8.GetBytes("{" + Run + ",\"item_id\":\"a\u00e9\",\"score\":1}\n");
        var at = Array.IndexOf(line, (byte)0xC3);
        line[at + 1] = 0x28;

        var after = ReadJsonl([.. Encoding.UTF8.GetBytes("{" + Run + ",\"item_id\":\"first\",\"score\":0}\n"), .. line]);

        var p = Assert.Single(after.Problems);
        Assert.Equal("the text is not valid UTF-8 (bytes C3); save the file as UTF-8", p.Message);
        Assert.Equal(2, p.Line);
        Assert.Equal(at + 1, p.BytePosition);
        Assert.Equal(ReadJsonl(line).Problems.Single().BytePosition, p.BytePosition);
    }

    [Theory]
    [InlineData("3", "35")]
    [InlineData("null", "nullx")]
    [InlineData("\"acc\"", "\"acc\"5")]
    public void Jsonl_ARunFieldValueThatALaterLineExtends_IsReadAsWritten(string first, string second)
    {
        // A number or literal ends where the byte after it says: a line whose bytes start like the line before
        // may still hold a different value there, or malformed JSON.
        var text = "{\"metric_name\":" + first + ",\"item_id\":\"a\",\"score\":1}\n{\"metric_name\":" + second + ",\"item_id\":\"b\",\"score\":1}\n";
        var secondAlone = ReadJsonl(Encoding.UTF8.GetBytes("{\"metric_name\":" + second + ",\"item_id\":\"b\",\"score\":1}\n"));

        var p = Assert.Single(ReadJsonl(Encoding.UTF8.GetBytes(text)).Problems);

        if (secondAlone.Problems.Count == 1)
        {
            // Malformed: the same message and byte as when the line is read alone.
            Assert.StartsWith("malformed JSON: ", p.Message, StringComparison.Ordinal);
            Assert.Equal((secondAlone.Problems[0].Message, 2L, secondAlone.Problems[0].BytePosition), (p.Message, p.Line, p.BytePosition));
        }
        else
        {
            Assert.Equal(("metric_name", 1), (p.Field, p.ItemIndex));
            Assert.StartsWith($"'metric_name' is '{second}' here", p.Message, StringComparison.Ordinal);
        }
    }

    private static (IReadOnlyList<RunFrameProblem> Problems, IReadOnlyList<RunFrameItem> Items) ReadJsonl(byte[] bytes)
    {
        using var s = new Scratch();
        var path = s.File("lines.jsonl");
        File.WriteAllBytes(path, bytes);
        var problems = RunFrameFile.Validate(path);
        return (problems, problems.Count == 0 ? RunFrameFile.Read(path).Items.ToList() : []);
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("csv")]
    public void LineFormats_WithInvalidUtf8_NameTheLineAndByte(string ext)
    {
        using var s = new Scratch();
        var text = ext == "csv"
            ? "item_id,score,note\nq1,0.5,\"two\nlines\"\nq2,1,ab\u00e9\n"
            : "{\"item_id\":\"q1\",\"score\":0.5}\n\n{\"item_id\":\"q2\",\"score\":1,\"note\":\"ab\u00e9\"}\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at + 1] = 0x28; // C3 28: a lead byte without its continuation
        var lineStart = Array.LastIndexOf(bytes, (byte)'\n', at) + 1;
        var path = s.File("bad." + ext);
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<RunFrameInvalidException>(() => RunFrameFile.Read(path));

        var p = Assert.Single(ex.Problems);
        Assert.Equal("the text is not valid UTF-8 (bytes C3); save the file as UTF-8", p.Message);
        Assert.Equal(ext == "csv" ? 4 : 3, p.Line); // CSV: the quoted break counts as a line
        Assert.Equal(at - lineStart + 1, p.BytePosition);
    }

    [Fact]
    public void Csv_QuotedFieldsWithBreaksAndDoubledQuotes_AcrossWindowRefills_ReadExactly()
    {
        using var s = new Scratch();
        var sb = new StringBuilder("\uFEFFitem_id,score,cluster_id,note,run_id\r\n");
        var notes = new string[5000];
        for (var i = 0; i < notes.Length; i++)
        {
            notes[i] = i == 2500 ? Long + "\"" : CultureInfo($"say \"{i}\",\r\nand\nmore");
            sb.Append(CultureInfo($"q{i:D5},{i % 3 * 0.5},\"c,{i / 10}\",\"{notes[i].Replace("\"", "\"\"", StringComparison.Ordinal)}\",r{(i % 2 == 0 ? "\r\n" : i % 3 == 0 ? "\r" : "\n")}"));
        }

        // The last record has one field too many: its line counts the breaks inside quotes.
        sb.Append("z,1,c,n,r,extra\n");
        var path = s.File("q.csv");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(sb.ToString()));

        var p = Assert.Single(RunFrameFile.Validate(path));
        Assert.Equal(CultureInfo($"line {1 + (3 * 4999) + 1 + 1} has 6 fields but the header has 5"), p.Message);

        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(sb.ToString()[..^"z,1,c,n,r,extra\n".Length]));
        var f = RunFrameFile.Read(path);
        Assert.Equal(notes.Length, f.Count);
        Assert.Equal("r", f.RunId);
        for (var i = 0; i < notes.Length; i++)
        {
            Assert.Equal(CultureInfo($"q{i:D5}"), f.ItemIds[i]);
            Assert.Equal(CultureInfo($"c,{i / 10}"), f.ClusterIds[i]);
            Assert.Equal(notes[i], f.GetItem(i).Metadata["note"]);
        }
    }

    [Theory]
    [InlineData("item_id,score\na,1\n\"b,0\n", "malformed CSV: unterminated quoted field starting on line 3", 3L)]
    [InlineData("item_id,score\n\"a\nb\"x,1\n", "malformed CSV: unexpected character 'x' after a quoted field on line 3", 2L)]
    [InlineData("item_id,score\n\"a\"\u00e9,1\n", "malformed CSV: unexpected character '\u00e9' after a quoted field on line 2", 2L)]
    public void Csv_MalformedQuotes_AreReportedAsText(string text, string message, long line)
    {
        using var s = new Scratch();
        var p = Assert.Single(RunFrameFile.Validate(s.Write("m.csv", text)));

        Assert.Equal(message, p.Message);
        Assert.Equal(line, p.Line);
    }

    [Fact]
    public void Csv_Numbers_ParseFromBytesAsFromText()
    {
        using var s = new Scratch();
        var path = s.Write("n.csv", "item_id,score,epoch,run_id\na, 0.25 ,+1,\nb,1e-3,,\"\"\nc,abc,x,\n");

        var problems = RunFrameFile.Validate(path);

        // " 0.25 " and "+1" parse as text did; a quoted empty run_id differs from an unquoted (null) one.
        Assert.DoesNotContain(problems, p => p.ItemIndex == 0);
        Assert.Equal("run_id", Assert.Single(problems, p => p.ItemIndex == 1).Field);
        Assert.Equal(
            new[] { "score must be a number, not 'abc'", "epoch must be an integer >= 0, not 'x'" },
            problems.Where(p => p.ItemIndex == 2).Select(p => p.Message));
    }

    [Fact]
    public void Parquet_ManyRowGroupsWithNullsAndMetadata_RoundTrip()
    {
        using var s = new Scratch();
        var n = RunFrameParquet.RowGroupSize * 2 + 17;
        var ids = Enumerable.Range(0, n).Select(i => CultureInfo($"id-é-{i}")).ToArray();
        var scores = Enumerable.Range(0, n).Select(i => i % 5 / 4.0).ToArray();
        var clusters = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? null : CultureInfo($"c{i / 1000}")).ToArray();
        var metadata = Enumerable.Range(0, n).Select(i => i % 4 == 0 ? CultureInfo($"{{\"k\":{i},\"s\":\"v\\\"\"}}") : null).ToArray();
        var frame = RunFrame.Create("r", "m", "t", "acc", ids, scores, clusters, metadataJson: metadata);
        var path = s.File("many.parquet");

        RunFrameFile.Write(frame, path, RunFrameFormat.Parquet);
        var back = RunFrameFile.Read(path);

        Assert.Equal(ids, back.ItemIds);
        Assert.Equal(scores, back.Scores);
        Assert.Equal(clusters, back.ClusterIds);
        Assert.Equal(metadata, back.MetadataJson);
        Assert.Equal(frame.ClusterCount, back.ClusterCount);
        Assert.Equal("r", back.RunId);
    }

    private static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);
}
