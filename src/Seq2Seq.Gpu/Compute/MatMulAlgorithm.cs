using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Compute;

/// <summary>Which matrix-product kernel to run.</summary>
internal enum MatMulAlgorithm
{
    /// <summary>
    /// On GPUs cuBLAS where it was asked for and found (<see cref="KernelPolicy.Gemm"/>), otherwise register-blocked for
    /// products large enough to fill the device and tiled for the rest; on the CPU accelerator the host kernels, or
    /// barrier-free rows where the ILGPU kernels run (barriers cost ~100 µs each there).
    /// </summary>
    Auto,

    /// <summary>The barrier-free kernel, one chunk of output elements per thread.</summary>
    Rows,

    /// <summary>The shared-memory tiled kernel.</summary>
    Tiled,

    /// <summary>The register-blocked shared-memory kernel (each thread a 4×4 block of C).</summary>
    RegisterBlocked,
}
