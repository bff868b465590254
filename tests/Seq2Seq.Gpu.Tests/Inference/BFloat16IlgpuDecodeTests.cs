using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// <see cref="WeightPrecision.Bf16"/> decoding on the ILGPU kernels (the GPU path): the decoder's products read
/// bfloat16 copies made on the device, so a model decoded in BF16 must give exactly what its twin gives in FP32 once
/// the twin's decoder matrices are rounded to bfloat16 values, bit for bit, on every kernel path: the per-operation
/// products, the fused LSTM step, beam search, and the persistent greedy decoder (one launch, its matrices read
/// by offset from one shared copy).
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.IlgpuKernels))]
public sealed class BFloat16IlgpuDecodeTests(TestTarget target) : DeviceTestBase(target)
{
    /// <summary>What the test model's initial weights are multiplied by (so that the logits spread as a trained model's do).</summary>
    private const float WeightScale = 4;

    /// <summary>The fused step and the persistent decoder.</summary>
    private ComputeDevice GpuPaths => TestDevices.Twin(Target, TestDevices.GpuPaths);

    /// <summary>One launch an operation.</summary>
    private ComputeDevice PerOperation => TestDevices.Twin(Target, TestDevices.PerOperationPaths);

    [TestCase(0, 1, CellKind.Lstm, true)]
    [TestCase(4, 2, CellKind.Lstm, true)]
    [TestCase(4, 2, CellKind.Lstm, false)]
    [TestCase(4, 2, CellKind.Gru, false)]
    public void Bf16_step_logits_are_the_fp32_logits_of_the_rounded_weights(int embedding, int layers, CellKind cell, bool fused)
    {
        var device = fused ? GpuPaths : PerOperation;
        var (model, text, pairs) = Model(device, embedding, layers, cell);
        var (rounded, _, _) = Model(device, embedding, layers, cell);
        using (model)
        using (rounded)
        {
            RoundDecoderMatrices(rounded);
            var batch = new ParallelDataset(pairs, text).GetBatches(pairs.Count).Single();
            using var bf16 = model.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16 });
            using var fp32 = model.CreateTranslator();
            using var fp32Rounded = rounded.CreateTranslator();

            var actual = bf16.StepByStepLogits(batch);

            Assert.That(actual, Is.EqualTo(fp32Rounded.StepByStepLogits(batch)), "the copies' products are the FP32 products of the rounded weights");
            Assert.That(actual, Is.Not.EqualTo(fp32.StepByStepLogits(batch)), "and not those of the FP32 weights");
        }
    }

    [TestCase(0, 1, VocabularyScheme.KerasCompatible)]
    [TestCase(0, 2, VocabularyScheme.Standard)]
    [TestCase(4, 2, VocabularyScheme.Standard)]
    public void Persistent_bf16_greedy_decoding_reads_the_shared_copy_in_one_launch(int embedding, int layers, VocabularyScheme scheme)
    {
        var (model, text, pairs) = Model(GpuPaths, embedding, layers, CellKind.Lstm, scheme);
        var (rounded, _, _) = Model(GpuPaths, embedding, layers, CellKind.Lstm, scheme);
        var (perStep, _, _) = Model(PerOperation, embedding, layers, CellKind.Lstm, scheme);
        using (model)
        using (rounded)
        using (perStep)
        {
            RoundDecoderMatrices(rounded);
            var sources = pairs.Select(p => (IReadOnlyList<int>)text.EncodeSource(p.Source)).ToList();
            var batch = Batch.Create(text, sources);
            int end = text.TargetVocabulary.EndId;

            using var weights = new DecodeWeights(model, WeightPrecision.Bf16);
            using var session = new DecoderSession(model, batch.BatchSize, batch.SourceSteps, weights);
            session.Start(batch, 1);
            var decoded = session.Greedy(8, end);

            using var roundedSession = new DecoderSession(rounded, batch.BatchSize, batch.SourceSteps);
            roundedSession.Start(batch, 1);
            var expected = roundedSession.Greedy(8, end);

            using var fp32Session = new DecoderSession(model, batch.BatchSize, batch.SourceSteps);
            fp32Session.Start(batch, 1);
            var fp32Decoded = fp32Session.Greedy(8, end);

            using var perStepWeights = new DecodeWeights(perStep, WeightPrecision.Bf16);
            using var perStepSession = new DecoderSession(perStep, batch.BatchSize, batch.SourceSteps, perStepWeights);
            perStepSession.Start(batch, 1);
            var perStepDecoded = perStepSession.Greedy(8, end);

            Assert.That(weights.SharedBFloat16.Length, Is.GreaterThan(0), "one device buffer holds the decoder's copies");
            Assert.That(session.PersistentDecodes, Is.EqualTo(1), "the decode ran as one persistent launch");
            Assert.That(roundedSession.PersistentDecodes, Is.EqualTo(1));
            Assert.That(perStepSession.PersistentDecodes, Is.Zero);
            Assert.That(decoded, Is.EqualTo(expected), "the persistent kernel on the copies decodes what it decodes from the rounded FP32 weights");
            Assert.That(decoded, Is.EqualTo(perStepDecoded), "and what the per-step launches decode from the copies");

            // The kernel leaves its last step's logits: the rounded weights' exactly, not the FP32 weights' (tokens alone
            // could agree either way on a small model).
            var logits = session.ReadLogits();
            Assert.That(logits, Is.EqualTo(roundedSession.ReadLogits()));
            if (fp32Decoded.SequenceEqual(decoded))
            {
                Assert.That(logits, Is.Not.EqualTo(fp32Session.ReadLogits()), "the launch read the copies, not the store");
            }

            Assert.That(decoded.Distinct().Count(), Is.GreaterThan(1), "the decode is not one repeated token");
        }
    }

    [Test]
    public void Bf16_beam_search_equals_fp32_beam_search_of_the_rounded_weights()
    {
        var (model, text, pairs) = Model(GpuPaths, 4, 2, CellKind.Lstm);
        var (rounded, _, _) = Model(GpuPaths, 4, 2, CellKind.Lstm);
        using (model)
        using (rounded)
        {
            RoundDecoderMatrices(rounded);
            var sources = pairs.Select(p => text.EncodeSource(p.Source)).ToList();
            using var bf16 = model.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16, BeamWidth = 3, MaxLength = 7 });
            using var fp32Rounded = rounded.CreateTranslator(new DecodingOptions { BeamWidth = 3, MaxLength = 7 });

            var decoded = bf16.DecodeIds(sources);

            Assert.That(decoded, Is.EqualTo(fp32Rounded.DecodeIds(sources)));
            Assert.That(decoded.Select(d => d.Count).Max(), Is.GreaterThan(1), "several steps decoded");
        }
    }

    /// <summary>Rounds what the BF16 decoder reads as copies to bfloat16 values: each layer's U, its W (not a one-hot layer 0's, whose rows are gathered from the store), and W_out.</summary>
    private static void RoundDecoderMatrices(Seq2SeqModel model)
    {
        var decoder = Seq2SeqArchitecture.For(model.Config).Decoder;
        var names = decoder.Layers.SelectMany(l => l.Index == 0 && decoder.OneHot ? new[] { l.RecurrentKernel } : [l.RecurrentKernel, l.Kernel]).Append(Seq2SeqArchitecture.OutputKernel);
        foreach (string name in names)
        {
            model.Weights.WriteTensor(name, model.Weights.ReadTensor(name).Select(v => BFloat16.ToSingle(BFloat16.FromSingle(v))).ToArray());
        }
    }

    private static (Seq2SeqModel Model, TextEncoder Text, IReadOnlyList<SentencePair> Pairs) Model(
        ComputeDevice device, int embedding, int layers, CellKind cell, VocabularyScheme scheme = VocabularyScheme.Standard)
    {
        var pairs = TinyTasks.Reverse(6, 6, 41);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, scheme);
        var model = Seq2SeqModel.Create(device, text, Seq2SeqConfig.ForText(text, embedding, 12, layers, cell), seed: 9);
        model.MaxSourceLength = new ParallelDataset(pairs, text).MaxSourceLength;
        foreach (var parameter in model.Weights.Layout.Parameters)
        {
            model.Weights.WriteTensor(parameter.Name, model.Weights.ReadTensor(parameter.Name).Select(v => v * WeightScale).ToArray());
        }

        return (model, text, pairs);
    }
}
