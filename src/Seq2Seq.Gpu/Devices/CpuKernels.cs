namespace Seq2Seq.Gpu.Devices;

/// <summary>What runs the engine's operations when the device is ILGPU's CPU accelerator.</summary>
public enum CpuKernels
{
    /// <summary>The host SIMD kernels (the default: ILGPU's CPU accelerator runs kernels one simulated thread at a time).</summary>
    Auto,

    /// <summary>Host kernels written for the CPU (AVX-512, AVX2 or portable vectors; multithreaded) on the accelerator's buffers.</summary>
    Simd,

    /// <summary>The ILGPU kernels, as on a GPU (for testing and comparison).</summary>
    Ilgpu,
}
