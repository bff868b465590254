using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// A tensor as stored in a checkpoint: a name, an element type, a row-major shape and the flat data.
/// </summary>
/// <remarks>
/// The data array is held, not copied, so that large weight tensors are not duplicated; do not change it while a
/// write is in progress. Construction checks only for null arguments; whether the shape matches the data, the
/// values are finite and the name is usable is checked by <see cref="SafeTensorsFile.Write"/>, which names the
/// tensor in its error. Tensors returned by <see cref="SafeTensorsFile.Read"/> are always consistent.
/// </remarks>
internal sealed class NamedTensor
{
    private readonly Array _data;

    /// <summary>Creates an <see cref="SafeTensorsDType.F32"/> tensor.</summary>
    /// <param name="name">The tensor's name in the file, e.g. <c>encoder.lstm.0.kernel</c>.</param>
    /// <param name="shape">The row-major shape; copied. An empty shape is a scalar (one element).</param>
    /// <param name="data">The elements, row-major; held, not copied.</param>
    public NamedTensor(string name, int[] shape, float[] data)
        : this(name, SafeTensorsDType.F32, shape, data)
    {
    }

    /// <summary>Creates an <see cref="SafeTensorsDType.I32"/> tensor.</summary>
    /// <param name="name">The tensor's name in the file.</param>
    /// <param name="shape">The row-major shape; copied. An empty shape is a scalar (one element).</param>
    /// <param name="data">The elements, row-major; held, not copied.</param>
    public NamedTensor(string name, int[] shape, int[] data)
        : this(name, SafeTensorsDType.I32, shape, data)
    {
    }

    /// <summary>Creates an <see cref="SafeTensorsDType.I64"/> tensor.</summary>
    /// <param name="name">The tensor's name in the file.</param>
    /// <param name="shape">The row-major shape; copied. An empty shape is a scalar (one element).</param>
    /// <param name="data">The elements, row-major; held, not copied.</param>
    public NamedTensor(string name, int[] shape, long[] data)
        : this(name, SafeTensorsDType.I64, shape, data)
    {
    }

    private NamedTensor(string name, SafeTensorsDType dtype, int[] shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        Name = name;
        DType = dtype;
        Shape = (int[])shape.Clone();
        _data = data;
    }

    /// <summary>The tensor's name in the file.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The row-major shape (empty for a scalar). Treat it as read-only.</summary>
    public int[] Shape { get; }

    /// <summary>The number of elements in the data array.</summary>
    public int Length => _data.Length;

    /// <summary>The size in bytes of one element of <see cref="DType"/>.</summary>
    public int ElementSize => SizeOf(DType);

    /// <summary>The shape as text, e.g. <c>[2, 3]</c>, for messages.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>The data of an <see cref="SafeTensorsDType.F32"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="CheckpointException">The tensor holds another element type.</exception>
    public float[] AsFloat32() => As<float[]>(SafeTensorsDType.F32);

    /// <summary>The data of an <see cref="SafeTensorsDType.I32"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="CheckpointException">The tensor holds another element type.</exception>
    public int[] AsInt32() => As<int[]>(SafeTensorsDType.I32);

    /// <summary>The data of an <see cref="SafeTensorsDType.I64"/> tensor (the array itself, not a copy).</summary>
    /// <exception cref="CheckpointException">The tensor holds another element type.</exception>
    public long[] AsInt64() => As<long[]>(SafeTensorsDType.I64);

    /// <summary>Says whether the shape equals <paramref name="expectedShape"/> dimension by dimension.</summary>
    /// <param name="expectedShape">The shape to compare with.</param>
    public bool HasShape(ReadOnlySpan<int> expectedShape) => expectedShape.SequenceEqual(Shape);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType} {ShapeText}";

    internal Array RawData => _data;

    internal static int SizeOf(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F32 => 4,
        SafeTensorsDType.I32 => 4,
        SafeTensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    internal static string FormatShape(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private T As<T>(SafeTensorsDType expected)
        where T : class
    {
        if (DType != expected)
        {
            throw new CheckpointException($"tensor '{Name}' holds {DType} elements, not {expected}.");
        }

        return (T)(object)_data;
    }
}
