namespace Seq2Seq.Gpu.Devices;

/// <summary>What a compute device is, as reported to users (the <c>devices</c> command) and logs.</summary>
/// <param name="Name">The device's own name.</param>
/// <param name="Kind">CUDA, OpenCL or CPU.</param>
/// <param name="MemoryBytes">Device memory in bytes (for the CPU accelerator, what ILGPU reports for host memory).</param>
/// <param name="WarpSize">Threads in a warp (read from the device, never assumed).</param>
/// <param name="Multiprocessors">Streaming multiprocessors (or simulated ones).</param>
/// <param name="MaxThreadsPerGroup">Largest group size.</param>
/// <param name="MaxSharedMemoryPerGroup">Shared memory available to a group, in bytes.</param>
public sealed record DeviceInfo(
    string Name,
    DeviceKind Kind,
    long MemoryBytes,
    int WarpSize,
    int Multiprocessors,
    int MaxThreadsPerGroup,
    int MaxSharedMemoryPerGroup)
{
    /// <summary>One line for humans: name, kind, memory and warp size.</summary>
    public override string ToString() => Kind == DeviceKind.Cpu
        ? $"{Name} ({Kind}, host memory, {Environment.ProcessorCount} cores)"
        : $"{Name} ({Kind}, {MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB, warp {WarpSize}, {Multiprocessors} SMs)";
}
