using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Layers;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// The bidirectional encoder (<c>train --bidirectional</c>) beyond the training pass (which <see cref="Training.TrainingPassTests"/>
/// checks against the reference) and step-by-step decoding (<see cref="StepByStepTests"/>): greedy decoding and the
/// encoder's outputs against the reference model, and the shape error of an odd H.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.All))]
public sealed class BidirectionalEncoderTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(CellKind.Lstm, 2)]
    [TestCase(CellKind.Gru, 1)]
    public void Greedy_decoding_equals_the_reference_model_greedy_decoding(CellKind cell, int layers)
    {
        using var model = NewModel(4, layers, VocabularyScheme.Standard, cell, out _);
        using var translator = model.CreateTranslator();
        var reference = ReferenceModels.Of(model);
        var sources = TinyTasks.Reverse(8, 6, 5).Select(p => model.Text.EncodeSource(p.Source)).ToList();
        var vocabulary = model.Text.TargetVocabulary;

        var decoded = translator.DecodeIds(sources);

        for (int i = 0; i < sources.Count; i++)
        {
            Assert.That(decoded[i], Is.EqualTo(reference.GreedyDecode(sources[i], vocabulary.StartId, vocabulary.EndId, translator.MaxLength)), $"sentence {i}");
        }
    }

    [TestCase(VocabularyScheme.Standard, CellKind.Lstm, 2)]
    [TestCase(VocabularyScheme.KerasCompatible, CellKind.Gru, 2)]
    [TestCase(VocabularyScheme.Standard, CellKind.Gru, 1)]
    public void Top_outputs_are_forward_and_backward_states_in_source_order_as_the_reference_computes_them(VocabularyScheme scheme, CellKind cell, int layers)
    {
        using var model = NewModel(3, layers, scheme, cell, out var batch);
        var architecture = Seq2SeqArchitecture.For(model.Config);
        var encoder = new EncoderStack(model.Weights, architecture.Encoder);
        using var buffers = new EncoderBuffers(Device, architecture.Encoder, batch.SourceSteps, batch.BatchSize);
        int rows = batch.SourceSteps * batch.BatchSize;
        using var ids = Device.Upload<int>(batch.SourceIds, "ids");
        using var mask = Device.Upload<int>(batch.SourceMask, "mask");
        bool keras = scheme == VocabularyScheme.KerasCompatible;

        encoder.Forward(buffers, ids.View, keras ? null : mask.View, batch.SourceIds, batch.SourceMask, batch.SourceSteps, batch.BatchSize);
        var outputs = new float[(long)rows * model.Config.HiddenSize];
        encoder.TopOutputs(buffers, batch.SourceSteps, batch.BatchSize).CopyToCPU(outputs);

        var expected = ReferenceModels.Of(model).EncoderOutputs(TinyTasks.ToReference(batch));
        Tensors.AssertClose(outputs, expected, "encoder outputs [T, B, H]", 1e-6, 1e-4);
    }

    [Test]
    public void An_odd_hidden_size_is_a_clear_shape_error()
    {
        var config = new Seq2SeqConfig(10, 10, 0, 7, Bidirectional: true);

        var error = Assert.Throws<ShapeException>(config.Validate);
        Assert.That(error!.Message, Does.Contain("hidden size 7").And.Contain("even"));
        Assert.That(() => Seq2SeqArchitecture.For(config), Throws.TypeOf<ShapeException>());
    }

    private Seq2SeqModel NewModel(int embedding, int layers, VocabularyScheme scheme, CellKind cell, out Batch batch)
    {
        var pairs = TinyTasks.Reverse(9, 5, 31);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var model = Seq2SeqModel.Create(Device, text, Seq2SeqConfig.ForText(text, embedding, 6, layers, cell, bidirectional: true), seed: 8);
        var dataset = new ParallelDataset(pairs, text);
        model.MaxSourceLength = dataset.MaxSourceLength;
        batch = dataset.GetBatches(9).Single();
        return model;
    }
}
