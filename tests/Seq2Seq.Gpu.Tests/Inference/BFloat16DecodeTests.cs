using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Inference;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Inference;

/// <summary>
/// Decoding with <see cref="WeightPrecision.Bf16"/> on the host kernels: logits close to FP32's, the same greedy
/// tokens wherever FP32's choice is clear, the copies made once and again only after the weights change. (The ILGPU
/// kernels' bfloat16 decoding: <see cref="BFloat16IlgpuDecodeTests"/>.)
/// </summary>
public sealed class BFloat16DecodeTests
{
    /// <summary>
    /// Largest logit difference allowed, as a fraction of the largest FP32 logit magnitude. Each product
    /// with bfloat16 weights is within 2⁻⁸ of Σ|a·w| (HostBFloat16MatMulTests); a logit goes through a few such
    /// products per layer and step, the state carrying earlier steps' differences (damped by the gates), so 2⁻⁵ leaves
    /// a margin of several times the accumulated relative error while still failing for an unrelated result.
    /// </summary>
    private const double RelativeTolerance = 1.0 / 32;

    /// <summary>What the test model's initial weights are multiplied by.</summary>
    private const float WeightScale = 4;

    [TestCase(0, 1, CellKind.Lstm)]
    [TestCase(5, 2, CellKind.Lstm)]
    [TestCase(5, 2, CellKind.Gru)]
    public void Bf16_logits_are_close_to_fp32_and_clear_choices_agree(int embedding, int layers, CellKind cell)
    {
        var (model, batch) = Model(embedding, layers, cell);
        using (model)
        {
            using var fp32 = model.CreateTranslator();
            using var bf16 = model.CreateTranslator(new DecodingOptions { Precision = WeightPrecision.Bf16 });

            var reference = fp32.StepByStepLogits(batch);
            var actual = bf16.StepByStepLogits(batch);

            double scale = reference.Max(v => Math.Abs(v));
            double tolerance = RelativeTolerance * scale;
            double largest = reference.Zip(actual, (r, a) => Math.Abs(r - (double)a)).Max();
            Assert.That(largest, Is.LessThanOrEqualTo(tolerance), "largest logit difference");
            Assert.That(largest, Is.GreaterThan(0), "the bf16 translator reads rounded weights, not the FP32 ones");

            // Where FP32's best logit beats its second by more than twice the tolerance, no difference within the
            // tolerance can change the argmax: those choices must agree (a deterministic check, never a coin toss).
            int vocab = model.Config.TargetVocabSize;
            int clear = 0;
            for (int row = 0; row < reference.Length / vocab; row++)
            {
                var expected = reference.AsSpan(row * vocab, vocab);
                var (best, margin) = BestAndMargin(expected);
                if (margin > 2 * tolerance)
                {
                    clear++;
                    Assert.That(BestAndMargin(actual.AsSpan(row * vocab, vocab)).Best, Is.EqualTo(best), $"row {row}: margin {margin}");
                }
            }

            Assert.That(clear, Is.GreaterThan(0), "the model must have some clear choices for this check to mean anything");
        }
    }

    [Test]
    public void Bf16_copies_are_made_once_and_again_only_after_the_weights_change()
    {
        var (model, batch) = Model(0, 1, CellKind.Lstm);
        using (model)
        {
            using var weights = new DecodeWeights(model, WeightPrecision.Bf16);
            var first = weights.Output;
            weights.Refresh();
            Assert.That(weights.Output, Is.SameAs(first), "unchanged weights: the same copy");

            var before = model.Weights.ReadTensor(Seq2SeqArchitecture.OutputKernel);
            model.Weights.WriteTensor(Seq2SeqArchitecture.OutputKernel, before.Select(v => v * 2).ToArray());
            weights.Refresh();
            Assert.That(weights.Output, Is.Not.SameAs(first), "changed weights: a new copy");
            Assert.That(weights.Output.Precision, Is.EqualTo(WeightPrecision.Bf16));
            Assert.That(weights.BytesPerStep, Is.EqualTo(2L * ((model.Config.HiddenSize * 4 * model.Config.HiddenSize) + (model.Config.HiddenSize * model.Config.TargetVocabSize))));
        }
    }

    [Test]
    public void An_undefined_precision_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new DecodingOptions { Precision = (WeightPrecision)7 }.Validate());

        Assert.That(error!.Message, Does.Contain("fp32 or bf16").And.Contain('7'));
    }

    private static (Seq2SeqModel Model, Batch Batch) Model(int embedding, int layers, CellKind cell)
    {
        var pairs = TinyTasks.Reverse(12, 6, 41);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var model = Seq2SeqModel.Create(TestDevices.Cpu(), text, Seq2SeqConfig.ForText(text, embedding, 24, layers, cell), seed: 9);

        // Freshly initialised weights give near-uniform logits; scaled up, the states and logits spread out as a
        // trained model's do, so that many choices are clear.
        foreach (var parameter in model.Weights.Layout.Parameters)
        {
            model.Weights.WriteTensor(parameter.Name, model.Weights.ReadTensor(parameter.Name).Select(v => v * WeightScale).ToArray());
        }

        var dataset = new ParallelDataset(pairs, text);
        return (model, dataset.GetBatches(12).Single());
    }

    private static (int Best, double Margin) BestAndMargin(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int v = 1; v < logits.Length; v++)
        {
            best = logits[v] > logits[best] ? v : best;
        }

        double second = double.NegativeInfinity;
        for (int v = 0; v < logits.Length; v++)
        {
            second = v != best ? Math.Max(second, logits[v]) : second;
        }

        return (best, logits[best] - second);
    }
}
