using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EvalSig.Core.RunFrames;
using Xunit;

namespace EvalSig.Core.Tests;

/// <summary>
/// Issue 16: the usual items of a large RunFrame JSON file are read by <see cref="JsonItemScanner"/> instead of
/// the reader; every file must read exactly as the reader alone reads it (frame, problems, their lines and bytes).
/// </summary>
public class JsonItemScannerTests
{
    /// <summary>Every printable ASCII character but the quote and the backslash: what the scanner copies into metadata as it stands.</summary>
    private static readonly string Printable = new(Enumerable.Range(0x20, 0x7F - 0x20).Select(c => (char)c).Where(c => c is not ('"' or '\\')).ToArray());

    /// <summary>Items the scanner reads (each after a usual item, and in runs of their own).</summary>
    private static readonly string[] UsualItems =
    {
        "{\"item_id\":\"a1\",\"score\":1,\"cluster_id\":\"c\",\"epoch\":9,\"metadata\":{}}",
        "{ \"score\" : -0.0 , \"item_id\" : \"a2\" }",
        "{\r\n\t\"item_id\":\"a3\",\r\n\t\"score\":1.5e-3,\r\n\t\"cluster_id\":null,\r\n\t\"epoch\":null,\r\n\t\"metadata\":null\r\n}",
        "{\"item_id\":\"a4\",\"score\":0.43016542191958035,\"metadata\":{ \n }}",
        "{\"item_id\":\"a5 ~!@#$%^&*()\",\"score\":123456789012345678901234567890,\"cluster_id\":\"\"}",
        "{\"item_id\":\"a6\",\"score\":4.9e-324,\"epoch\":0}",
        "{\"item_id\":\"a7\",\"score\":1.7976931348623157E+308,\"cluster_id\":\"q\"}",
        "{\"item_id\":\"a8\",\"score\":0.1234567890123456789012345,\"cluster_id\":\"q\"}",
        "{\"item_id\":\"a9\",\"score\":0.5,\"metadata\":{\"source\": \"gen\", \"len\": 5}}",
        "{\"item_id\":\"a10\",\"score\":0.5,\"metadata\":{ \"n\" : -0.5e-3 ,\"t\":true,\"f\":false,\"z\":null,\"\":\"\",\"n\":0 }}",
        "{\"item_id\":\"a11\",\"score\":0.5,\"metadata\":{\"" + Printable + "\":\"" + Printable + "\"}}",
    };


    /// <summary>Items the scanner leaves to the reader, none of them a problem.</summary>
    private static readonly string[] ReaderItems =
    {
        "{\"item_id\":\"b#\\u0031\",\"score\":0.5}",
        "{\"item_id\":\"b#\u00e9\",\"score\":0.5,\"cluster_id\":\"p\u00e9\"}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"cluster_id\":\"\\u0070\"}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"epoch\":12}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"metadata\":{\"source\":{\"name\":\"gen\"},\"len\":5}}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"metadata\":{\"tags\":[\"x\",1]}}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"metadata\":{\"s\":\"a\\u0041\\n\"}}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"metadata\":{\"s\":\"caf\u00e9 <b>&amp;</b>\"}}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"metadata\":{\"s\":\"del\u007f\"}}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"extra\":[1,{\"x\":null}]}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"cluster_id\":\"c\",\"cluster_id\":\"d\"}",
        "{\"item_\\u0069d\":\"b#\",\"score\":0.5}",
        "{\"item_id\":7#,\"score\":0.5}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"cluster_id\":42}",
        "{\"item_id\":\"b#\",\"score\":0.5,\"cluster_id\":\"c\",\"epoch\":0,\"metadata\":{},\"extra\":0}",
    };

    /// <summary>Items the reader reports as problems (the scanner must leave them all to it).</summary>
    private static readonly string[] ProblemItems =
    {
        "{\"item_id\":\"e#\",\"score\":\"0.5\"}",
        "{\"item_id\":null,\"score\":0.5}",
        "{\"item_id\":\"e#\"}",
        "{\"score\":0.5}",
        "{}",
        "7",
        "[{\"item_id\":\"e#\",\"score\":1}]",
        "{\"item_id\":\"e#\",\"score\":0.5,\"epoch\":-1}",
        "{\"item_id\":\"e#\",\"score\":0.5,\"epoch\":\"1\"}",
        "{\"item_id\":\"e#\",\"score\":0.5,\"epoch\":1.0e0}",
        "{\"item_id\":\"e#\",\"score\":0.5,\"metadata\":[]}",
        "{\"item_id\":\"e#\",\"score\":0.5,\"cluster_id\":{}}",
    };

    /// <summary>A usual item whose score the reader reads as infinity, which only the whole frame's rules refuse.</summary>
    private const string InfiniteScoreItem = "{\"item_id\":\"e#\",\"score\":1e400}";

    /// <summary>A usual item whose (item_id, epoch) is an earlier item's: a problem only the whole frame shows.</summary>
    private const string DuplicateItem = "{\"item_id\":\"q0000001\",\"score\":0.5,\"epoch\":1}";

    [Fact]
    public void LargeJson_WithUsualAndOtherItems_ReadsTheSameWithAndWithoutTheScanner()
    {
        var text = LargeRun(ReaderItems, seed: 3);
        var (on, scanned) = ReadFrame(text, scanner: true);
        var (off, notScanned) = ReadFrame(text, scanner: false);

        Assert.True(scanned > 30_000, $"{scanned} items scanned");
        Assert.Equal(0, notScanned);
        Assert.Equal(off.Count, on.Count);
        Assert.Equal(off.ClusterCount, on.ClusterCount);
        Assert.Equal(off.Columns.ClusterCodes!.Take(off.Count), on.Columns.ClusterCodes!.Take(on.Count));
        Assert.Equal(Written(off), Written(on));
    }

    [Fact]
    public void LargeJson_WithProblemItems_HasTheSameProblemsWithAndWithoutTheScanner()
    {
        var text = LargeRun(ProblemItems.Concat(ReaderItems).Append(DuplicateItem).Append(InfiniteScoreItem).ToArray(), seed: 4);
        var (on, scanned) = Problems(text, scanner: true);
        var (off, _) = Problems(text, scanner: false);

        Assert.True(scanned > 30_000, $"{scanned} items scanned");
        Assert.Contains(off, p => p.Contains("score must be a finite number", StringComparison.Ordinal));
        Assert.Contains(off, p => p.Contains("q0000001", StringComparison.Ordinal));
        Assert.Equal(off, on);
    }

    [Theory]
    [InlineData("a dropped comma")]
    [InlineData("a control byte in an id")]
    [InlineData("a leading zero")]
    [InlineData("a comment")]
    [InlineData("invalid UTF-8 in an id")]
    [InlineData("an item cut short at the end")]
    public void LargeJson_MalformedOrWithACommentAfterScannedItems_ReadsTheSameWithAndWithoutTheScanner(string what)
    {
        var bytes = Encoding.UTF8.GetBytes(LargeRun(ReaderItems, seed: 5));
        var id = bytes.AsSpan().IndexOf("\"q0030000\""u8);
        var score = id + bytes.AsSpan(id).IndexOf("\"score\": "u8) + 9;
        bytes = what switch
        {
            "a dropped comma" => [.. bytes[..(id + 10)], .. bytes[(id + 11)..]],
            "a control byte in an id" => [.. bytes[..(id + 3)], 0x01, .. bytes[(id + 3)..]],
            "a leading zero" => [.. bytes[..score], (byte)'0', .. bytes[score..]],
            "a comment" => [.. bytes[..(id + 11)], .. "/* c */"u8.ToArray(), .. bytes[(id + 11)..]],
            "invalid UTF-8 in an id" => [.. bytes[..(id + 3)], 0xFF, .. bytes[(id + 3)..]],
            _ => bytes[..bytes.AsSpan().LastIndexOf("\"item_id\""u8)],
        };

        var (on, scanned) = Problems(bytes, scanner: true);
        var (off, _) = Problems(bytes, scanner: false);

        Assert.True(scanned > 20_000, $"{what}: {scanned} items scanned");
        Assert.Equal(off, on);
        if (what == "a comment")
        {
            Assert.Empty(off);
        }
        else
        {
            Assert.Contains(off, p => p.Contains("line", StringComparison.Ordinal) && p.Contains("byte", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Scanner_ReadsUsualItemsUpToTheFirstOtherOne()
    {
        foreach (var other in ReaderItems.Concat(ProblemItems).Concat(new[] { "{\"item_id\":\"x\",\"score\":0.5/**/}", "{\"item_id\":\"x\",\"score\":0.5,}", "{\"item_id\":\"x\",\"score\":0.5,\"metadata\":{\"s\":\"x\",}}" }))
        {
            var first = ",\n  " + UsualItems[0];
            var text = Encoding.UTF8.GetBytes(first + " ,\n  " + UsualItems[1] + "," + other.Replace("#", "0", StringComparison.Ordinal) + "," + UsualItems[2]);
            var b = new RunFrameBuilder("t");
            var read = JsonItemScanner.ReadItems(text, b, new System.Buffers.ArrayBufferWriter<byte>());
            Assert.True(Encoding.UTF8.GetByteCount(first + " ,\n  " + UsualItems[1]) == read, other);
            Assert.Equal(2, b.Count);
        }
    }

    [Fact]
    public void Scanner_LeavesAUsualItemCutAnywhereToTheReader()
    {
        // The end of the buffer can fall anywhere in an item: only a whole item is read, and a part adds nothing.
        foreach (var item in UsualItems)
        {
            var text = Encoding.UTF8.GetBytes(", " + item);
            for (var n = 0; n <= text.Length; n++)
            {
                var b = new RunFrameBuilder("t");
                var read = JsonItemScanner.ReadItems(text.AsSpan(0, n), b, new System.Buffers.ArrayBufferWriter<byte>());
                Assert.Equal(n == text.Length ? n : 0, read);
                Assert.Equal(n == text.Length ? 1 : 0, b.Count);
            }
        }
    }

    /// <summary>A run over 4 MB (read first without comments, the reading that scans): usual items with the others among them.</summary>
    private static string LargeRun(string[] others, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("{\n \"run_id\": \"r\",\n \"model_id\": \"m\",\n \"task_id\": \"t\",\n \"metric_name\": \"accuracy\",\n \"items\": [\n");
        var i = 0;
        while (sb.Length < 5 << 20)
        {
            if (i > 0)
            {
                sb.Append(",\n");
            }

            var score = rng.NextDouble().ToString(rng.Next(4) == 0 ? "E10" : "R", CultureInfo.InvariantCulture);
            string item;
            if (i % 500 == 250)
            {
                item = others[(i / 500) % others.Length].Replace("#", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }
            else if (i % 97 == 3)
            {
                item = UsualItems[(i / 97) % UsualItems.Length].Replace("\"a", "\"u" + i.ToString(CultureInfo.InvariantCulture) + "a", StringComparison.Ordinal);
            }
            else
            {
                item = "  {\n   \"item_id\": \"q" + i.ToString("D7", CultureInfo.InvariantCulture) + "\",\n   \"score\": " + score
                    + ",\n   \"cluster_id\": \"p" + (i / 5).ToString("D6", CultureInfo.InvariantCulture) + "\",\n   \"epoch\": " + (i % 3).ToString(CultureInfo.InvariantCulture)
                    + ",\n   \"metadata\": " + (i % 10 == 0 ? "{\"source\": \"gen\", \"len\": 3}" : "{}") + "\n  }";
            }

            sb.Append(item);
            i++;
        }

        return sb.Append("\n ]\n}\n").ToString();
    }

    private static (RunFrame Frame, long Scanned) ReadFrame(string text, bool scanner)
    {
        var before = JsonItemScanner.ItemsScanned;
        JsonItemScanner.OffOnThisThread = !scanner;
        try
        {
            var frame = RunFrameFile.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), "run.json");
            return (frame, JsonItemScanner.ItemsScanned - before);
        }
        finally
        {
            JsonItemScanner.OffOnThisThread = false;
        }
    }

    private static (List<string> Problems, long Scanned) Problems(string text, bool scanner) => Problems(Encoding.UTF8.GetBytes(text), scanner);

    private static (List<string> Problems, long Scanned) Problems(byte[] bytes, bool scanner)
    {
        var before = JsonItemScanner.ItemsScanned;
        JsonItemScanner.OffOnThisThread = !scanner;
        try
        {
            var problems = RunFrameFile.Validate(new MemoryStream(bytes), "run.json")
                .Select(p => $"{p.Message} | line {p.Line} byte {p.BytePosition} item {p.ItemIndex} field {p.Field}")
                .ToList();
            return (problems, JsonItemScanner.ItemsScanned - before);
        }
        finally
        {
            JsonItemScanner.OffOnThisThread = false;
        }
    }

    private static byte[] Written(RunFrame frame)
    {
        using var ms = new MemoryStream();
        RunFrameFile.WriteTo(frame, ms, RunFrameFormat.Json);
        return ms.ToArray();
    }
}
