namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// One GPU's per-multiprocessor limits, as NVIDIA publishes them (CUDA C++ Programming Guide, "Compute Capabilities",
/// table of technical specifications per compute capability; SM counts from the product data sheets).
/// </summary>
/// <param name="Name">The product.</param>
/// <param name="Architecture">The ptxas target (<c>sm_80</c>, <c>sm_89</c>, <c>sm_90</c>).</param>
/// <param name="Multiprocessors">SMs.</param>
/// <param name="RegistersPerSm">32-bit registers a multiprocessor.</param>
/// <param name="SharedBytesPerSm">Shared memory a multiprocessor.</param>
/// <param name="ThreadsPerSm">Resident threads a multiprocessor.</param>
/// <param name="GroupsPerSm">Resident groups (blocks) a multiprocessor.</param>
public sealed record GpuLimits(string Name, string Architecture, int Multiprocessors, int RegistersPerSm, int SharedBytesPerSm, int ThreadsPerSm, int GroupsPerSm)
{
    /// <summary>Registers are allocated a warp at a time, in units of 256 (compute capability 8.x and 9.0).</summary>
    public const int RegisterAllocationUnit = 256;

    /// <summary>Shared memory the system reserves for each resident group (1 KB on compute capability 8.0 and later).</summary>
    public const int ReservedSharedBytesPerGroup = 1024;

    /// <summary>The GPUs the engine's launch rules are proven for.</summary>
    public static IReadOnlyList<GpuLimits> Known { get; } =
    [
        new("H100 SXM", "sm_90", 132, 65536, 228 * 1024, 2048, 32),
        new("H200 SXM", "sm_90", 132, 65536, 228 * 1024, 2048, 32),
        new("A100 SXM", "sm_80", 108, 65536, 164 * 1024, 2048, 32),
        new("L4", "sm_89", 58, 65536, 100 * 1024, 1536, 24),
        new("RTX 4090", "sm_89", 128, 65536, 100 * 1024, 1536, 24),
    ];

    /// <summary>
    /// How many groups of <paramref name="threads"/> threads, each thread using <paramref name="registers"/> registers
    /// and each group <paramref name="sharedBytes"/> of shared memory, can be resident on one multiprocessor.
    /// </summary>
    public int ResidentGroups(int threads, int registers, int sharedBytes)
    {
        int warps = (threads + 31) / 32;
        int registersPerWarp = (registers * 32 + RegisterAllocationUnit - 1) / RegisterAllocationUnit * RegisterAllocationUnit;
        int byRegisters = RegistersPerSm / Math.Max(1, registersPerWarp * warps);
        int byShared = SharedBytesPerSm / (sharedBytes + ReservedSharedBytesPerGroup);
        int byThreads = ThreadsPerSm / (warps * 32);
        return Math.Min(Math.Min(byRegisters, byShared), Math.Min(byThreads, GroupsPerSm));
    }
}
