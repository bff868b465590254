namespace Seq2Seq.Gpu.Inference;

/// <summary>A translated sentence.</summary>
/// <param name="Text">The translation.</param>
/// <param name="Tokens">Its target token ids (no START or END).</param>
/// <param name="SourceTruncated">True when the source was longer than the model accepts and was cut (Keras-compatible models only).</param>
public sealed record Translation(string Text, IReadOnlyList<int> Tokens, bool SourceTruncated);
