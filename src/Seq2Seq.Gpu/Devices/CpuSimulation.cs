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
}
