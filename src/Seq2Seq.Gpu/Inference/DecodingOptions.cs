using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Inference;

/// <summary>How a <see cref="Translator"/> decodes.</summary>
public sealed record DecodingOptions
{
    /// <summary>Beam width; 1 is greedy decoding (and gives exactly the greedy result).</summary>
    public int BeamWidth { get; init; } = 1;

    /// <summary>Hypotheses returned per sentence by <see cref="Translator.TranslateNBest(string, int?, CancellationToken)"/> (at most the beam width).</summary>
    public int NBest { get; init; } = 1;

    /// <summary>
    /// Most tokens to produce per sentence (END excluded). Null: the longest target seen in training (the model's
    /// <c>MaxTargetLength</c> less its two markers), or 100 when the model does not know it.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>Length normalisation α of beam search: hypotheses are ranked by log p / length^α (1 = mean log-probability, 0 = none).</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>Sentences decoded together on the device (greedy); larger inputs are split into batches of this size.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>
    /// The precision the decoder's matrices are read in: <see cref="WeightPrecision.Fp32"/> (the weight store itself,
    /// the default) or <see cref="WeightPrecision.Bf16"/> (bfloat16 copies made once, FP32 accumulation; on the host
    /// kernels packed in host memory, on the ILGPU kernels in one device buffer).
    /// </summary>
    public WeightPrecision Precision { get; init; } = WeightPrecision.Fp32;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (BeamWidth < 1)
        {
            throw new ArgumentException($"beam width must be at least 1 (got {BeamWidth})");
        }

        if (NBest < 1 || NBest > BeamWidth)
        {
            throw new ArgumentException($"n-best must be between 1 and the beam width {BeamWidth} (got {NBest})");
        }

        if (MaxLength is < 1)
        {
            throw new ArgumentException($"max length must be at least 1 (got {MaxLength})");
        }

        if (MaxBatch < 1)
        {
            throw new ArgumentException($"max batch must be at least 1 (got {MaxBatch})");
        }

        if (!Enum.IsDefined(Precision))
        {
            throw new ArgumentException($"weight precision must be {WeightPrecisions.Expected} (got {(int)Precision})");
        }

        if (!double.IsFinite(LengthPenalty) || LengthPenalty < 0)
        {
            throw new ArgumentException($"length penalty must be a non-negative number (got {LengthPenalty})");
        }
    }
}
