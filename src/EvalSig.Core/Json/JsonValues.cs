using System;
using System.Buffers;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Json;

namespace EvalSig.Core.Json;

/// <summary>Turns JSON text into plain .NET values (dictionaries, arrays, strings, numbers) and back.</summary>
public static class JsonValues
{
    private static readonly IReadOnlyDictionary<string, object?> EmptyObject =
        new ReadOnlyDictionary<string, object?>(new Dictionary<string, object?>());

    /// <summary>Parses a JSON object; null or blank text is the empty object.</summary>
    public static IReadOnlyDictionary<string, object?> ParseObject(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return EmptyObject;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.ValueKind == JsonValueKind.Object
            ? (IReadOnlyDictionary<string, object?>)ToObject(doc.RootElement)!
            : EmptyObject;
    }

    /// <summary>A JSON element as plain values: objects keep their key order.</summary>
    public static object? ToObject(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var d = new OrderedStringDictionary();
                foreach (var p in e.EnumerateObject())
                {
                    d[p.Name] = ToObject(p.Value);
                }

                return d;
            case JsonValueKind.Array:
                var list = new List<object?>();
                foreach (var x in e.EnumerateArray())
                {
                    list.Add(ToObject(x));
                }

                return list.ToArray();
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? (object)l : e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>Re-writes a JSON value without insignificant white space.</summary>
    public static string Minify(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        using var doc = JsonDocument.ParseValue(ref reader);
        return Minify(doc.RootElement);
    }

    /// <summary>Writes plain values (dictionaries, lists, strings, numbers, booleans, null) as JSON.</summary>
    public static void Write(Utf8JsonWriter w, object? value)
    {
        ArgumentNullException.ThrowIfNull(w);
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case double d:
                WriteNumber(w, d);
                break;
            case float f:
                WriteNumber(w, f);
                break;
            case decimal m:
                w.WriteNumberValue(m);
                break;
            case long or int or short or byte or sbyte or ushort or uint:
                w.WriteNumberValue(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case ulong ul:
                w.WriteNumberValue(ul);
                break;
            case DateTimeOffset dto:
                w.WriteStringValue(Time.IsoTime.Format(dto));
                break;
            case DateTime dt:
                w.WriteStringValue(Time.IsoTime.Format(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt)));
                break;
            case JsonElement je:
                je.WriteTo(w);
                break;
            case System.Collections.IDictionary dict:
                w.WriteStartObject();
                foreach (System.Collections.DictionaryEntry kv in dict)
                {
                    w.WritePropertyName(Convert.ToString(kv.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
                    Write(w, kv.Value);
                }

                w.WriteEndObject();
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                w.WriteStartObject();
                foreach (var kv in pairs)
                {
                    w.WritePropertyName(kv.Key);
                    Write(w, kv.Value);
                }

                w.WriteEndObject();
                break;
            case System.Collections.IEnumerable seq:
                w.WriteStartArray();
                foreach (var x in seq)
                {
                    Write(w, x);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>A finite number as a JSON number; NaN and infinities as null (never a bare token).</summary>
    public static void WriteNumber(Utf8JsonWriter w, double d)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (double.IsFinite(d))
        {
            w.WriteNumberValue(d);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    public static string Serialize(object? value, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions(indented)))
        {
            Write(w, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static JsonWriterOptions WriterOptions(bool indented = false) => new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = indented,
    };

    public static string Minify(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions()))
        {
            element.WriteTo(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>A string-keyed dictionary that enumerates in insertion order (JSON object order).</summary>
public sealed class OrderedStringDictionary : IReadOnlyDictionary<string, object?>, IDictionary<string, object?>
{
    private readonly Dictionary<string, object?> _map = new(StringComparer.Ordinal);
    private readonly List<string> _keys = new();

    public int Count => _map.Count;

    public bool IsReadOnly => false;

    public ICollection<string> Keys => _keys.AsReadOnly();

    public ICollection<object?> Values => _keys.ConvertAll(k => _map[k]);

    IEnumerable<string> IReadOnlyDictionary<string, object?>.Keys => _keys;

    IEnumerable<object?> IReadOnlyDictionary<string, object?>.Values => Values;

    public object? this[string key]
    {
        get => _map[key];
        set
        {
            if (!_map.ContainsKey(key))
            {
                _keys.Add(key);
            }

            _map[key] = value;
        }
    }

    public void Add(string key, object? value)
    {
        _map.Add(key, value);
        _keys.Add(key);
    }

    public void Add(KeyValuePair<string, object?> item) => Add(item.Key, item.Value);

    public void Clear()
    {
        _map.Clear();
        _keys.Clear();
    }

    public bool Contains(KeyValuePair<string, object?> item) => _map.TryGetValue(item.Key, out var v) && Equals(v, item.Value);

    public bool ContainsKey(string key) => _map.ContainsKey(key);

    public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex)
    {
        ArgumentNullException.ThrowIfNull(array);
        foreach (var k in _keys)
        {
            array[arrayIndex++] = new KeyValuePair<string, object?>(k, _map[k]);
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        foreach (var k in _keys)
        {
            yield return new KeyValuePair<string, object?>(k, _map[k]);
        }
    }

    public bool Remove(string key)
    {
        if (_map.Remove(key))
        {
            _keys.Remove(key);
            return true;
        }

        return false;
    }

    public bool Remove(KeyValuePair<string, object?> item) => Contains(item) && Remove(item.Key);

    public bool TryGetValue(string key, out object? value) => _map.TryGetValue(key, out value);

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
