using NUnit.Framework;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Tests.Data;

/// <summary>The facts of the classic Keras lstm_seq2seq example on the first 10,000 lines of fra.txt.</summary>
[TestFixture]
public sealed class KerasFactsTests
{
    private static ParallelDataset? dataset;

    private static ParallelDataset Dataset()
    {
        if (dataset is null)
        {
            CorpusReadResult read = SharedDataLocator.ReadFraTxt(10_000);
            TextEncoder encoder = TextEncoder.Build(read.Pairs, TokenLevel.Character, VocabularyScheme.KerasCompatible);
            dataset = new ParallelDataset(read.Pairs, encoder);
        }

        return dataset;
    }

    [Test]
    public void First_10000_lines_give_71_source_and_93_target_tokens_and_lengths_16_and_59()
    {
        ParallelDataset data = Dataset();
        Assert.That(data.Count, Is.EqualTo(10_000));
        Assert.That(data.Encoder.SourceVocabulary.Count, Is.EqualTo(71));
        Assert.That(data.Encoder.TargetVocabulary.Count, Is.EqualTo(93));
        Assert.That(data.MaxSourceLength, Is.EqualTo(16));
        Assert.That(data.MaxTargetLength, Is.EqualTo(59));
        Assert.That(data.PaddedSourceSteps, Is.EqualTo(16));
        Assert.That(data.PaddedTargetSteps, Is.EqualTo(59));
    }

    [Test]
    public void Target_vocabulary_starts_with_the_markers_and_holds_narrow_no_break_space()
    {
        Vocabulary target = Dataset().Encoder.TargetVocabulary;
        Assert.That(target.Tokens.Take(3), Is.EqualTo(new[] { "\t", "\n", " " }));
        Assert.That(target.Contains("\u202F"), Is.True);
        Assert.That(target.Tokens[^1], Is.EqualTo("\u202F"), "the largest code point of the first 10,000 lines");
        Assert.That(Dataset().Encoder.SourceVocabulary.Tokens[0], Is.EqualTo(" "));
    }

    [Test]
    public void Every_batch_is_padded_to_the_dataset_maxima_even_after_a_split()
    {
        (ParallelDataset training, ParallelDataset validation) = Dataset().Split(0.2);
        Assert.That(training.Count, Is.EqualTo(8000));
        Batch first = training.GetBatches(64).First();
        Batch lastValidation = validation.GetBatches(64).Last();
        Assert.That((first.SourceSteps, first.TargetSteps), Is.EqualTo((16, 59)));
        Assert.That((lastValidation.BatchSize, lastValidation.SourceSteps, lastValidation.TargetSteps), Is.EqualTo((2000 % 64, 16, 59)));
        Assert.That(first.CountedTargets, Is.EqualTo(64 * 59), "nothing is masked in Keras mode");
    }

    [Test]
    public void First_pair_decoder_arrays_match_the_keras_one_hot_arrays()
    {
        ParallelDataset data = Dataset();
        Vocabulary tv = data.Encoder.TargetVocabulary;
        Batch batch = data.GetBatch([0]);
        string wrapped = "\tVa !\n";
        int space = tv.IdOf(" ");
        for (int t = 0; t < 59; t++)
        {
            int expectedInput = t < wrapped.Length ? tv.IdOf(wrapped[t].ToString()) : space;
            int expectedTarget = t + 1 < wrapped.Length ? tv.IdOf(wrapped[t + 1].ToString()) : space;
            Assert.That(batch.DecoderInputIds[t], Is.EqualTo(expectedInput), $"input at step {t}");
            Assert.That(batch.DecoderTargetIds[t], Is.EqualTo(expectedTarget), $"target at step {t}");
        }

        Assert.That(data.Encoder.DecodeTarget(batch.DecoderInputIds), Is.EqualTo("Va !"));
    }
}
