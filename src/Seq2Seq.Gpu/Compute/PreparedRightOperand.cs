using ILGPU;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// A right matrix operand that many products of one pass reuse (the recurrent kernel at every time step), prepared
/// once by <see cref="DeviceOps.PrepareRight"/>: on the CPU accelerator's host kernels it is packed once instead of at
/// every product; elsewhere it is just the view. A snapshot for one pass: prepare it again after the weights change.
/// Prepared in <see cref="WeightPrecision.Bf16"/> (host kernels only), it is a bfloat16 copy of op(B) and the
/// products read that copy, not <see cref="View"/>.
/// </summary>
internal sealed class PreparedRightOperand : IDisposable
{
    internal PreparedRightOperand(ArrayView<float> view, int k, int n, bool transposed, PackedRightOperand? packed)
        : this(view, k, n, transposed, packed, null)
    {
    }

    internal PreparedRightOperand(ArrayView<float> view, int k, int n, bool transposed, PackedRightOperand? packed, BFloat16RightOperand? bfloat16)
    {
        View = view;
        K = k;
        N = n;
        Transposed = transposed;
        Packed = packed;
        BFloat16 = bfloat16;
    }

    /// <summary>The operand as stored.</summary>
    public ArrayView<float> View { get; }

    /// <summary>Rows of op(B).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    /// <summary>Whether B is stored transposed ([N, K]).</summary>
    public bool Transposed { get; }

    /// <summary>The precision the products read this operand in.</summary>
    public WeightPrecision Precision => BFloat16 is null ? WeightPrecision.Fp32 : WeightPrecision.Bf16;

    internal PackedRightOperand? Packed { get; }

    internal BFloat16RightOperand? BFloat16 { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Packed?.Dispose();
        BFloat16?.Dispose();
    }
}
