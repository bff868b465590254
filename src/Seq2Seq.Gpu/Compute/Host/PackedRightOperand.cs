using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// A right operand op(B) [K, N] packed once into the micro-panel layout of the host matrix product, for products
/// that reuse it (the recurrent kernel at every step of a pass). Native, 64-byte aligned memory; dispose it.
/// It is a snapshot: a change to B afterwards is not seen.
/// </summary>
internal sealed unsafe class PackedRightOperand : IDisposable
{
    private float* data;

    internal PackedRightOperand(int k, int n, bool transposed, long length)
    {
        K = k;
        N = n;
        Transposed = transposed;
        data = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(length, 1) * sizeof(float)), 64);
    }

    /// <summary>Rows of op(B).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    /// <summary>Whether B was stored transposed ([N, K]).</summary>
    public bool Transposed { get; }

    internal float* Data => data != null ? data : throw new ObjectDisposedException(nameof(PackedRightOperand));

    /// <inheritdoc />
    public void Dispose()
    {
        if (data != null)
        {
            NativeMemory.AlignedFree(data);
            data = null;
        }
    }
}
