using System.Buffers;
using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.IO;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON mapping each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative
/// to the data section) plus an optional <c>"__metadata__"</c> object of strings, then the raw little-endian data.
/// Files written here load in Python with <c>safetensors.numpy.load_file</c> / <c>safetensors.torch.load_file</c>, and
/// files written by those load here when their tensors are F32, I32 or I64.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Read"/> accepts only well-formed files, as strictly as the reference Rust implementation: the header
/// must be valid UTF-8 JSON starting with <c>{</c> (trailing spaces allowed), at most 100,000,000 bytes; every entry
/// has exactly the three fields; dims are non-negative integers; <c>end - begin</c> equals element count × element size;
/// the tensors cover the data section exactly, without overlap, gap or trailing bytes; metadata values are strings;
/// no name appears twice. F32 tensors must hold only finite values: a NaN or infinite weight is reported as a corrupt
/// checkpoint rather than loaded into a model. Every problem, including I/O errors, is a <see cref="CheckpointException"/>
/// whose message names the file and the problem (and the tensor where there is one).
/// </para>
/// <para>
/// <see cref="Write"/> is atomic: it writes a temporary file in the target's folder, flushes it to disk and renames
/// it over the target, so a reader sees the old file or the new one, never a mix; on any error the old file is kept
/// and the temporary file is removed. The header is padded with spaces so that the data section starts at a multiple
/// of 8 bytes, as the Python writer does. Tensors are laid out in the order given.
/// </para>
/// </remarks>
internal sealed class SafeTensorsFile
{
    private const int HeaderLengthBytes = 8;
    private const int Alignment = 8;
    private const int CopyChunkBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, NamedTensor> _byName;

    private SafeTensorsFile(string path, Dictionary<string, string> metadata, List<NamedTensor> tensors)
    {
        Path = path;
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        Tensors = tensors.AsReadOnly();
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was read from, as given to <see cref="Read"/>.</summary>
    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<NamedTensor> Tensors { get; }

    /// <summary>Says whether the file holds a tensor called <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up a tensor without throwing.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out NamedTensor? tensor) => _byName.TryGetValue(name, out tensor);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <exception cref="CheckpointException">No such tensor: <c>checkpoint 'path': tensor 'x' is missing.</c></exception>
    public NamedTensor GetTensor(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out NamedTensor? tensor)
            ? tensor
            : throw SafeTensorsHeader.Fail(Path, $"tensor '{name}' is missing");
    }

    /// <summary>The data of the F32 tensor <paramref name="name"/>, checked to have <paramref name="expectedShape"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="expectedShape">The shape the caller needs, e.g. <c>[vocabulary, embedding]</c>.</param>
    /// <exception cref="CheckpointException">The tensor is missing, is not F32, or has another shape.</exception>
    public float[] GetFloat32(string name, ReadOnlySpan<int> expectedShape) =>
        GetChecked(name, SafeTensorsDType.F32, expectedShape).AsFloat32();

    /// <summary>The data of the I32 tensor <paramref name="name"/>, checked to have <paramref name="expectedShape"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="expectedShape">The shape the caller needs.</param>
    /// <exception cref="CheckpointException">The tensor is missing, is not I32, or has another shape.</exception>
    public int[] GetInt32(string name, ReadOnlySpan<int> expectedShape) =>
        GetChecked(name, SafeTensorsDType.I32, expectedShape).AsInt32();

    /// <summary>The data of the I64 tensor <paramref name="name"/>, checked to have <paramref name="expectedShape"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="expectedShape">The shape the caller needs.</param>
    /// <exception cref="CheckpointException">The tensor is missing, is not I64, or has another shape.</exception>
    public long[] GetInt64(string name, ReadOnlySpan<int> expectedShape) =>
        GetChecked(name, SafeTensorsDType.I64, expectedShape).AsInt64();

    /// <summary>The metadata value for <paramref name="key"/>.</summary>
    /// <param name="key">The metadata key.</param>
    /// <exception cref="CheckpointException">No such key: <c>checkpoint 'path': metadata 'x' is missing.</c></exception>
    public string GetMetadata(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Metadata.TryGetValue(key, out string? value)
            ? value
            : throw SafeTensorsHeader.Fail(Path, $"metadata '{key}' is missing");
    }

    /// <summary>Reads and checks a whole safetensors file.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The file's metadata and tensors.</returns>
    /// <exception cref="CheckpointException">The file is missing, unreadable, truncated, corrupt, or holds an unsupported dtype or a non-finite F32 value.</exception>
    public static SafeTensorsFile Read(string path) => ReadCore(path, requireFinite: true);

    /// <summary>
    /// Reads a whole safetensors file like <see cref="Read"/> but leaves non-finite F32 values for
    /// <see cref="ThrowIfNonFinite"/>, so that a caller can verify checksums first and report damage as damage.
    /// </summary>
    internal static SafeTensorsFile ReadBeforeVerification(string path) => ReadCore(path, requireFinite: false);

    private static SafeTensorsFile ReadCore(string path, bool requireFinite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            SafeTensorsFile file = ReadFrom(path, stream);
            if (requireFinite)
            {
                file.ThrowIfNonFinite();
            }

            return file;
        }
        catch (CheckpointException)
        {
            throw;
        }
        catch (FileNotFoundException e)
        {
            throw SafeTensorsHeader.Fail(System.IO.Path.GetFullPath(path), "no such file", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw SafeTensorsHeader.Fail(System.IO.Path.GetFullPath(path), "no such file (its folder does not exist)", e);
        }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && Directory.Exists(path))
        {
            // Opening a folder fails with "Access to the path is denied", which sends the user after permissions.
            throw new CheckpointException($"'{System.IO.Path.GetFullPath(path)}' is a folder, not a checkpoint file.", e);
        }
        catch (EndOfStreamException e)
        {
            throw SafeTensorsHeader.Fail(path, "the file ended early (was it changed while being read?)", e);
        }
        catch (IOException e)
        {
            throw SafeTensorsHeader.Fail(path, $"cannot read the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw SafeTensorsHeader.Fail(path, $"cannot read the file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes a safetensors file atomically. Nothing is written unless every tensor and metadata entry is valid.
    /// </summary>
    /// <param name="path">The file to write; its folder must exist. An existing file is replaced.</param>
    /// <param name="metadata">The header's <c>__metadata__</c> (string to string), or null or empty for none.</param>
    /// <param name="tensors">The tensors, laid out in this order.</param>
    /// <exception cref="CheckpointException">
    /// A tensor has an empty, reserved or repeated name, a negative dimension, a shape that does not match its data,
    /// or a NaN or infinite value; a metadata entry is null or not valid Unicode; or the file cannot be written.
    /// The message names the file and the tensor. The previous file at <paramref name="path"/>, if any, is untouched.
    /// </exception>
    public static void Write(string path, IReadOnlyDictionary<string, string>? metadata, IReadOnlyList<NamedTensor> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        Validate(path, metadata, tensors);
        byte[] header = BuildHeader(metadata, tensors);
        try
        {
            AtomicFile.Write(path, stream =>
            {
                Span<byte> length = stackalloc byte[HeaderLengthBytes];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (NamedTensor tensor in tensors)
                {
                    WriteData(stream, tensor);
                }
            });
        }
        catch (IOException e)
        {
            throw SafeTensorsHeader.Fail(path, $"cannot write the file: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw SafeTensorsHeader.Fail(path, $"cannot write the file: {e.Message}", e);
        }
    }

    /// <summary>Throws a <see cref="CheckpointException"/> naming the first F32 tensor that holds a NaN or an infinity.</summary>
    internal void ThrowIfNonFinite()
    {
        foreach (NamedTensor tensor in Tensors)
        {
            if (tensor.DType != SafeTensorsDType.F32)
            {
                continue;
            }

            float[] floats = tensor.AsFloat32();
            int bad = IndexOfNonFinite(floats);
            if (bad >= 0)
            {
                throw SafeTensorsHeader.Fail(Path, $"tensor '{tensor.Name}' holds a non-finite value ({floats[bad]}) at element {bad}");
            }
        }
    }

    private NamedTensor GetChecked(string name, SafeTensorsDType dtype, ReadOnlySpan<int> expectedShape)
    {
        NamedTensor tensor = GetTensor(name);
        if (tensor.DType != dtype)
        {
            throw SafeTensorsHeader.Fail(Path, $"tensor '{name}' is {tensor.DType}, expected {dtype}");
        }

        if (!tensor.HasShape(expectedShape))
        {
            throw SafeTensorsHeader.Fail(
                Path, $"tensor '{name}' has shape {tensor.ShapeText}, expected {NamedTensor.FormatShape(expectedShape)}");
        }

        return tensor;
    }

    private static SafeTensorsFile ReadFrom(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < HeaderLengthBytes)
        {
            throw SafeTensorsHeader.Fail(path, $"the file is {fileLength} bytes long, too short to hold the 8-byte header length");
        }

        Span<byte> lengthBytes = stackalloc byte[HeaderLengthBytes];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > SafeTensorsHeader.MaxHeaderBytes)
        {
            throw SafeTensorsHeader.Fail(
                path, $"the header length {headerLength} is larger than the limit of {SafeTensorsHeader.MaxHeaderBytes} bytes (not a safetensors file?)");
        }

        if ((long)headerLength > fileLength - HeaderLengthBytes)
        {
            throw SafeTensorsHeader.Fail(
                path, $"the header length {headerLength} runs past the end of the {fileLength}-byte file (truncated?)");
        }

        byte[] header = new byte[(int)headerLength];
        stream.ReadExactly(header);
        long dataLength = fileLength - HeaderLengthBytes - (long)headerLength;
        (Dictionary<string, string> metadata, List<SafeTensorsEntry> entries) = SafeTensorsHeader.Parse(path, header, dataLength);

        var tensors = new List<NamedTensor>(entries.Count);
        foreach (SafeTensorsEntry entry in entries)
        {
            // Entries cover the data section contiguously, so the stream is already at entry.Begin.
            tensors.Add(ReadTensor(path, stream, entry));
        }

        return new SafeTensorsFile(path, metadata, tensors);
    }

    private static NamedTensor ReadTensor(string path, FileStream stream, SafeTensorsEntry entry)
    {
        switch (entry.DType)
        {
            case SafeTensorsDType.F32:
                var floats = new float[entry.ElementCount];
                stream.ReadExactly(MemoryMarshal.AsBytes(floats.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    Span<int> bits = MemoryMarshal.Cast<float, int>(floats.AsSpan());
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }

                return new NamedTensor(entry.Name, entry.Shape, floats);
            case SafeTensorsDType.I32:
                var ints = new int[entry.ElementCount];
                stream.ReadExactly(MemoryMarshal.AsBytes(ints.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(ints, ints);
                }

                return new NamedTensor(entry.Name, entry.Shape, ints);
            default:
                var longs = new long[entry.ElementCount];
                stream.ReadExactly(MemoryMarshal.AsBytes(longs.AsSpan()));
                if (!BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(longs, longs);
                }

                return new NamedTensor(entry.Name, entry.Shape, longs);
        }
    }

    private static void Validate(string path, IReadOnlyDictionary<string, string>? metadata, IReadOnlyList<NamedTensor> tensors)
    {
        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> item in metadata)
            {
                if (item.Value is null)
                {
                    throw SafeTensorsHeader.Fail(path, $"metadata '{item.Key}' is null");
                }

                if (!IsValidUnicode(item.Key) || !IsValidUnicode(item.Value))
                {
                    throw SafeTensorsHeader.Fail(path, $"metadata '{item.Key}' is not valid Unicode (lone surrogate)");
                }
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tensors.Count; i++)
        {
            NamedTensor tensor = tensors[i] ?? throw SafeTensorsHeader.Fail(path, $"tensor {i} in the list is null");
            string name = tensor.Name;
            if (name.Length == 0)
            {
                throw SafeTensorsHeader.Fail(path, $"tensor {i} has an empty name");
            }

            if (name == SafeTensorsHeader.MetadataKey)
            {
                throw SafeTensorsHeader.Fail(path, $"tensor {i} is named '{name}', which is reserved for the metadata");
            }

            if (!IsValidUnicode(name))
            {
                throw SafeTensorsHeader.Fail(path, $"tensor {i}'s name is not valid Unicode (lone surrogate)");
            }

            if (!names.Add(name))
            {
                throw SafeTensorsHeader.Fail(path, $"tensor '{name}' appears twice");
            }

            long count = 1;
            foreach (int dim in tensor.Shape)
            {
                if (dim < 0)
                {
                    throw SafeTensorsHeader.Fail(path, $"tensor '{name}' has a negative dimension in shape {tensor.ShapeText}");
                }

                count = Math.Min(count * dim, (long)int.MaxValue + 1); // Saturate: never overflows, still mismatches.
            }

            if (count != tensor.Length)
            {
                throw SafeTensorsHeader.Fail(
                    path, $"tensor '{name}' has shape {tensor.ShapeText} ({count} elements) but {tensor.Length} data elements");
            }

            if (tensor.DType == SafeTensorsDType.F32)
            {
                float[] data = tensor.AsFloat32();
                int bad = IndexOfNonFinite(data);
                if (bad >= 0)
                {
                    throw SafeTensorsHeader.Fail(
                        path, $"tensor '{name}' holds a non-finite value ({data[bad]}) at element {bad}; refusing to write it");
                }
            }
        }
    }

    private static byte[] BuildHeader(IReadOnlyDictionary<string, string>? metadata, IReadOnlyList<NamedTensor> tensors)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (KeyValuePair<string, string> item in metadata)
                {
                    json.WriteString(item.Key, item.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (NamedTensor tensor in tensors)
            {
                long bytes = (long)tensor.Length * tensor.ElementSize;
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafeTensorsHeader.DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so that 8 + header length is a multiple of 8 (the data section is 8-byte aligned).
        int padded = (buffer.WrittenCount + Alignment - 1) / Alignment * Alignment;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, NamedTensor tensor)
    {
        switch (tensor.DType)
        {
            case SafeTensorsDType.F32:
                WriteLittleEndian(stream, MemoryMarshal.Cast<float, int>(tensor.AsFloat32().AsSpan()));
                break;
            case SafeTensorsDType.I32:
                WriteLittleEndian(stream, tensor.AsInt32().AsSpan());
                break;
            default:
                WriteLittleEndian(stream, tensor.AsInt64().AsSpan());
                break;
        }
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<int> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }

        int[] chunk = ArrayPool<int>.Shared.Rent(CopyChunkBytes / sizeof(int));
        try
        {
            for (int start = 0; start < data.Length; start += chunk.Length)
            {
                ReadOnlySpan<int> part = data.Slice(start, Math.Min(chunk.Length, data.Length - start));
                BinaryPrimitives.ReverseEndianness(part, chunk);
                stream.Write(MemoryMarshal.AsBytes(chunk.AsSpan(0, part.Length)));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(chunk);
        }
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<long> data)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }

        long[] chunk = ArrayPool<long>.Shared.Rent(CopyChunkBytes / sizeof(long));
        try
        {
            for (int start = 0; start < data.Length; start += chunk.Length)
            {
                ReadOnlySpan<long> part = data.Slice(start, Math.Min(chunk.Length, data.Length - start));
                BinaryPrimitives.ReverseEndianness(part, chunk);
                stream.Write(MemoryMarshal.AsBytes(chunk.AsSpan(0, part.Length)));
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(chunk);
        }
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (!float.IsFinite(data[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsValidUnicode(string text)
    {
        try
        {
            _ = StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
