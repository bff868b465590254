using System.Runtime.InteropServices;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// A right operand op(B) [K, N] converted once to bfloat16 and packed into column panels
/// (<see cref="HostBFloat16Gemm{TS, TV}"/>: [panel][K][2·vector width], columns past N zero), for the decoder's
/// products of a loaded model. Native, 64-byte aligned memory; dispose it. A snapshot: a change to B afterwards is
/// not seen.
/// </summary>
internal sealed unsafe class BFloat16RightOperand : IDisposable
{
    private ushort* data;

    internal BFloat16RightOperand(int k, int n, bool transposed, long length)
    {
        K = k;
        N = n;
        Transposed = transposed;
        Length = length;
        data = (ushort*)NativeMemory.AlignedAlloc((nuint)(Math.Max(length, 1) * sizeof(ushort)), 64);
    }

    /// <summary>Rows of op(B).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    /// <summary>Whether B was stored transposed ([N, K]).</summary>
    public bool Transposed { get; }

    /// <summary>bfloat16 values held (the panels' padding included): twice this many bytes.</summary>
    public long Length { get; }

    internal ushort* Data => data != null ? data : throw new ObjectDisposedException(nameof(BFloat16RightOperand));

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
