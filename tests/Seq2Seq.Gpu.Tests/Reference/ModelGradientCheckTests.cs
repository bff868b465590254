using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Reference;

/// <summary>
/// Finite differences on a tiny whole model (masking and stacked layers included) against the reference model's
/// backward pass; <see cref="Training.TrainingPassTests"/> then ties the device pass to that reference.
/// </summary>
public sealed class ModelGradientCheckTests
{
    [TestCase(0, 1)]
    [TestCase(3, 2)]
    public void Whole_model_gradients_match_finite_differences(int embedding, int layers)
    {
        const int sourceVocab = 5, targetVocab = 6, hidden = 3, batch = 3, sourceSteps = 4, targetSteps = 3;
        var random = new DeterministicRandom(17);
        var parameters = new Dictionary<string, double[]>();
        void Add(string name, int count) => parameters[name] = Enumerable.Range(0, count).Select(_ => random.NextUniform(-0.5, 0.5)).ToArray();
        foreach (var (side, vocab) in new[] { ("encoder", sourceVocab), ("decoder", targetVocab) })
        {
            if (embedding > 0)
            {
                Add($"{side}.embedding", vocab * embedding);
            }

            for (int l = 0; l < layers; l++)
            {
                int input = l > 0 ? hidden : embedding > 0 ? embedding : vocab;
                Add($"{side}.lstm.{l}.kernel", input * 4 * hidden);
                Add($"{side}.lstm.{l}.recurrent_kernel", hidden * 4 * hidden);
                Add($"{side}.lstm.{l}.bias", 4 * hidden);
            }
        }

        Add("output.kernel", hidden * targetVocab);
        Add("output.bias", targetVocab);

        // Row 0 full length, row 1 shorter source, row 2 shorter target (masked tail, ignored targets).
        int[] sourceIds = [1, 2, 3, 4, 0, 1, 2, 3, 4, 1, 0, 0];
        int[] sourceMask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1];
        int[] decoderInputs = [1, 1, 1, 2, 3, 4, 5, 0, 0];
        int[] targets = [2, 3, 4, 5, 0, -1, 2, 1, -1];
        int[] targetMask = [1, 1, 1, 1, 1, 0, 1, 1, 0];
        var data = new ReferenceBatch(sourceIds, sourceMask, decoderInputs, targets, targetMask, sourceSteps, targetSteps, batch);
        var model = new ReferenceSeq2Seq(sourceVocab, targetVocab, embedding, hidden, layers, parameters);

        var analytic = model.ForwardBackward(data).Gradients;

        const double step = 1e-6;
        foreach (var (name, values) in parameters)
        {
            var numeric = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + step;
                double plus = model.ForwardBackward(data).Loss;
                values[i] = saved - step;
                double minus = model.ForwardBackward(data).Loss;
                values[i] = saved;
                numeric[i] = (plus - minus) / (2 * step);
            }

            Tensors.AssertClose(analytic[name], numeric, $"d {name}", 1e-7, 1e-5);
        }
    }
}
