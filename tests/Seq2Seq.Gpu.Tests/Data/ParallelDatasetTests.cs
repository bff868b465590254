using NUnit.Framework;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class ParallelDatasetTests
{
    private static ParallelDataset Dataset(int count, VocabularyScheme scheme = VocabularyScheme.Standard)
    {
        SentencePair[] pairs = [.. Enumerable.Range(0, count).Select(i => new SentencePair(new string('a', 1 + (i % 5)), $"t{i}"))];
        return new ParallelDataset(pairs, TextEncoder.Build(pairs, TokenLevel.Character, scheme));
    }

    [TestCase(10, 0.2, 8)]
    [TestCase(7, 0.3, 4)]
    [TestCase(3, 0.5, 1)]
    [TestCase(100, 0.1, 90)]
    [TestCase(5, 0.99, 0)]
    [TestCase(5, 0.0, 5)]
    public void Split_takes_the_last_fraction_as_keras_validation_split(int count, double fraction, int trainCount)
    {
        ParallelDataset data = Dataset(count);
        (ParallelDataset training, ParallelDataset validation) = data.Split(fraction);
        Assert.That(training.Count, Is.EqualTo(trainCount));
        Assert.That(validation.Count, Is.EqualTo(count - trainCount));
        Assert.That(training.Pairs.Concat(validation.Pairs), Is.EqualTo(data.Pairs));
        Assert.That(validation.Encoder, Is.SameAs(data.Encoder));
    }

    [TestCase(1.0)]
    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    public void Split_rejects_fractions_outside_zero_to_one(double fraction)
    {
        Assert.That(() => Dataset(4).Split(fraction), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Maxima_count_target_markers()
    {
        ParallelDataset data = Dataset(12);
        Assert.That(data.MaxSourceLength, Is.EqualTo(5));
        Assert.That(data.MaxTargetLength, Is.EqualTo("t10".Length + 2));
        Assert.That(data.PaddedSourceSteps, Is.Null);
        Assert.That(data.GetTargetIds(0)[0], Is.EqualTo(data.Encoder.TargetVocabulary.StartId));
    }

    [Test]
    public void Unshuffled_batches_follow_dataset_order_and_keep_the_last_partial_batch()
    {
        ParallelDataset data = Dataset(10);
        Batch[] batches = [.. data.GetBatches(4)];
        Assert.That(batches.Select(b => b.BatchSize), Is.EqualTo(new[] { 4, 4, 2 }));
        Assert.That(data.BatchCount(4), Is.EqualTo(3));
        Assert.That(batches.SelectMany(b => b.PairIndices), Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void Shuffle_is_deterministic_per_seed_and_epoch_and_visits_every_pair_once()
    {
        ParallelDataset data = Dataset(50);
        int[] a = [.. data.GetBatches(8, shuffleSeed: 7, epoch: 0).SelectMany(b => b.PairIndices)];
        int[] again = [.. data.GetBatches(8, shuffleSeed: 7, epoch: 0).SelectMany(b => b.PairIndices)];
        int[] nextEpoch = [.. data.GetBatches(8, shuffleSeed: 7, epoch: 1).SelectMany(b => b.PairIndices)];
        int[] otherSeed = [.. data.GetBatches(8, shuffleSeed: 8, epoch: 0).SelectMany(b => b.PairIndices)];
        Assert.That(again, Is.EqualTo(a));
        Assert.That(nextEpoch, Is.Not.EqualTo(a));
        Assert.That(otherSeed, Is.Not.EqualTo(a));
        Assert.That(a, Is.Not.EqualTo(Enumerable.Range(0, 50)));
        foreach (int[] order in new[] { a, nextEpoch, otherSeed })
        {
            Assert.That(order.Order(), Is.EqualTo(Enumerable.Range(0, 50)), "every pair exactly once");
        }
    }

    [Test]
    public void Shuffle_order_is_pinned_so_it_never_changes_with_the_runtime()
    {
        Assert.That(Dataset(10).GetOrder(42, 3), Is.EqualTo(PinnedOrder));
    }

    [Test]
    public void Batch_rows_hold_the_pairs_named_by_PairIndices()
    {
        ParallelDataset data = Dataset(9);
        foreach (Batch batch in data.GetBatches(4, shuffleSeed: 1))
        {
            for (int b = 0; b < batch.BatchSize; b++)
            {
                int pair = batch.PairIndices[b];
                Assert.That(batch.SourceIds[b], Is.EqualTo(data.GetSourceIds(pair)[0]));
                Assert.That(batch.SourceLengths[b], Is.EqualTo(data.Pairs[pair].Source.Length));
                Assert.That(batch.DecoderTargetIds[b], Is.EqualTo(data.GetTargetIds(pair)[1]));
            }
        }
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void Batch_size_below_one_is_rejected_eagerly(int batchSize)
    {
        ParallelDataset data = Dataset(3);
        Assert.That(() => data.GetBatches(batchSize), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => data.BatchCount(batchSize), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void An_empty_dataset_has_no_batches()
    {
        ParallelDataset empty = Dataset(4).Split(0.0).Validation;
        Assert.That(empty.GetBatches(2), Is.Empty);
        Assert.That(empty.BatchCount(2), Is.Zero);
    }

    // SplitMix64 seeded with (42 << 32) | 3, Fisher-Yates from the end; computed independently in Python.
    private static readonly int[] PinnedOrder = [4, 6, 8, 2, 0, 7, 9, 1, 3, 5];
}
