namespace Seq2Seq.Gpu.Devices;

/// <summary>What computes the matrix products of a CUDA device (see <see cref="KernelPolicy.Gemm"/>).</summary>
public enum GpuGemm
{
    /// <summary>The engine's own ILGPU kernels (the default; needs nothing beyond the CUDA driver).</summary>
    Own,

    /// <summary>
    /// NVIDIA's cuBLAS through ILGPU.Algorithms, where the library can be loaded (never required: where it cannot, the
    /// own kernels run and <c>DeviceOps.GemmBackend</c> says why).
    /// </summary>
    CuBlas,
}
