namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Where a device test suite runs.</summary>
public enum TestTarget
{
    /// <summary>ILGPU's CPU accelerator, default shape (warp 4, 16 threads a group).</summary>
    CpuDefault,

    /// <summary>ILGPU's CPU accelerator, NVIDIA shape (warp 32, 1024 threads a group).</summary>
    CpuNvidia,

    /// <summary>ILGPU's CPU accelerator with the host SIMD kernels (the engine's CPU default).</summary>
    CpuSimd,

    /// <summary>
    /// ILGPU's CPU accelerator with three simulated multiprocessors and the GPU code paths switched on: fused recurrent
    /// steps, persistent recurrences and the persistent greedy decoder (what runs on CUDA, end to end).
    /// </summary>
    CpuGpuPaths,

    /// <summary>A CUDA GPU (tests tagged Gpu; skipped where none exists).</summary>
    Cuda,

    /// <summary>The host SIMD kernels on 128-bit portable vectors, on the CPU accelerator's buffers (operation suites only).</summary>
    CpuSimdPortable,

    /// <summary>The host SIMD kernels on AVX2 + FMA (skipped where the processor lacks it; operation suites only).</summary>
    CpuSimdAvx2,

    /// <summary>
    /// The host SIMD kernels on AVX-512: on the hardware where the processor has it, else on .NET's software emulation
    /// of 512-bit vectors, so the 512-bit code path is tested on any machine (operation suites only).
    /// </summary>
    CpuSimdAvx512,
}
