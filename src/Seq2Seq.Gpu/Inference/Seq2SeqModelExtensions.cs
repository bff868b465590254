using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Inference;

/// <summary>Inference entry points on a model.</summary>
public static class Seq2SeqModelExtensions
{
    /// <summary>A translator that reads this model's weight store directly (no copy).</summary>
    public static Translator CreateTranslator(this Seq2SeqModel model, DecodingOptions? options = null) => new(model, options);
}
