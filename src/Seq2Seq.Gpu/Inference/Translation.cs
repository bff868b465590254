namespace Seq2Seq.Gpu.Inference;

/// <summary>A translated sentence.</summary>
/// <param name="Text">The translation.</param>
/// <param name="Tokens">Its target token ids (no START or END).</param>
/// <param name="SourceTruncated">True when the source was longer than the model accepts and was cut (Keras-compatible models only).</param>
/// <param name="Attention">
/// For a model with attention, the attention weights [target, source]: row i is the distribution over the source tokens
/// when target token i was chosen (one row per token of <see cref="Tokens"/>; END has none), one column per source token
/// of the (possibly truncated) sentence. Each row sums to 1 over the real source tokens (in Keras-compatible mode, which
/// masks nothing, the padding positions may hold some weight too). Null without attention.
/// </param>
public sealed record Translation(string Text, IReadOnlyList<int> Tokens, bool SourceTruncated, IReadOnlyList<float[]>? Attention = null);
