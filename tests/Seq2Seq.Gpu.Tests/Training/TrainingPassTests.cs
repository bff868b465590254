using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Training;

/// <summary>
/// The device training pass against the plain C# reference model: loss and every gradient, without and with dropout
/// (the reference given the engine's masks), with a unidirectional or a bidirectional encoder (and both together); and evaluation and decoding of a model trained with dropout never drop.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class TrainingPassTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(0, 5, 1, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(3, 4, 3, VocabularyScheme.Standard, CellKind.Lstm)]
    [TestCase(0, 7, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm)]
    [TestCase(0, 5, 1, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru)]
    [TestCase(0, 7, 1, VocabularyScheme.KerasCompatible, CellKind.Gru)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.3)]
    [TestCase(3, 4, 3, VocabularyScheme.Standard, CellKind.Lstm, 0.5)]
    [TestCase(4, 6, 1, VocabularyScheme.Standard, CellKind.Lstm, 0.2)]
    [TestCase(0, 5, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.4)]
    [TestCase(0, 7, 2, VocabularyScheme.KerasCompatible, CellKind.Lstm, 0.3)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru, 0.3)]
    [TestCase(0, 5, 3, VocabularyScheme.Standard, CellKind.Gru, 0.25)]
    [TestCase(0, 6, 1, VocabularyScheme.Standard, CellKind.Lstm, 0.0, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.0, true)]
    [TestCase(0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Lstm, 0.0, true)]
    [TestCase(3, 4, 2, VocabularyScheme.KerasCompatible, CellKind.Lstm, 0.0, true)]
    [TestCase(0, 6, 1, VocabularyScheme.Standard, CellKind.Gru, 0.0, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru, 0.0, true)]
    [TestCase(0, 8, 1, VocabularyScheme.KerasCompatible, CellKind.Gru, 0.0, true)]
    [TestCase(3, 4, 2, VocabularyScheme.KerasCompatible, CellKind.Gru, 0.0, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.3, true)]
    [TestCase(0, 6, 2, VocabularyScheme.Standard, CellKind.Lstm, 0.4, true)]
    [TestCase(3, 4, 3, VocabularyScheme.KerasCompatible, CellKind.Lstm, 0.5, true)]
    [TestCase(4, 6, 2, VocabularyScheme.Standard, CellKind.Gru, 0.3, true)]
    [TestCase(0, 8, 2, VocabularyScheme.KerasCompatible, CellKind.Gru, 0.25, true)]
    public void Loss_and_every_gradient_match_the_reference(int embedding, int hidden, int layers, VocabularyScheme scheme, CellKind cell, double dropout = 0, bool bidirectional = false)
    {
        var pairs = TinyTasks.Reverse(7, 5, 11);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, hidden, layers, cell, bidirectional), seed: 3);
        var dataset = new ParallelDataset(pairs, text);
        var batch = dataset.GetBatches(7).Single();
        using var pass = new TrainingPass(model.Weights, model.Config);

        // With dropout, the reference is given the engine's masks (site side·16 + layer of StackDropout).
        var draw = new DropoutDraw(dropout, Seed: 17, Step: 5);
        var masks = dropout > 0 ? new ReferenceDropout(dropout, (side, layer, count) => Keep(draw, side, layer, count)) : null;

        model.Weights.ZeroGradients();
        var result = pass.Run(batch, backward: true, dropout > 0 ? draw : null);

        var reference = ReferenceModels.Of(model);
        var expected = reference.ForwardBackward(TinyTasks.ToReference(batch), masks);
        if (masks is not null)
        {
            Assert.That(expected.Loss, Is.Not.EqualTo(reference.ForwardBackward(TinyTasks.ToReference(batch)).Loss).Within(1e-6), "the masks drop something");
        }

        Assert.That(result.Counted, Is.EqualTo(expected.Counted));
        Assert.That(result.MeanLoss, Is.EqualTo(expected.Loss).Within(1e-5 * Math.Abs(expected.Loss)));
        Assert.That(result.Correct, Is.EqualTo(expected.Correct));
        foreach (var (name, grad) in expected.Gradients)
        {
            Tensors.AssertClose(model.Weights.ReadGradient(name), grad, $"d {name}", 1e-6, 2e-3);
        }
    }

    [Test]
    public void Evaluation_and_decoding_of_a_model_trained_with_dropout_never_drop()
    {
        var pairs = TinyTasks.Reverse(16, 5, 12);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, 4, 6, 2), seed: 3);
        var data = new ParallelDataset(pairs, text);
        var batch = data.GetBatches(16).Single();
        using var trainer = new Trainer(model, new TrainerOptions { Dropout = 0.5, Seed = 2, LearningRate = 0.01f });
        trainer.TrainBatch(batch);
        trainer.TrainBatch(batch);

        var reference = ReferenceModels.Of(model);
        var expected = reference.ForwardBackward(TinyTasks.ToReference(batch));
        var evaluated = trainer.EvaluateBatch(batch);
        Assert.That(evaluated.MeanLoss, Is.EqualTo(expected.Loss).Within(1e-5 * Math.Abs(expected.Loss)), "validation loss without masks");
        Assert.That(trainer.Evaluate(data).MeanLoss, Is.EqualTo(evaluated.MeanLoss).Within(1e-6), "the whole-dataset evaluation");
        Tensors.AssertClose(trainer.TeacherForcedLogits(batch), reference.TeacherForcedLogits(TinyTasks.ToReference(batch)), "teacher-forced logits", 1e-5, 1e-4);

        using var translator = model.CreateTranslator();
        var sources = pairs.Take(4).Select(p => text.EncodeSource(p.Source)).ToList();
        var decoded = translator.DecodeIds(sources);
        for (int i = 0; i < sources.Count; i++)
        {
            var vocabulary = text.TargetVocabulary;
            Assert.That(decoded[i], Is.EqualTo(reference.GreedyDecode(sources[i], vocabulary.StartId, vocabulary.EndId, translator.MaxLength)), $"sentence {i}");
        }
    }

    /// <summary>The engine's mask of a side's layer inputs (site side·16 + layer of <see cref="StackDropout"/>).</summary>
    internal static bool[] Keep(DropoutDraw draw, int side, int layer, int count)
    {
        var mask = DropoutMask.Create(draw.Rate, draw.Seed, draw.Step, (side * StackDropout.SitesPerSide) + layer);
        return Enumerable.Range(0, count).Select(e => mask.Keeps(e)).ToArray();
    }
}
