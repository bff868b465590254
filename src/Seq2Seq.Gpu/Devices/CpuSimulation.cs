namespace Seq2Seq.Gpu.Devices;

/// <summary>
/// The GPU shape ILGPU's CPU accelerator simulates. Kernels must be correct under both: tests run them in each.
/// </summary>
public enum CpuSimulation
{
    /// <summary>ILGPU's default: warp size 4, at most 16 threads a group.</summary>
    Default,

    /// <summary>NVIDIA-shaped: warp size 32, up to 1024 threads a group.</summary>
    Nvidia,

    /// <summary>
    /// NVIDIA-shaped with three simulated multiprocessors (warp 32, up to 128 threads a group): three groups run at
    /// once, so kernels that synchronise across groups (the persistent decoder's grid barrier) are exercised.
    /// </summary>
    NvidiaMultiprocessors,
}
