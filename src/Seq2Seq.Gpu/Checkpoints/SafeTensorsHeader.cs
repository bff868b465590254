using System.Text.Json;
using System.Text.Unicode;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>One tensor's entry in a safetensors header, checked against the size of the data section.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The row-major shape.</param>
/// <param name="ElementCount">The product of the shape (1 for a scalar).</param>
/// <param name="Begin">First byte, relative to the data section.</param>
/// <param name="End">One past the last byte, relative to the data section.</param>
internal sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, int ElementCount, long Begin, long End);

/// <summary>
/// Parses and checks the JSON header of a safetensors file. Every problem becomes a <see cref="CheckpointException"/>
/// whose message starts with <c>checkpoint 'path':</c>.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>The largest header accepted (the limit of the reference Rust implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The reserved key of the metadata object.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>
    /// Parses <paramref name="header"/> and checks it against a data section of <paramref name="dataLength"/> bytes.
    /// Returns the metadata and the tensors ordered by their offsets in the data section.
    /// </summary>
    public static (Dictionary<string, string> Metadata, List<SafeTensorsEntry> Entries) Parse(
        string path, ReadOnlyMemory<byte> header, long dataLength)
    {
        ReadOnlySpan<byte> span = header.Span;
        if (span.IsEmpty)
        {
            throw Fail(path, "the header is empty");
        }

        if (!Utf8.IsValid(span))
        {
            throw Fail(path, "the header is not valid UTF-8");
        }

        if (span[0] != (byte)'{')
        {
            throw Fail(path, "the header does not start with '{' (not a safetensors file?)");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"the header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, "the header is not a JSON object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (JsonProperty property in root.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                    {
                        throw Fail(path, $"the header names '{property.Name}' twice");
                    }

                    if (property.Name == MetadataKey)
                    {
                        ParseMetadata(path, property.Value, metadata);
                    }
                    else
                    {
                        entries.Add(ParseEntry(path, property.Name, property.Value, dataLength));
                    }
                }
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json validates raw UTF-8 while parsing but unescapes "\uD800"-style escapes only when a
                // string is read; a lone surrogate escape then throws here. The Rust reader rejects it too.
                throw Fail(path, "the header holds a string that is not valid Unicode (an escaped lone surrogate)", e);
            }

            // Stable sort: zero-length tensors that share an offset keep their header order.
            List<SafeTensorsEntry> ordered = [.. entries.OrderBy(e => e.Begin).ThenBy(e => e.End)];
            CheckCoverage(path, ordered, dataLength);
            return (metadata, ordered);
        }
    }

    /// <summary>A <see cref="CheckpointException"/> whose message names the file and the problem.</summary>
    public static CheckpointException Fail(string path, string problem, Exception? inner = null)
    {
        string message = $"checkpoint '{path}': {problem}.";
        return inner is null ? new CheckpointException(message) : new CheckpointException(message, inner);
    }

    /// <summary>The header spelling of <paramref name="dtype"/>.</summary>
    public static string DTypeName(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => "F32",
        SafeTensorsDType.I32 => "I32",
        SafeTensorsDType.I64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    private static void ParseMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"'{MetadataKey}' is a JSON {Describe(value.ValueKind)}, not an object");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(path, $"metadata '{item.Name}' is a JSON {Describe(item.Value.ValueKind)}, not a string");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Fail(path, $"metadata '{item.Name}' appears twice");
            }
        }
    }

    private static SafeTensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"tensor '{name}': its entry is a JSON {Describe(value.ValueKind)}, not an object");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeElement is null:
                    dtypeElement = field.Value;
                    break;
                case "shape" when shapeElement is null:
                    shapeElement = field.Value;
                    break;
                case "data_offsets" when offsetsElement is null:
                    offsetsElement = field.Value;
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Fail(path, $"tensor '{name}': field '{field.Name}' appears twice");
                default:
                    throw Fail(path, $"tensor '{name}': unexpected field '{field.Name}'");
            }
        }

        SafeTensorsDType dtype = ParseDType(path, name, dtypeElement);
        int[] shape = ParseShape(path, name, shapeElement);
        (long begin, long end) = ParseOffsets(path, name, offsetsElement);

        long count = 1;
        foreach (int dim in shape)
        {
            count *= dim; // Each dim <= int.MaxValue and count <= Array.MaxLength before: no overflow.
            if (count > Array.MaxLength)
            {
                throw Fail(path, $"tensor '{name}': shape {NamedTensor.FormatShape(shape)} has more elements than an array can hold");
            }
        }

        long expectedBytes = count * NamedTensor.SizeOf(dtype);
        if (end < begin)
        {
            throw Fail(path, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin");
        }

        if (end - begin != expectedBytes)
        {
            throw Fail(
                path,
                $"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes but {DTypeName(dtype)} " +
                $"{NamedTensor.FormatShape(shape)} needs {expectedBytes}");
        }

        if (end > dataLength)
        {
            throw Fail(
                path,
                $"tensor '{name}': data_offsets [{begin}, {end}] run past the end of the data section ({dataLength} bytes; truncated file?)");
        }

        return new SafeTensorsEntry(name, dtype, shape, (int)count, begin, end);
    }

    private static SafeTensorsDType ParseDType(string path, string name, JsonElement? element)
    {
        if (element is not { } value)
        {
            throw Fail(path, $"tensor '{name}': the field 'dtype' is missing");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw Fail(path, $"tensor '{name}': 'dtype' is a JSON {Describe(value.ValueKind)}, not a string");
        }

        string text = value.GetString()!;
        return text switch
        {
            "F32" => SafeTensorsDType.F32,
            "I32" => SafeTensorsDType.I32,
            "I64" => SafeTensorsDType.I64,
            _ => throw Fail(path, $"tensor '{name}': dtype '{text}' is not supported (supported: F32, I32, I64)"),
        };
    }

    private static int[] ParseShape(string path, string name, JsonElement? element)
    {
        if (element is not { } value)
        {
            throw Fail(path, $"tensor '{name}': the field 'shape' is missing");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Fail(path, $"tensor '{name}': 'shape' is a JSON {Describe(value.ValueKind)}, not an array");
        }

        var shape = new int[value.GetArrayLength()];
        int i = 0;
        foreach (JsonElement dim in value.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d))
            {
                throw Fail(path, $"tensor '{name}': shape dimension {i} ({dim.GetRawText()}) is not an integer");
            }

            if (d < 0)
            {
                throw Fail(path, $"tensor '{name}': shape dimension {i} is negative ({d})");
            }

            if (d > int.MaxValue)
            {
                throw Fail(path, $"tensor '{name}': shape dimension {i} ({d}) is too large");
            }

            shape[i++] = (int)d;
        }

        return shape;
    }

    private static (long Begin, long End) ParseOffsets(string path, string name, JsonElement? element)
    {
        if (element is not { } value)
        {
            throw Fail(path, $"tensor '{name}': the field 'data_offsets' is missing");
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
        {
            throw Fail(path, $"tensor '{name}': 'data_offsets' is not an array of two integers");
        }

        long begin = ParseOffset(path, name, value[0]);
        long end = ParseOffset(path, name, value[1]);
        return (begin, end);
    }

    private static long ParseOffset(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long offset) || offset < 0)
        {
            throw Fail(path, $"tensor '{name}': data offset {value.GetRawText()} is not a non-negative integer");
        }

        return offset;
    }

    private static void CheckCoverage(string path, List<SafeTensorsEntry> ordered, long dataLength)
    {
        long expected = 0;
        SafeTensorsEntry? previous = null;
        foreach (SafeTensorsEntry entry in ordered)
        {
            if (entry.Begin < expected)
            {
                throw Fail(path, $"tensor '{entry.Name}' overlaps tensor '{previous!.Name}' in the data section");
            }

            if (entry.Begin > expected)
            {
                throw Fail(path, $"{entry.Begin - expected} bytes before tensor '{entry.Name}' belong to no tensor");
            }

            expected = entry.End;
            previous = entry;
        }

        if (expected != dataLength)
        {
            throw Fail(path, $"the last {dataLength - expected} bytes of the data section belong to no tensor");
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };
}
