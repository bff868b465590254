using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// The persistent greedy decoder (one launch for the whole decode, groups synchronised by a software grid barrier)
/// against the reference model's greedy decoding, with one simulated multiprocessor and with three (groups running
/// at once, so the grid barrier really synchronises).
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.IlgpuKernels))]
public sealed class PersistentDecodeTests(TestTarget target) : DeviceTestBase(target)
{
    /// <summary>A device of the target's shape whose greedy decoding is the persistent kernel.</summary>
    private ComputeDevice Persistent => TestDevices.Twin(Target, TestDevices.GpuPaths);

    /// <summary>The same shape, decoding one launch a step.</summary>
    private ComputeDevice PerStep => TestDevices.Twin(Target, TestDevices.PerOperationPaths);

    [TestCase(0, 1, VocabularyScheme.KerasCompatible)]
    [TestCase(0, 2, VocabularyScheme.Standard)]
    [TestCase(4, 2, VocabularyScheme.Standard)]
    public void Persistent_greedy_decoding_equals_the_reference_greedy_decoding(int embedding, int layers, VocabularyScheme scheme)
    {
        var pairs = TinyTasks.Reverse(5, 6, 17);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var config = Seq2SeqConfig.ForText(text, embedding, 9, layers);
        using var model = Seq2SeqModel.Create(Persistent, text, config, seed: 12);
        using var twin = Seq2SeqModel.Create(PerStep, text, config, seed: 12);
        model.MaxSourceLength = twin.MaxSourceLength = new ParallelDataset(pairs, text).MaxSourceLength;
        using var translator = model.CreateTranslator(new DecodingOptions { MaxLength = 7 });
        using var perStepTranslator = twin.CreateTranslator(new DecodingOptions { MaxLength = 7 });
        var sources = pairs.Select(p => text.EncodeSource(p.Source)).ToList();

        var decoded = translator.DecodeIds(sources);
        var perStep = perStepTranslator.DecodeIds(sources);

        Assert.That(decoded, Is.EqualTo(perStep), "the persistent kernel decodes what the per-step launches decode");
        if (scheme == VocabularyScheme.Standard)
        {
            // (Keras-compatible sources are padded through the encoder, which the reference's greedy decoder does not do.)
            var reference = ReferenceModels.Of(model);
            var vocabulary = text.TargetVocabulary;
            for (int i = 0; i < sources.Count; i++)
            {
                var expected = reference.GreedyDecode(sources[i], vocabulary.StartId, vocabulary.EndId, translator.MaxLength);
                Assert.That(decoded[i], Is.EqualTo(expected), $"sentence {i}");
            }
        }

        Assert.That(decoded.Select(d => d.Count).Max(), Is.GreaterThan(1), "an untrained model runs several steps");
    }

    [Test]
    public void The_decode_stops_at_the_step_where_every_row_has_finished()
    {
        var pairs = TinyTasks.Reverse(4, 5, 23);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        int end = text.TargetVocabulary.EndId;
        using var model = ModelWithOutputBias(Persistent, text, 3, 6, end, 50f);
        var sources = pairs.Select(p => (IReadOnlyList<int>)text.EncodeSource(p.Source)).ToList();
        var batch = Batch.Create(text, sources);
        using var session = new DecoderSession(model, batch.BatchSize, batch.SourceSteps);
        session.Start(batch, 1);

        var outputs = session.Greedy(10, end);

        Assert.That(outputs, Is.EqualTo(Enumerable.Repeat(end, batch.BatchSize)), "one step ran, and every row produced END");
    }

    [Test]
    public void A_NaN_first_logit_decodes_as_the_per_step_argmax_does()
    {
        var pairs = TinyTasks.Reverse(3, 4, 29);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var model = ModelWithOutputBias(Persistent, text, 0, 5, 0, float.NaN);
        using var twin = ModelWithOutputBias(PerStep, text, 0, 5, 0, float.NaN);
        using var translator = model.CreateTranslator(new DecodingOptions { MaxLength = 3 });
        using var perStepTranslator = twin.CreateTranslator(new DecodingOptions { MaxLength = 3 });
        var sources = pairs.Select(p => text.EncodeSource(p.Source)).ToList();

        var persistent = translator.DecodeIds(sources);
        var perStep = perStepTranslator.DecodeIds(sources);

        Assert.That(persistent, Is.EqualTo(perStep));
        Assert.That(persistent.SelectMany(t => t), Is.All.EqualTo(0), "a NaN in column 0 wins the one-thread argmax, and so the group argmax");
    }

    [TestCase(1, "recurrent kernel of layer 0")]
    [TestCase(0, "input kernel of layer 0")]
    [TestCase(2, "bias of layer 0")]
    public void A_layer_offset_outside_its_buffer_is_refused_before_anything_is_launched(int entry, string named)
    {
        var pairs = TinyTasks.Reverse(3, 4, 31);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        using var model = Seq2SeqModel.Create(Persistent, text, Seq2SeqConfig.ForText(text, 0, 5), seed: 4);
        var layout = model.Weights.Layout;
        var layer = Seq2SeqArchitecture.For(model.Config).Decoder.Layers[0];
        long[] offsets = [layout[layer.Kernel].Offset, layout[layer.RecurrentKernel].Offset, layout[layer.Bias].Offset];
        offsets[entry] = model.Weights.Weights.Length - 3;
        int hidden = model.Config.HiddenSize, vocab = model.Config.TargetVocabSize;
        var device = model.Device;
        using var table = device.Upload<long>(offsets, "layer table");
        using var states = device.Allocate<float>(2L * hidden, "states");
        using var cells = device.Allocate<float>(2L * hidden, "cells");
        using var logits = device.Allocate<float>(vocab, "logits");
        using var ids = device.Allocate<int>(1, "ids");
        using var finished = device.Allocate<int>(1, "finished");
        using var outputs = device.Allocate<int>(2, "outputs");
        var shape = new GreedyDecodeShape(
            1, hidden, 1, vocab, 0, oneHot: true, 0, layout[Seq2SeqArchitecture.OutputKernel].Offset, layout[Seq2SeqArchitecture.OutputBias].Offset, 2, text.TargetVocabulary.EndId);

        var error = Assert.Throws<ShapeException>(() => device.Ops.GreedyDecode(
            model.Weights.Weights.View, default, table.View, offsets, states.View, cells.View, logits.View, ids.View, finished.View, outputs.View, shape));

        Assert.That(error!.Message, Does.Contain(named).And.Contain("outside the parameter buffer"));
        Assert.That(outputs.ToArray(), Is.All.Zero, "nothing ran");
    }

    /// <summary>A seeded model whose output bias is zero but for one token.</summary>
    private static Seq2SeqModel ModelWithOutputBias(ComputeDevice device, TextEncoder text, int embedding, int hidden, int token, float value)
    {
        var model = Seq2SeqModel.Create(device, text, Seq2SeqConfig.ForText(text, embedding, hidden), seed: 4);
        var bias = new float[model.Config.TargetVocabSize];
        bias[token] = value;
        model.Weights.WriteTensor(Seq2SeqArchitecture.OutputBias, bias);
        return model;
    }

}
