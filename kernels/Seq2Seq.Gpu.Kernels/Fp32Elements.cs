using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>FP32 elements read as stored.</summary>
internal readonly struct Fp32Elements : IMatrixElements
{
    private readonly ArrayView<float> view;

    /// <summary>Wraps <paramref name="view"/>.</summary>
    public Fp32Elements(ArrayView<float> view) => this.view = view;

    /// <inheritdoc />
    public float Load(long index) => view[index];
}
