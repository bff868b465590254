using System.Text.Json.Serialization;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>Figures of one <see cref="BenchmarkRunner"/> run: medians over the timed repetitions.</summary>
internal sealed record BenchmarkResult
{
    /// <summary>Configuration name.</summary>
    [JsonPropertyName("config")]
    public required string Config { get; init; }

    /// <summary>Device, in words.</summary>
    [JsonPropertyName("device")]
    public required string Device { get; init; }

    /// <summary>Which kernels ran on the CPU accelerator (simd or ilgpu), or "gpu".</summary>
    [JsonPropertyName("kernels")]
    public required string Kernels { get; init; }

    /// <summary>The precision the decode steps read the decoder's matrices in: <c>fp32</c> or <c>bf16</c> (training is FP32 either way).</summary>
    [JsonPropertyName("precision")]
    public string Precision { get; init; } = "fp32";

    /// <summary>One training step (forward, backward, optimizer), milliseconds; for the LSTM-only shape, forward + backward.</summary>
    [JsonPropertyName("train_step_ms")]
    public double TrainStepMs { get; init; }

    /// <summary>Forward pass alone, milliseconds.</summary>
    [JsonPropertyName("forward_ms")]
    public double ForwardMs { get; init; }

    /// <summary>Source plus target tokens of a batch over the training step time.</summary>
    [JsonPropertyName("train_tokens_per_s")]
    public double TrainTokensPerSecond { get; init; }

    /// <summary>Greedy decoding, one step at batch 1, microseconds (absent for the LSTM-only shape).</summary>
    [JsonPropertyName("decode_step_us_b1")]
    public double? DecodeStepUsBatch1 { get; init; }

    /// <summary>Greedy decoding, one step at batch 64, microseconds.</summary>
    [JsonPropertyName("decode_step_us_b64")]
    public double? DecodeStepUsBatch64 { get; init; }

    /// <summary>Beam search (width 5), one step for one sentence: device step of 5 rows, logits back, ranking on the host; microseconds.</summary>
    [JsonPropertyName("beam5_step_us_b1")]
    public double? Beam5StepUsBatch1 { get; init; }

    /// <summary>Beam search (width 5), one step for a batch of sentences (5 rows each), microseconds.</summary>
    [JsonPropertyName("beam5_step_us_b64")]
    public double? Beam5StepUsBatch64 { get; init; }

    /// <summary>Product FLOPs of one training step, in 10⁹ (<see cref="ModelCost.TrainingFlops"/>).</summary>
    [JsonPropertyName("train_gflop")]
    public double TrainGflop { get; init; }

    /// <summary>Achieved product throughput of the training step, GFLOP/s (<see cref="TrainGflop"/> over <see cref="TrainStepMs"/>).</summary>
    [JsonPropertyName("train_gflops")]
    public double TrainGflops { get; init; }

    /// <summary>
    /// The shape M × K × N of <see cref="ProductGflops"/>'s product: the largest of the training step, the larger of
    /// (B·T) × H × 4H for the longer side's T (the gates' shape, and the recurrent weight gradient's FLOPs) and the
    /// output projection (B·T_t) × H × V_t.
    /// </summary>
    [JsonPropertyName("product_shape")]
    public string? ProductShape { get; init; }

    /// <summary>
    /// GFLOP/s of that one product alone (<c>C = A·B</c>, median of the timed runs): what the engine's products reach
    /// on this device without recurrences, cells or hand-offs between small operations, so a ceiling for
    /// <see cref="TrainGflops"/>.
    /// </summary>
    [JsonPropertyName("product_gflops")]
    public double? ProductGflops { get; init; }

    /// <summary>Bytes a greedy decode step reads at batch 1 (<see cref="ModelCost.DecodeBytesPerStep"/>); absent for the LSTM-only shape.</summary>
    [JsonPropertyName("decode_bytes_per_step")]
    public long? DecodeBytesPerStep { get; init; }

    /// <summary>Vector set of the peak measurement (with <c>--peak</c>; absent otherwise, as are the fields below).</summary>
    [JsonPropertyName("peak_instruction_set")]
    public string? PeakInstructionSet { get; init; }

    /// <summary>Threads of the all-thread peak figures.</summary>
    [JsonPropertyName("peak_threads")]
    public int? PeakThreads { get; init; }

    /// <summary>Measured FMA peak on every thread, GFLOP/s.</summary>
    [JsonPropertyName("peak_gflops")]
    public double? PeakGflops { get; init; }

    /// <summary>Measured FMA peak on one thread, GFLOP/s.</summary>
    [JsonPropertyName("peak_gflops_1t")]
    public double? PeakGflopsOneThread { get; init; }

    /// <summary><see cref="TrainGflops"/> over <see cref="PeakGflops"/>.</summary>
    [JsonPropertyName("train_fraction_of_peak")]
    public double? TrainFractionOfPeak { get; init; }

    /// <summary><see cref="ProductGflops"/> over <see cref="PeakGflops"/>.</summary>
    [JsonPropertyName("product_fraction_of_peak")]
    public double? ProductFractionOfPeak { get; init; }

    /// <summary>Measured read bandwidth of buffers in the L2 caches, every thread, GB/s.</summary>
    [JsonPropertyName("bandwidth_l2_gbs")]
    public double? BandwidthL2 { get; init; }

    /// <summary>Measured read bandwidth of buffers in the L3 cache(s), every thread, GB/s.</summary>
    [JsonPropertyName("bandwidth_l3_gbs")]
    public double? BandwidthL3 { get; init; }

    /// <summary>Measured read bandwidth of buffers in main memory, every thread, GB/s.</summary>
    [JsonPropertyName("bandwidth_dram_gbs")]
    public double? BandwidthDram { get; init; }

    /// <summary>Whether the cache sizes were read from the system (false: typical sizes assumed).</summary>
    [JsonPropertyName("cache_sizes_read")]
    public bool? CacheSizesRead { get; init; }

    /// <summary>Level that <see cref="DecodeBytesPerStep"/> fits in: l2, l3 or dram (<see cref="MachinePeaks.LevelHolding"/>).</summary>
    [JsonPropertyName("decode_level")]
    public string? DecodeLevel { get; init; }

    /// <summary>Bandwidth floor of a batch-1 greedy decode step: <see cref="DecodeBytesPerStep"/> over that level's bandwidth, microseconds.</summary>
    [JsonPropertyName("decode_floor_us_b1")]
    public double? DecodeFloorUsBatch1 { get; init; }

    /// <summary><see cref="DecodeStepUsBatch1"/> over <see cref="DecodeFloorUsBatch1"/> (1 would be at the floor).</summary>
    [JsonPropertyName("decode_b1_over_floor")]
    public double? DecodeBatch1OverFloor { get; init; }

    /// <summary>Most device memory allocated at once by the engine during the run.</summary>
    [JsonPropertyName("peak_memory_bytes")]
    public long PeakMemoryBytes { get; init; }

    /// <summary>Timed repetitions behind each median.</summary>
    [JsonPropertyName("steps")]
    public int Steps { get; init; }
}
