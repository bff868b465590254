using ILGPU;
using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// A right matrix operand that many products of one pass reuse (the recurrent kernel at every time step), prepared
/// once by <see cref="DeviceOps.PrepareRight"/>: on the CPU accelerator's host kernels it is packed once instead of at
/// every product; elsewhere it is just the view. A snapshot for one pass: prepare it again after the weights change.
/// </summary>
internal sealed class PreparedRightOperand : IDisposable
{
    internal PreparedRightOperand(ArrayView<float> view, int k, int n, bool transposed, PackedRightOperand? packed)
    {
        View = view;
        K = k;
        N = n;
        Transposed = transposed;
        Packed = packed;
    }

    /// <summary>The operand as stored.</summary>
    public ArrayView<float> View { get; }

    /// <summary>Rows of op(B).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    /// <summary>Whether B is stored transposed ([N, K]).</summary>
    public bool Transposed { get; }

    internal PackedRightOperand? Packed { get; }

    /// <inheritdoc />
    public void Dispose() => Packed?.Dispose();
}
