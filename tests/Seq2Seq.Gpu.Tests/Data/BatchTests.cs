using NUnit.Framework;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Tests.Data;

[TestFixture]
public sealed class BatchTests
{
    // Source vocabulary (Standard): 0 <pad> 1 <start> 2 <end> 3 <unk> 4 a 5 b 6 c; target: ... 4 x 5 y 6 z.
    // Keras: source 0 ' ' 1 a 2 b 3 c; target 0 '\t' 1 '\n' 2 ' ' 3 x 4 y 5 z.
    private static readonly SentencePair[] Pairs = [new("ab", "x"), new("c", "yz")];

    private static ParallelDataset Dataset(VocabularyScheme scheme) =>
        new(Pairs, TextEncoder.Build(Pairs, TokenLevel.Character, scheme));

    [Test]
    public void Standard_batch_is_time_major_with_masks_and_ignored_targets()
    {
        Batch batch = Dataset(VocabularyScheme.Standard).GetBatch([0, 1]);
        Assert.That((batch.BatchSize, batch.SourceSteps, batch.TargetSteps), Is.EqualTo((2, 2, 3)));
        Assert.That(batch.SourceIds, Is.EqualTo(new[] { 4, 6, 5, 0 }));
        Assert.That(batch.SourceMask, Is.EqualTo(new[] { 1, 1, 1, 0 }));
        Assert.That(batch.DecoderInputIds, Is.EqualTo(new[] { 1, 1, 4, 5, 0, 6 }));
        Assert.That(batch.DecoderTargetIds, Is.EqualTo(new[] { 4, 5, 2, 6, Batch.IgnoredTarget, 2 }));
        Assert.That(batch.TargetMask, Is.EqualTo(new[] { 1, 1, 1, 1, 0, 1 }));
        Assert.That(batch.CountedTargets, Is.EqualTo(5));
        Assert.That(batch.SourceLengths, Is.EqualTo(new[] { 2, 1 }));
        Assert.That(batch.TargetLengths, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(batch.PairIndices, Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void Keras_batch_pads_with_space_masks_nothing_and_shifts_targets()
    {
        Batch batch = Dataset(VocabularyScheme.KerasCompatible).GetBatch([0, 1]);
        Assert.That((batch.BatchSize, batch.SourceSteps, batch.TargetSteps), Is.EqualTo((2, 2, 4)));
        Assert.That(batch.SourceIds, Is.EqualTo(new[] { 1, 3, 2, 0 }));
        Assert.That(batch.SourceMask, Is.All.EqualTo(1));
        Assert.That(batch.DecoderInputIds, Is.EqualTo(new[] { 0, 0, 3, 4, 1, 5, 2, 1 }));
        Assert.That(batch.DecoderTargetIds, Is.EqualTo(new[] { 3, 4, 1, 5, 2, 1, 2, 2 }));
        Assert.That(batch.TargetMask, Is.All.EqualTo(1));
        Assert.That(batch.CountedTargets, Is.EqualTo(8));
    }

    [Test]
    public void Standard_pads_each_batch_to_its_own_longest_but_keras_to_the_dataset_maxima()
    {
        Batch[] standard = [.. Dataset(VocabularyScheme.Standard).GetBatches(1)];
        Batch[] keras = [.. Dataset(VocabularyScheme.KerasCompatible).GetBatches(1)];
        Assert.That(standard.Select(b => (b.SourceSteps, b.TargetSteps)), Is.EqualTo(new[] { (2, 2), (1, 3) }));
        Assert.That(keras.Select(b => (b.SourceSteps, b.TargetSteps)), Is.EqualTo(new[] { (2, 4), (2, 4) }));
        Assert.That(standard[1].SourceMask, Is.EqualTo(new[] { 1 }));
        Assert.That(keras[1].SourceIds, Is.EqualTo(new[] { 3, 0 }), "'c' then the space");
    }

    [Test]
    public void Create_from_explicit_sequences_and_an_empty_source()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        Batch batch = Batch.Create(enc, [Array.Empty<int>(), new[] { 4 }], [new[] { 1, 2 }, new[] { 1, 4, 2 }], pairIndices: [7, 3]);
        Assert.That(batch.SourceIds, Is.EqualTo(new[] { 0, 4 }));
        Assert.That(batch.SourceMask, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(batch.DecoderInputIds, Is.EqualTo(new[] { 1, 1, 0, 4 }));
        Assert.That(batch.DecoderTargetIds, Is.EqualTo(new[] { 2, 4, -1, 2 }));
        Assert.That(batch.PairIndices, Is.EqualTo(new[] { 7, 3 }));

        Batch allEmpty = Batch.Create(enc, [Array.Empty<int>()]);
        Assert.That((allEmpty.SourceSteps, allEmpty.SourceIds.Length, allEmpty.TargetSteps), Is.EqualTo((0, 0, 0)));
    }

    [Test]
    public void Create_pads_to_requested_steps()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        Batch batch = Batch.Create(enc, [new[] { 4 }], [new[] { 1, 4, 2 }], sourceSteps: 3, targetSteps: 4);
        Assert.That(batch.SourceIds, Is.EqualTo(new[] { 4, 0, 0 }));
        Assert.That(batch.DecoderTargetIds, Is.EqualTo(new[] { 4, 2, -1, -1 }));
        Assert.That(batch.CountedTargets, Is.EqualTo(2));
    }

    [Test]
    public void Create_rejects_bad_input_with_clear_errors()
    {
        TextEncoder enc = TextEncoder.Build(Pairs, TokenLevel.Character, VocabularyScheme.Standard);
        Assert.That(() => Batch.Create(enc, Array.Empty<int[]>()), Throws.ArgumentException.With.Message.Contains("at least one"));
        Assert.That(() => Batch.Create(enc, [new[] { 4 }], [new[] { 4 }]), Throws.ArgumentException.With.Message.Contains("must start with START"));
        Assert.That(() => Batch.Create(enc, [new[] { 99 }]), Throws.ArgumentException.With.Message.Contains("id 99"));
        Assert.That(() => Batch.Create(enc, [new[] { 4, 5 }], sourceSteps: 1), Throws.InstanceOf<ShapeException>());
        Assert.That(() => Batch.Create(enc, [new[] { 4 }], [new[] { 1, 4, 2 }], targetSteps: 1), Throws.InstanceOf<ShapeException>());
        Assert.That(() => Batch.Create(enc, [new[] { 4 }, new[] { 5 }], [new[] { 1, 2 }]), Throws.ArgumentException);
    }
}
