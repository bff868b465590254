using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>
/// One cuBLAS <c>Sgemm</c> call, in cuBLAS's column-major terms: <c>C' = 1·op'(A')·op'(B') + Beta·C'</c>, C' of
/// <see cref="M"/>×<see cref="N"/>, reduced over <see cref="K"/>, with leading dimensions <see cref="Lda"/>,
/// <see cref="Ldb"/>, <see cref="Ldc"/>. A' is the engine's B and B' the engine's A (see <see cref="CuBlasGemm.Map"/>).
/// </summary>
internal readonly record struct CuBlasGemmCall(
    CuBlasOperation TransA, CuBlasOperation TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, float Beta);

/// <summary>
/// The engine's matrix products on NVIDIA's cuBLAS (through ILGPU.Algorithms' <see cref="CuBlas"/>), on the device's
/// default stream, in full FP32 (the handle's default math mode). Optional: <see cref="TryCreate"/> says why it cannot
/// be had instead of failing, and the engine's own kernels run then.
/// </summary>
internal sealed class CuBlasGemm : IDisposable
{
    private readonly CuBlas blas;

    private CuBlasGemm(CuBlas blas)
    {
        this.blas = blas;
    }

    /// <summary>
    /// Maps the row-major <c>C[M, N] (=|+=) op(A)·op(B)</c> to column-major cuBLAS. A row-major [R, S] buffer is, read
    /// column-major, the S×R matrix with leading dimension S: its transpose. So C's buffer is Cᵀ (N×M, ldc = N), and
    /// <c>Cᵀ = op(B)ᵀ·op(A)ᵀ</c>: the operands swap, m = N, n = M, k = K.
    /// <list type="bullet">
    /// <item>A' = B. TransposeB 0: B is [K, N], column-major the N×K matrix op(B)ᵀ itself: no transpose, lda = N.
    /// TransposeB 1: B is [N, K], column-major the K×N matrix op(B): transpose, lda = K.</item>
    /// <item>B' = A. TransposeA 0: A is [M, K], column-major the K×M matrix op(A)ᵀ: no transpose, ldb = K.
    /// TransposeA 1: A is [K, M], column-major the M×K matrix op(A): transpose, ldb = M.</item>
    /// <item>Accumulate: beta 1 (C += product), else beta 0 (C is not read). HasBias is not mapped: cuBLAS has no
    /// bias, the caller adds it after the call.</item>
    /// <item>Every leading dimension is at least 1, as BLAS requires even where K = 0 (then C = beta·C).</item>
    /// </list>
    /// </summary>
    public static CuBlasGemmCall Map(MatMulShape shape)
    {
        bool transA = shape.TransposeB != 0;
        bool transB = shape.TransposeA != 0;
        return new CuBlasGemmCall(
            transA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            transB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            M: shape.N,
            N: shape.M,
            K: shape.K,
            Lda: Math.Max(1, transA ? shape.K : shape.N),
            Ldb: Math.Max(1, transB ? shape.M : shape.K),
            Ldc: Math.Max(1, shape.N),
            Beta: shape.Accumulate != 0 ? 1f : 0f);
    }

    /// <summary>
    /// Creates a cuBLAS handle on <paramref name="accelerator"/>'s default stream, or returns null where that is not
    /// possible. <paramref name="status"/> is <c>cublas M.m.p</c> on success, otherwise why not (not a CUDA device,
    /// library not found, handle creation failed).
    /// </summary>
    public static CuBlasGemm? TryCreate(Accelerator accelerator, out string status)
    {
        if (accelerator is not CudaAccelerator cuda)
        {
            status = $"the device is not a CUDA device ({accelerator.AcceleratorType})";
            return null;
        }

        CudaLibraryResolver.InstallCuBlas();
        try
        {
            var blas = new CuBlas(cuda);
            status = $"cublas {blas.Version / 10000}.{blas.Version / 100 % 100}.{blas.Version % 100}";
            return new CuBlasGemm(blas);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            status = $"the library could not be loaded ({FirstLine(ex.Message)}); set {CudaLibraryResolver.CuBlasPathVariable} to the libcublas file";
            return null;
        }
        catch (Exception ex) when (ex is CuBlasException or CudaException)
        {
            status = $"creating a handle failed ({ex.GetType().Name}: {FirstLine(ex.Message)})";
            return null;
        }
    }

    /// <summary><c>C (=|+=) op(A)·op(B)</c> without the bias, asynchronously on the device's default stream.</summary>
    public void Run(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, MatMulShape shape)
    {
        var call = Map(shape);
        blas.Gemm(call.TransA, call.TransB, call.M, call.N, call.K, 1f, b, call.Lda, a, call.Ldb, call.Beta, c, call.Ldc);
    }

    /// <inheritdoc />
    public void Dispose() => blas.Dispose();

    private static string FirstLine(string message)
    {
        string line = message.Split('\n', 2)[0].Trim();
        return line.Length <= 200 ? line : line[..200] + "…";
    }
}
