using System.Text.Json.Serialization;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>Figures of one <see cref="BenchmarkRunner"/> run: medians over the timed repetitions.</summary>
public sealed record BenchmarkResult
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

    /// <summary>Most device memory allocated at once by the engine during the run.</summary>
    [JsonPropertyName("peak_memory_bytes")]
    public long PeakMemoryBytes { get; init; }

    /// <summary>Timed repetitions behind each median.</summary>
    [JsonPropertyName("steps")]
    public int Steps { get; init; }
}
