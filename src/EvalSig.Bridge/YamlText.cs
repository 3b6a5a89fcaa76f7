using System;
using System.Buffers;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EvalSig.Bridge;

/// <summary>
/// YAML (through YamlDotNet) as JSON text, so EvalSig.Core reads a YAML manifest with the same code
/// as a JSON one and no YamlDotNet type crosses into Core. Plain scalars are typed by the YAML 1.2
/// core schema (null, true/false, integers, floats - yaml.org/spec/1.2.2 section 10.3.2); quoted
/// scalars are strings.
/// </summary>
public static partial class YamlText
{
    /// <summary>Converts one YAML document to JSON.</summary>
    /// <exception cref="InvalidDataException">Not YAML, more than one document, or a key that is not a scalar.</exception>
    public static string ToJson(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new InvalidDataException($"line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }

        if (stream.Documents.Count != 1)
        {
            throw new InvalidDataException($"expected one YAML document, found {stream.Documents.Count}.");
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, stream.Documents[0].RootNode, 0);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter w, YamlNode node, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidDataException("the YAML nests more than 64 levels (or an alias refers to itself).");
        }

        switch (node)
        {
            case YamlMappingNode map:
                w.WriteStartObject();
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode k)
                    {
                        throw new InvalidDataException($"line {key.Start.Line}: a mapping key must be a scalar.");
                    }

                    w.WritePropertyName(k.Value ?? string.Empty);
                    Write(w, value, depth + 1);
                }

                w.WriteEndObject();
                break;
            case YamlSequenceNode seq:
                w.WriteStartArray();
                foreach (var item in seq.Children)
                {
                    Write(w, item, depth + 1);
                }

                w.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(w, scalar);
                break;
            default:
                throw new InvalidDataException($"line {node.Start.Line}: unsupported YAML node.");
        }
    }

    private static void WriteScalar(Utf8JsonWriter w, YamlScalarNode s)
    {
        var text = s.Value ?? string.Empty;
        if (s.Style != ScalarStyle.Plain || (!s.Tag.IsEmpty && !s.Tag.IsNonSpecific && s.Tag.Value == "tag:yaml.org,2002:str"))
        {
            w.WriteStringValue(text);
            return;
        }

        if (text.Length == 0 || text is "~" or "null" or "Null" or "NULL")
        {
            w.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE")
        {
            w.WriteBooleanValue(true);
        }
        else if (text is "false" or "False" or "FALSE")
        {
            w.WriteBooleanValue(false);
        }
        else if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            w.WriteNumberValue(l);
        }
        else if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            w.WriteNumberValue(d);
        }
        else
        {
            // .inf and .nan have no JSON form; they, and everything else, stay text.
            w.WriteStringValue(text);
        }
    }

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
