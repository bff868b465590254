using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>Small synthetic corpora and the glue between engine batches and the reference model.</summary>
internal static class TinyTasks
{
    /// <summary>Pairs "abc" → "cba" over a few letters, lengths 1..maxLength, from a seed.</summary>
    public static List<SentencePair> Reverse(int count, int maxLength, ulong seed, string alphabet = "abcdef")
    {
        var random = new DeterministicRandom(seed);
        var pairs = new List<SentencePair>();
        for (int i = 0; i < count; i++)
        {
            int length = 1 + random.NextInt(maxLength);
            var chars = Enumerable.Range(0, length).Select(_ => alphabet[random.NextInt(alphabet.Length)]).ToArray();
            var source = new string(chars);
            Array.Reverse(chars);
            pairs.Add(new SentencePair(source, new string(chars)));
        }

        return pairs;
    }

    /// <summary>The same batch for the reference model (masks dropped in Keras-compatible mode, as the engine does).</summary>
    public static ReferenceBatch ToReference(Batch batch)
    {
        bool keras = batch.Scheme == VocabularyScheme.KerasCompatible;
        return new ReferenceBatch(
            batch.SourceIds, keras ? null : batch.SourceMask, batch.DecoderInputIds, batch.DecoderTargetIds, keras ? null : batch.TargetMask,
            batch.SourceSteps, batch.TargetSteps, batch.BatchSize);
    }
}
