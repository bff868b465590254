using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// This machine's limits as <see cref="PeakMeasurement"/> measured them: fused multiply-add throughput and read
/// bandwidth at the L2, L3 and DRAM sizes, each the best of several short runs (and, in <c>bench</c>, of a measurement
/// just before and one just after each configuration: <see cref="BestOf"/>).
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

    /// <summary>
    /// Each figure the higher of this measurement and <paramref name="other"/>, one taken on the same machine at another
    /// moment. A limit measured on a shared machine only comes out low (the host took time from the loop, never gave
    /// more), so the best of a measurement before and one after a run bounds that run better than either alone.
    /// </summary>
    /// <param name="other">A measurement of the same instruction set, threads and cache sizes.</param>
    public MachinePeaks BestOf(MachinePeaks other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.InstructionSet != InstructionSet || other.Threads != Threads || other.Caches != Caches)
        {
            throw new ArgumentException(
                $"peaks of {other.InstructionSet} on {other.Threads} threads cannot be merged with peaks of {InstructionSet} on {Threads} threads (or their cache sizes differ)",
                nameof(other));
        }

        return this with
        {
            PeakGflops = Math.Max(PeakGflops, other.PeakGflops),
            PeakGflopsOneThread = Math.Max(PeakGflopsOneThread, other.PeakGflopsOneThread),
            BandwidthL2 = Math.Max(BandwidthL2, other.BandwidthL2),
            BandwidthL3 = Math.Max(BandwidthL3, other.BandwidthL3),
            BandwidthDram = Math.Max(BandwidthDram, other.BandwidthDram),
        };
    }

    /// <summary>L3 instances the threads span (at least 1).</summary>
    internal int L3Instances => Math.Max(1, (Threads + Caches.L3SharedBy - 1) / Caches.L3SharedBy);
}
