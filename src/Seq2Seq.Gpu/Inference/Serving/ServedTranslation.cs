namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>What a <see cref="TranslationService"/> returns for one sentence.</summary>
/// <param name="Hypotheses">The n best hypotheses, best first (one for greedy decoding).</param>
/// <param name="SourceTruncated">True when the source was longer than the model accepts and was cut (Keras-compatible models only).</param>
public sealed record ServedTranslation(IReadOnlyList<ScoredTranslation> Hypotheses, bool SourceTruncated)
{
    /// <summary>The best hypothesis.</summary>
    public ScoredTranslation Best => Hypotheses[0];

    /// <summary>The best hypothesis' text.</summary>
    public string Text => Best.Text;
}
