using System;

namespace EvalSig.Core.RunFrames;

/// <summary>
/// What the first bytes of a JSON, JSONL or CSV run say about the whole (issue 16): items and their id
/// bytes, cluster labels (counted where the label changes, as items of a cluster usually sit together)
/// and non-empty metadata. Only an estimate for sizing columns: nothing is validated here, and a wrong
/// guess costs some slack or one growth step, never a wrong frame.
/// </summary>
internal struct HeadEstimate
{
    public int Items;
    public long IdBytes;
    public int Labels;
    public long LabelBytes;
    public int MetadataItems;
    public long MetadataBytes;

    /// <summary>From the <c>"item_id"</c>, <c>"cluster_id"</c> and <c>"metadata"</c> members of JSON or JSONL text.</summary>
    public static HeadEstimate OfJson(ReadOnlySpan<byte> head)
    {
        var e = default(HeadEstimate);
        var pos = 0;
        while (NextString(head, ref pos, "\"item_id\""u8, out var id))
        {
            e.Items++;
            e.IdBytes += id.End.Value - id.Start.Value;
        }

        pos = 0;
        Range last = default;
        while (NextString(head, ref pos, "\"cluster_id\""u8, out var label))
        {
            if (!head[label].SequenceEqual(head[last]))
            {
                e.Labels++;
                e.LabelBytes += head[label].Length;
                last = label;
            }
        }

        var rest = head;
        int at;
        while ((at = rest.IndexOf("\"metadata\""u8)) >= 0)
        {
            rest = rest[(at + 10)..].TrimStart(" \t\r\n:"u8);
            var length = ObjectLength(rest);
            if (length < 0)
            {
                break;
            }

            if (rest[1..(length - 1)].Trim(" \t\r\n"u8).Length > 0)
            {
                e.MetadataItems++;
                e.MetadataBytes += length;
            }

            rest = rest[length..];
        }

        return e;
    }

    /// <summary>From the <c>item_id</c>, <c>cluster_id</c> and <c>metadata_json</c> fields of the complete rows of CSV text.</summary>
    public static HeadEstimate OfCsv(ReadOnlySpan<byte> head)
    {
        var e = default(HeadEstimate);
        var nl = head.IndexOf((byte)'\n');
        if (nl < 0)
        {
            return e;
        }

        var header = head[..nl];
        int id = -1, cluster = -1, metadata = -1;
        for (var k = 0; Field(header, k) is { } name; k++)
        {
            var n = header[name].Trim((byte)'"');
            id = n.SequenceEqual("item_id"u8) ? k : id;
            cluster = n.SequenceEqual("cluster_id"u8) ? k : cluster;
            metadata = n.SequenceEqual("metadata_json"u8) ? k : metadata;
        }

        var rest = head[(nl + 1)..];
        ReadOnlySpan<byte> last = default;
        while (id >= 0 && (nl = rest.IndexOf((byte)'\n')) >= 0)
        {
            var line = rest[..nl];
            rest = rest[(nl + 1)..];
            if (Field(line, id) is not { } i)
            {
                continue;
            }

            e.Items++;
            e.IdBytes += line[i].Trim((byte)'"').Length;
            if (cluster >= 0 && Field(line, cluster) is { } c && !line[c].SequenceEqual(last))
            {
                last = line[c];
                e.Labels++;
                e.LabelBytes += last.Length;
            }

            if (metadata >= 0 && Field(line, metadata) is { } m && line[m].Trim("\" \t"u8).Length > 2)
            {
                e.MetadataItems++;
                e.MetadataBytes += line[m].Length;
            }
        }

        return e;
    }

    /// <summary>The next <paramref name="name"/> member whose value is a string (its content, escapes and all), from <paramref name="pos"/> on.</summary>
    private static bool NextString(ReadOnlySpan<byte> text, ref int pos, ReadOnlySpan<byte> name, out Range value)
    {
        value = default;
        while (pos < text.Length)
        {
            var at = text[pos..].IndexOf(name);
            if (at < 0)
            {
                break;
            }

            pos += at + name.Length;
            while (pos < text.Length && text[pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)':')
            {
                pos++;
            }

            if (pos < text.Length && text[pos] == (byte)'"')
            {
                var end = text[(pos + 1)..].IndexOf((byte)'"');
                if (end < 0)
                {
                    break;
                }

                value = (pos + 1)..(pos + 1 + end);
                pos += end + 2;
                return true;
            }
        }

        pos = text.Length;
        return false;
    }

    /// <summary>The byte length of the JSON object at the start of <paramref name="text"/>, or -1 when it does not end within it.</summary>
    private static int ObjectLength(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty || text[0] != (byte)'{')
        {
            return -1;
        }

        var depth = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == (byte)'\\')
                {
                    i++;
                }
                else if (c == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (c == (byte)'"')
            {
                inString = true;
            }
            else if (c == (byte)'{' || c == (byte)'[')
            {
                depth++;
            }
            else if ((c == (byte)'}' || c == (byte)']') && --depth == 0)
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>Field <paramref name="k"/> of one CSV line, quotes respected (a doubled quote inside is text).</summary>
    private static Range? Field(ReadOnlySpan<byte> line, int k)
    {
        line = line.TrimEnd((byte)'\r');
        var start = 0;
        var field = 0;
        var quoted = false;
        for (var i = 0; i <= line.Length; i++)
        {
            if (i < line.Length && line[i] == (byte)'"')
            {
                quoted = !quoted;
            }
            else if (i == line.Length || (line[i] == (byte)',' && !quoted))
            {
                if (field++ == k)
                {
                    return start..i;
                }

                start = i + 1;
            }
        }

        return null;
    }
}
