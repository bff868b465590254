using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// This machine's limits as <see cref="PeakMeasurement"/> measured them: fused multiply-add throughput and read
/// bandwidth at the L2, L3 and DRAM sizes, each the best of several short runs.
/// </summary>
/// <param name="InstructionSet">The vector set the loops ran (the one the engine's host kernels pick).</param>
/// <param name="Threads">Threads of the all-thread figures (one a logical processor, as the host kernels use).</param>
/// <param name="PeakGflops">FMA throughput on every thread, GFLOP/s (2 FLOPs a lane a fused multiply-add).</param>
/// <param name="PeakGflopsOneThread">FMA throughput on one thread, GFLOP/s.</param>
/// <param name="Caches">The cache sizes the buffers were sized from.</param>
/// <param name="BandwidthL2">Read bandwidth, every thread streaming its own buffer of half its L2, GB/s (10⁹ bytes).</param>
/// <param name="BandwidthL3">Read bandwidth over buffers that together fill half the L3s, GB/s.</param>
/// <param name="BandwidthDram">Read bandwidth over buffers four times the L3s together, GB/s.</param>
internal sealed record MachinePeaks(
    HostInstructionSet InstructionSet,
    int Threads,
    double PeakGflops,
    double PeakGflopsOneThread,
    CacheSizes Caches,
    double BandwidthL2,
    double BandwidthL3,
    double BandwidthDram)
{
    /// <summary>
    /// The smallest level whose capacity holds <paramref name="bytes"/> read by every thread together (the host
    /// kernels split a product's columns over the cores): the L2s together (L2 × threads), the L3s together, else DRAM.
    /// </summary>
    public MemoryLevel LevelHolding(long bytes) =>
        bytes <= Caches.L2Bytes * Threads ? MemoryLevel.L2
        : bytes <= Caches.L3Bytes * L3Instances ? MemoryLevel.L3
        : MemoryLevel.Dram;

    /// <summary>Measured read bandwidth of <paramref name="level"/>, GB/s.</summary>
    public double Bandwidth(MemoryLevel level) => level switch
    {
        MemoryLevel.L2 => BandwidthL2,
        MemoryLevel.L3 => BandwidthL3,
        _ => BandwidthDram,
    };

    /// <summary>L3 instances the threads span (at least 1).</summary>
    internal int L3Instances => Math.Max(1, (Threads + Caches.L3SharedBy - 1) / Caches.L3SharedBy);
}
