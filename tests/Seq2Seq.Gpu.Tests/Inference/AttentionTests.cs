using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Tests.Training;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// Luong attention (<c>train --attention dot|general</c>) through the whole engine, on every device target: the
/// training pass's loss and every gradient against the reference (with either cell, stacked layers, a bidirectional
/// encoder, dropout, both vocabulary schemes); teacher-forced logits equal to step-by-step ones; greedy, batched and
/// beam decoding equal to the reference's; the attention weights a translation reports; checkpoints.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class AttentionTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(AttentionKind.Dot, 0, 6, 1, VocabularyScheme.Standard, CellKind.Lstm, 0.0, false)]
    [TestCase(AttentionKind.General, 4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.0, false)]
    [TestCase(AttentionKind.General, 0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, 0.0, false)]
    [TestCase(AttentionKind.Dot, 3, 4, 2, VocabularyScheme.Standard, CellKind.Gru, 0.0, false)]
    [TestCase(AttentionKind.Dot, 4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.0, true)]
    [TestCase(AttentionKind.General, 0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Gru, 0.0, true)]
    [TestCase(AttentionKind.General, 4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.3, true)]
    [TestCase(AttentionKind.Dot, 0, 6, 2, VocabularyScheme.Standard, CellKind.Gru, 0.25, false)]
    public void Loss_and_every_gradient_match_the_reference(
        AttentionKind attention, int embedding, int hidden, int layers, VocabularyScheme scheme, CellKind cell, double dropout, bool bidirectional)
    {
        var pairs = TinyTasks.Reverse(7, 5, 11);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, hidden, layers, cell, bidirectional, attention), seed: 3);
        var batch = new ParallelDataset(pairs, text).GetBatches(7).Single();
        using var pass = new TrainingPass(model.Weights, model.Config);
        var draw = new DropoutDraw(dropout, Seed: 17, Step: 5);
        var masks = dropout > 0 ? new ReferenceDropout(dropout, (side, layer, count) => TrainingPassTests.Keep(draw, side, layer, count)) : null;

        model.Weights.ZeroGradients();
        var result = pass.Run(batch, backward: true, dropout > 0 ? draw : null);

        var expected = ReferenceModels.Of(model).ForwardBackward(TinyTasks.ToReference(batch), masks);
        Assert.That(result.MeanLoss, Is.EqualTo(expected.Loss).Within(1e-5 * Math.Abs(expected.Loss)));
        Assert.That(result.Correct, Is.EqualTo(expected.Correct));
        Assert.That(expected.Gradients.Keys, Does.Contain(Seq2SeqArchitecture.AttentionCombineKernel), "the reference attends too");
        foreach (var (name, grad) in expected.Gradients)
        {
            Tensors.AssertClose(model.Weights.ReadGradient(name), grad, $"d {name}", 1e-6, 2e-3);
        }
    }

    [TestCase(AttentionKind.Dot, 0, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, false)]
    [TestCase(AttentionKind.General, 5, 2, VocabularyScheme.Standard, CellKind.Lstm, false)]
    [TestCase(AttentionKind.General, 5, 1, VocabularyScheme.Standard, CellKind.Gru, true)]
    [TestCase(AttentionKind.Dot, 0, 2, VocabularyScheme.Standard, CellKind.Lstm, true)]
    public void Teacher_forced_and_step_by_step_logits_agree_at_every_step(AttentionKind attention, int embedding, int layers, VocabularyScheme scheme, CellKind cell, bool bidirectional)
    {
        using var model = NewModel(attention, embedding, layers, scheme, cell, bidirectional, out var batch);
        StepByStepTests.AssertStepByStepEqualsTeacherForced(model, batch);
    }

    [TestCase(AttentionKind.Dot, CellKind.Lstm, false)]
    [TestCase(AttentionKind.General, CellKind.Gru, true)]
    public void Greedy_decoding_and_its_attention_weights_equal_the_reference(AttentionKind attention, CellKind cell, bool bidirectional)
    {
        using var model = NewModel(attention, 4, 2, VocabularyScheme.Standard, cell, bidirectional, out _);
        using var translator = model.CreateTranslator(new DecodingOptions { MaxLength = 6 });
        var reference = ReferenceModels.Of(model);
        var sentences = TinyTasks.Reverse(8, 6, 5).Select(p => p.Source).ToList();
        var vocabulary = model.Text.TargetVocabulary;

        var translations = translator.TranslateDetailed(sentences);

        for (int i = 0; i < sentences.Count; i++)
        {
            var source = model.Text.EncodeSource(sentences[i]);
            var expectedTokens = reference.GreedyDecode(source, vocabulary.StartId, vocabulary.EndId, translator.MaxLength);
            Assert.That(translations[i].Tokens, Is.EqualTo(expectedTokens), $"sentence {i}");

            // The reference's weights at each step of the same decode.
            var memory = reference.EncoderOutputs(new ReferenceBatch(source, null, [0], [-1], null, source.Length, 1, 1));
            var states = reference.EncoderFinalStates(new ReferenceBatch(source, null, [0], [-1], null, source.Length, 1, 1));
            var rows = translations[i].Attention!;
            Assert.That(rows, Has.Count.EqualTo(expectedTokens.Count), "a row per target token");
            int token = vocabulary.StartId;
            for (int t = 0; t < expectedTokens.Count; t++)
            {
                reference.DecoderStep(token, states, memory, out var weights);
                Assert.That(rows[t], Has.Length.EqualTo(source.Length), "a column per source token");
                Assert.That(rows[t].Sum(), Is.EqualTo(1f).Within(1e-5), $"sentence {i} row {t} is a distribution");
                Tensors.AssertClose(rows[t], weights, $"sentence {i} attention row {t}", 1e-5, 1e-4);
                token = expectedTokens[t];
            }
        }
    }

    [Test]
    public void Beam_search_with_attention_equals_beam_search_over_the_reference()
    {
        using var model = NewModel(AttentionKind.General, 4, 1, VocabularyScheme.Standard, CellKind.Lstm, bidirectional: false, out _);
        using var translator = model.CreateTranslator(new DecodingOptions { BeamWidth = 3, NBest = 3, MaxLength = 6 });
        var reference = ReferenceModels.Of(model);
        var vocabulary = model.Text.TargetVocabulary;
        foreach (var pair in TinyTasks.Reverse(4, 6, 9))
        {
            var source = model.Text.EncodeSource(pair.Source);
            var expected = BeamSearch.Search(new ReferenceStepScorer(reference), [source], 3, 3, vocabulary.StartId, vocabulary.EndId, translator.MaxLength, translator.Options.LengthPenalty)[0];

            var actual = translator.TranslateNBest(pair.Source, 3);

            Assert.That(actual.Select(h => h.Tokens), Is.EqualTo(expected.Select(h => h.Tokens)), pair.Source);
            foreach (var hypothesis in actual)
            {
                Assert.That(hypothesis.Attention, Has.Count.EqualTo(hypothesis.Tokens.Count), "a row of weights per token");
                Assert.That(hypothesis.Attention!.Select(r => r.Sum()), Is.All.EqualTo(1f).Within(1e-5));
            }
        }
    }

    [Test]
    public void Batched_greedy_decoding_equals_one_sentence_at_a_time()
    {
        using var model = NewModel(AttentionKind.Dot, 4, 1, VocabularyScheme.Standard, CellKind.Lstm, bidirectional: true, out _);
        using var translator = model.CreateTranslator(new DecodingOptions { MaxLength = 6 });
        var sentences = TinyTasks.Reverse(9, 7, 13).Select(p => p.Source).ToList();

        var batched = translator.TranslateDetailed(sentences);

        for (int i = 0; i < sentences.Count; i++)
        {
            var alone = translator.TranslateDetailed([sentences[i]])[0];
            Assert.That(batched[i].Tokens, Is.EqualTo(alone.Tokens), $"sentence {i}");
            for (int t = 0; t < alone.Tokens.Count; t++)
            {
                Tensors.AssertClose(batched[i].Attention![t], alone.Attention![t].ToDouble(), $"sentence {i} row {t}: padding of the batch takes no weight", 1e-6, 1e-5);
            }
        }
    }

    [Test]
    public void A_checkpoint_keeps_the_attention_and_older_configs_have_none()
    {
        using var model = NewModel(AttentionKind.General, 4, 1, VocabularyScheme.Standard, CellKind.Lstm, bidirectional: false, out _);
        string path = Path.Combine(Path.GetTempPath(), $"attention-{Guid.NewGuid():N}.s2s");
        try
        {
            ModelCheckpoint.Save(path, model);
            using var loaded = ModelCheckpoint.Load(Device, path).Model;
            Assert.That(loaded.Config, Is.EqualTo(model.Config));
            Assert.That(loaded.Weights.ReadTensor(Seq2SeqArchitecture.AttentionScoreKernel), Is.EqualTo(model.Weights.ReadTensor(Seq2SeqArchitecture.AttentionScoreKernel)).AsCollection);
            using var plain = NewModel(AttentionKind.None, 4, 1, VocabularyScheme.Standard, CellKind.Lstm, bidirectional: false, out _);
            Assert.That(plain.Weights.Layout.Parameters.Select(p => p.Name), Has.None.StartsWith("attention."), "no attention, no attention parameters");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private Seq2SeqModel NewModel(AttentionKind attention, int embedding, int layers, VocabularyScheme scheme, CellKind cell, bool bidirectional, out Batch batch)
    {
        var pairs = TinyTasks.Reverse(9, 5, 31);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, 8, layers, cell, bidirectional, attention), seed: 8);
        var dataset = new ParallelDataset(pairs, text);
        model.MaxSourceLength = dataset.MaxSourceLength;
        batch = dataset.GetBatches(9).Single();
        return model;
    }
}
