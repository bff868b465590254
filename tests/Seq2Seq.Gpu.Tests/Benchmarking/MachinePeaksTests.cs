using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Tests.Benchmarking;

/// <summary>Merging two measurements of the machine's limits, as <c>bench --peak</c> does around each configuration.</summary>
public sealed class MachinePeaksTests
{
    private static readonly CacheSizes Caches = new(1L << 20, 32L << 20, 2, true);

    [Test]
    public void The_best_of_two_measurements_takes_each_figure_from_whichever_was_higher()
    {
        // Before the run the host took a core (two threads gave one thread's figure); after it, the L3 and DRAM streams were slowed instead.
        var before = new MachinePeaks(HostInstructionSet.Avx512, 2, 114.8, 114.9, Caches, 168.5, 120.2, 23.3);
        var after = new MachinePeaks(HostInstructionSet.Avx512, 2, 221.6, 111.5, Caches, 174.8, 99.7, 12.0);

        var best = before.BestOf(after);

        Assert.That(best, Is.EqualTo(new MachinePeaks(HostInstructionSet.Avx512, 2, 221.6, 114.9, Caches, 174.8, 120.2, 23.3)));
        Assert.That(after.BestOf(before), Is.EqualTo(best), "the order of the two does not matter");
    }

    [Test]
    public void Measurements_of_different_machines_or_thread_counts_are_not_merged()
    {
        var peaks = new MachinePeaks(HostInstructionSet.Avx512, 2, 200, 100, Caches, 100, 50, 10);

        Assert.Multiple(() =>
        {
            Assert.That(() => peaks.BestOf(peaks with { Threads = 4 }), Throws.ArgumentException.With.Message.Contains("4 threads"));
            Assert.That(() => peaks.BestOf(peaks with { InstructionSet = HostInstructionSet.Avx2 }), Throws.ArgumentException.With.Message.Contains("Avx2"));
            Assert.That(() => peaks.BestOf(peaks with { Caches = Caches with { L3Bytes = 16L << 20 } }), Throws.ArgumentException.With.Message.Contains("cache sizes"));
        });
    }
}
