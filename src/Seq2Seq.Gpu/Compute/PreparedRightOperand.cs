using ILGPU;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// A right matrix operand that many products of one pass reuse (the recurrent kernel at every time step), prepared
/// once by <see cref="DeviceOps.PrepareRight"/>: on the CPU accelerator's host kernels it is packed once instead of at
/// every product (at the first product wide enough to read panels: narrower ones stream B as stored, so until then
/// they see B as it is); elsewhere it is just the view. Treat it as a snapshot for one pass: prepare it again after
/// the weights change.
/// Prepared in <see cref="WeightPrecision.Bf16"/> it is a bfloat16 copy of B and the products read that copy, not
/// <see cref="View"/>: on the host kernels packed into panels (<see cref="BFloat16"/>), on the ILGPU kernels a device
/// view laid out as B (<see cref="DeviceBFloat16"/>), which the operand owns or shares with a
/// <see cref="PreparedRightGroup"/>.
/// </summary>
internal sealed class PreparedRightOperand : IDisposable
{
    private readonly IDisposable? owner;
    private volatile bool disposed;

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

    internal PreparedRightOperand(ArrayView<float> view, int k, int n, bool transposed, ArrayView<ushort> deviceBFloat16, IDisposable? owner)
    {
        View = view;
        K = k;
        N = n;
        Transposed = transposed;
        DeviceBFloat16 = deviceBFloat16;
        this.owner = owner;
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
    public WeightPrecision Precision => BFloat16 is null && DeviceBFloat16.Length == 0 ? WeightPrecision.Fp32 : WeightPrecision.Bf16;

    internal PackedRightOperand? Packed { get; }

    internal BFloat16RightOperand? BFloat16 { get; }

    /// <summary>The bfloat16 copy of B on an ILGPU device, [K, N] as B is stored ([N, K] when transposed); empty in FP32.</summary>
    internal ArrayView<ushort> DeviceBFloat16 { get; }

    /// <summary>Whether <see cref="Dispose"/> has run (or its group's): products then refuse the operand.</summary>
    public bool IsDisposed => disposed;

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        Packed?.Dispose();
        BFloat16?.Dispose();
        owner?.Dispose();
    }
}
