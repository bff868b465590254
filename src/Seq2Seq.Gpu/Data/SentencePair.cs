namespace Seq2Seq.Gpu.Data;

/// <summary>One translation pair: a source sentence and its target sentence, as read from the corpus.</summary>
/// <param name="Source">The source sentence (the encoder's input), exactly as in the file.</param>
/// <param name="Target">The target sentence (what the decoder learns to produce), without markers.</param>
public sealed record SentencePair(string Source, string Target);
