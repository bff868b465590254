using System.Globalization;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>Puts a <see cref="BenchmarkResult"/> beside the model's counted work and, when measured, the machine's limits.</summary>
internal static class PeakComparison
{
    /// <summary>
    /// <paramref name="result"/> with the training step's FLOPs and GFLOP/s and the decode step's bytes filled in; with
    /// <paramref name="peaks"/>, also the peaks, the training step's fraction of the FMA peak and the batch-1 decode
    /// step's bandwidth floor (bytes over the bandwidth of the level they fit in).
    /// </summary>
    /// <param name="result">Measured figures of <paramref name="config"/>.</param>
    /// <param name="config">The shape measured.</param>
    /// <param name="peaks">This machine's measured limits, or null.</param>
    public static BenchmarkResult Apply(BenchmarkResult result, BenchmarkConfig config, MachinePeaks? peaks)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(config);
        double gflop = ModelCost.TrainingFlops(config) / 1e9;
        double gflops = gflop / (result.TrainStepMs / 1e3);
        long? bytes = config.LstmOnly ? null : ModelCost.DecodeBytesPerStep(config, 1);
        result = result with { TrainGflop = gflop, TrainGflops = gflops, DecodeBytesPerStep = bytes };
        if (peaks is null)
        {
            return result;
        }

        result = result with
        {
            PeakInstructionSet = peaks.InstructionSet.ToString().ToLowerInvariant(),
            PeakThreads = peaks.Threads,
            PeakGflops = peaks.PeakGflops,
            PeakGflopsOneThread = peaks.PeakGflopsOneThread,
            TrainFractionOfPeak = gflops / peaks.PeakGflops,
            ProductFractionOfPeak = result.ProductGflops / peaks.PeakGflops,
            BandwidthL2 = peaks.BandwidthL2,
            BandwidthL3 = peaks.BandwidthL3,
            BandwidthDram = peaks.BandwidthDram,
            CacheSizesRead = peaks.Caches.FromSystem,
        };
        if (bytes is not { } b)
        {
            return result;
        }

        // floor µs = bytes / (GB/s · 10⁹) · 10⁶.
        var level = peaks.LevelHolding(b);
        double floor = b / (peaks.Bandwidth(level) * 1e3);
        return result with
        {
            DecodeLevel = level.ToString().ToLower(CultureInfo.InvariantCulture),
            DecodeFloorUsBatch1 = floor,
            DecodeBatch1OverFloor = result.DecodeStepUsBatch1 / floor,
        };
    }
}
