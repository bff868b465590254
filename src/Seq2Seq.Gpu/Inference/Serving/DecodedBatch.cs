namespace Seq2Seq.Gpu.Inference.Serving;

/// <summary>What a <see cref="TranslationService"/> reports after decoding one batch.</summary>
/// <param name="BeamWidth">The batch's beam width (1: greedy).</param>
/// <param name="Sentences">Sentences decoded together.</param>
/// <param name="QueueTimes">How long each of them waited in the queue, from submission to the start of the decode.</param>
/// <param name="DecodeTime">How long the decode took.</param>
/// <param name="Error">The error that failed the whole batch, or null.</param>
public sealed record DecodedBatch(int BeamWidth, int Sentences, IReadOnlyList<TimeSpan> QueueTimes, TimeSpan DecodeTime, Exception? Error);
