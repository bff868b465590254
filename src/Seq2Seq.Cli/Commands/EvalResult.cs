using System.Text.Json.Serialization;

namespace Seq2Seq.Cli.Commands;

/// <summary>
/// What <c>seq2seq eval</c> measured; <c>--json</c> prints it as one JSON object with snake_case names. Fields that
/// are null are left out (the decoding metrics until <see cref="EvalCommand"/> computes them).
/// </summary>
internal sealed record EvalResult
{
    /// <summary>The model file.</summary>
    public required string Model { get; init; }

    /// <summary>The corpus file.</summary>
    public required string Data { get; init; }

    /// <summary>The device, in words.</summary>
    public required string Device { get; init; }

    /// <summary>Pairs evaluated.</summary>
    public required int Pairs { get; init; }

    /// <summary>Target positions counted in the loss and accuracy (in Keras-compatible models the padding counts, as in Keras).</summary>
    public required long Tokens { get; init; }

    /// <summary>Teacher-forced mean cross-entropy per counted target position.</summary>
    public required double Loss { get; init; }

    /// <summary>Teacher-forced token accuracy over counted target positions.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Source tokens not in the model's source vocabulary (read as UNK).</summary>
    public required long UnknownSourceTokens { get; init; }

    /// <summary>Target tokens not in the model's target vocabulary (read as UNK).</summary>
    public required long UnknownTargetTokens { get; init; }

    /// <summary>Pairs with a source or target longer than the model's training maxima (evaluated with their own padding).</summary>
    public required int LongerThanTraining { get; init; }

    /// <summary>Wall time of the evaluation in seconds.</summary>
    public required double Seconds { get; init; }

    /// <summary>share of pairs whose greedy or beam translation equals the reference.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ExactMatch { get; init; }

    /// <summary>corpus chrF of the translations.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Chrf { get; init; }

    /// <summary>corpus BLEU of the translations.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Bleu { get; init; }

    /// <summary>Beam width of the decoding metrics (1 = greedy); null when decoding was skipped.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Beam { get; init; }

    /// <summary>The precision the decoder's matrices were read in for the decoding metrics (<c>fp32</c>, <c>bf16</c>); null when decoding was skipped.</summary>
    public string? Precision { get; init; }
}
