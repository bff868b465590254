using System.Runtime.InteropServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// A right operand op(B) [K, N] packed once into the micro-panel layout of the host matrix product, for products
/// that reuse it (the recurrent kernel at every step of a pass). Native, 64-byte aligned memory; dispose it.
/// <para>
/// It may be made empty and packed at the first product that reads it packed (<see cref="HostKernels.DeferPackRight"/>):
/// products of a few rows stream B as stored and never need the panels, so greedy decoding of one sentence packs
/// nothing (packing the encoder's and the decoder's 1 MB recurrent kernels took longer than a decode step). Either
/// way it is a snapshot of B for one pass: a change to B after it was packed is not seen.
/// </para>
/// </summary>
internal sealed unsafe class PackedRightOperand : IDisposable
{
    private readonly long length;
    private readonly object packing = new();
    private float* data;
    private bool disposed;

    internal PackedRightOperand(int k, int n, bool transposed, long length)
    {
        K = k;
        N = n;
        Transposed = transposed;
        this.length = length;
    }

    /// <summary>Rows of op(B).</summary>
    public int K { get; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; }

    /// <summary>Whether B was stored transposed ([N, K]).</summary>
    public bool Transposed { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called (a product of a few rows, which never reads the panels, still refuses it).</summary>
    public bool IsDisposed
    {
        get
        {
            lock (packing)
            {
                return disposed;
            }
        }
    }

    /// <summary>Whether the panels have been written.</summary>
    public bool IsPacked
    {
        get
        {
            lock (packing)
            {
                return data != null;
            }
        }
    }

    /// <summary>
    /// The panels of <paramref name="b"/> (op(B) as stored, the operand this was made for), packed by
    /// <paramref name="backend"/> the first time they are asked for; concurrent callers wait for that one packing.
    /// </summary>
    internal float* Packed(HostBackend backend, float* b)
    {
        lock (packing)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (data == null)
            {
                var panels = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(length, 1) * sizeof(float)), 64);
                try
                {
                    if (K > 0 && N > 0)
                    {
                        backend.PackRight(b, new MatMulShape(1, N, K, transposeB: Transposed), panels);
                    }
                }
                catch
                {
                    NativeMemory.AlignedFree(panels);
                    throw;
                }

                data = panels;
            }

            return data;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (packing)
        {
            disposed = true;
            if (data != null)
            {
                NativeMemory.AlignedFree(data);
                data = null;
            }
        }
    }
}
