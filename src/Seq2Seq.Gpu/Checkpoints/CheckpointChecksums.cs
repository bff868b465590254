using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// The SHA-256 checksums a checkpoint carries in its <c>checksums</c> metadata entry, a JSON string
/// <c>{"algorithm":"sha256","header":HEX,"tensors":{NAME:HEX,...}}</c>: one digest per tensor over its data bytes as
/// stored (little-endian, what Python's <c>hashlib.sha256(array.tobytes())</c> gives), so a damaged tensor is named,
/// and one over the rest of the header (every other metadata entry and each tensor's name, dtype and shape), so a
/// damaged vocabulary or config is caught too. Being a metadata string, it keeps the file readable by Python.
/// </summary>
/// <remarks>
/// The header digest hashes a sequence of strings, each as its UTF-8 byte count (u64 little-endian) then its bytes:
/// <c>"metadata"</c>, the entry count, then key and value of every entry but <c>checksums</c> in code-point order of
/// the keys; <c>"tensors"</c>, the tensor count, then name, dtype (<c>F32</c>...) and shape (dims joined by commas,
/// empty for a scalar) of every tensor in code-point order of the names. Counts are decimal text.
/// </remarks>
internal static class CheckpointChecksums
{
    /// <summary>The metadata key that holds the checksums.</summary>
    public const string MetadataKey = "checksums";

    private const string Algorithm = "sha256";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The <c>checksums</c> entry for a file holding <paramref name="metadata"/> (which must not hold one yet) and <paramref name="tensors"/>.</summary>
    public static string Compute(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NamedTensor> tensors)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("algorithm", Algorithm);
            json.WriteString("header", HeaderDigest(metadata, tensors));
            json.WriteStartObject("tensors");
            foreach (NamedTensor tensor in tensors)
            {
                json.WriteString(tensor.Name, DataDigest(tensor));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Utf8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Checks <paramref name="file"/> against its checksums. Returns <see cref="CheckpointIntegrity.Verified"/>, or
    /// <see cref="CheckpointIntegrity.NoChecksums"/> for a file written before checksums existed.
    /// </summary>
    /// <exception cref="CheckpointException">A checksum does not match (naming the tensor), or the entry is malformed.</exception>
    public static CheckpointIntegrity Verify(SafeTensorsFile file)
    {
        if (!file.Metadata.TryGetValue(MetadataKey, out string? text))
        {
            return CheckpointIntegrity.NoChecksums;
        }

        (string header, Dictionary<string, string> stored) = Parse(file.Path, text);
        foreach (NamedTensor tensor in file.Tensors)
        {
            if (!stored.Remove(tensor.Name, out string? expected))
            {
                throw Corrupt(file.Path, $"tensor '{tensor.Name}' has no checksum (a tensor was added or renamed after the file was written)");
            }

            if (!string.Equals(expected, DataDigest(tensor), StringComparison.OrdinalIgnoreCase))
            {
                throw Corrupt(file.Path, $"tensor '{tensor.Name}' does not match its SHA-256 checksum");
            }
        }

        if (stored.Count > 0)
        {
            throw Corrupt(file.Path, $"tensor '{stored.Keys.First()}' has a checksum but is not in the file");
        }

        if (!string.Equals(header, HeaderDigest(file.Metadata, file.Tensors), StringComparison.OrdinalIgnoreCase))
        {
            throw Corrupt(file.Path, "the metadata or the tensor shapes do not match the header's SHA-256 checksum");
        }

        return CheckpointIntegrity.Verified;
    }

    private static CheckpointException Corrupt(string path, string problem) =>
        SafeTensorsHeader.Fail(path, $"the data is corrupt: {problem}; the file changed after it was written (loading without verification reads it anyway)");

    private static (string Header, Dictionary<string, string> Tensors) Parse(string path, string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("algorithm", out JsonElement algorithm) || algorithm.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("header", out JsonElement header) || !IsDigest(header)
                || !root.TryGetProperty("tensors", out JsonElement tensors) || tensors.ValueKind != JsonValueKind.Object)
            {
                throw Corrupt(path, $"metadata '{MetadataKey}' is not an object with 'algorithm', 'header' and 'tensors'");
            }

            if (algorithm.GetString() != Algorithm)
            {
                throw SafeTensorsHeader.Fail(path, $"checksum algorithm '{algorithm.GetString()}' is not supported (this build checks '{Algorithm}')");
            }

            var stored = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty item in tensors.EnumerateObject())
            {
                if (!IsDigest(item.Value) || !stored.TryAdd(item.Name, item.Value.GetString()!))
                {
                    throw Corrupt(path, $"the checksum of tensor '{item.Name}' is not a single SHA-256 digest");
                }
            }

            return (header.GetString()!, stored);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: an escaped lone surrogate, which the reader reports only when the string is read.
            throw Corrupt(path, $"metadata '{MetadataKey}' is not valid JSON");
        }
    }

    private static bool IsDigest(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: SHA256.HashSizeInBytes * 2 } hex && hex.All(char.IsAsciiHexDigit);

    private static string DataDigest(NamedTensor tensor)
    {
        ReadOnlySpan<byte> bytes = tensor.RawData switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
            int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
            _ => throw new InvalidOperationException($"tensor '{tensor.Name}' holds an unknown element type"),
        };

        if (!BitConverter.IsLittleEndian)
        {
            // The digest is of the bytes as stored, which are little-endian; swap a copy.
            byte[] copy = bytes.ToArray();
            for (int at = 0; at < copy.Length; at += tensor.ElementSize)
            {
                copy.AsSpan(at, tensor.ElementSize).Reverse();
            }

            return Convert.ToHexStringLower(SHA256.HashData(copy));
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static string HeaderDigest(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<NamedTensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        List<KeyValuePair<string, string>> entries =
            [.. metadata.Where(e => e.Key != MetadataKey).OrderBy(e => e.Key, Comparer<string>.Create(Vocabulary.CompareCodePoints))];
        Add(hash, "metadata");
        Add(hash, entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (KeyValuePair<string, string> entry in entries)
        {
            Add(hash, entry.Key);
            Add(hash, entry.Value);
        }

        Add(hash, "tensors");
        Add(hash, tensors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (NamedTensor tensor in tensors.OrderBy(t => t.Name, Comparer<string>.Create(Vocabulary.CompareCodePoints)))
        {
            Add(hash, tensor.Name);
            Add(hash, SafeTensorsHeader.DTypeName(tensor.DType));
            Add(hash, string.Join(',', tensor.Shape));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Add(IncrementalHash hash, string text)
    {
        byte[] bytes = Utf8.GetBytes(text);
        Span<byte> length = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
