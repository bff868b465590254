using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// bfloat16 elements (the upper 16 bits of an IEEE single, as made by <see cref="BFloat16Kernels.FromSingle"/>),
/// widened exactly to FP32 on load: half the bytes of FP32 weights, the same arithmetic after the load.
/// </summary>
internal readonly struct BFloat16Elements : IMatrixElements
{
    private readonly ArrayView<ushort> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public BFloat16Elements(ArrayView<ushort> view) => this.view = view;

    /// <inheritdoc />
    public float Load(long index) => Interop.IntAsFloat((uint)view[index] << 16);
}
