using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Reference;

/// <summary>
/// Finite differences on a tiny whole model (masking and stacked layers included, LSTM and GRU) against the reference
/// model's backward pass; <see cref="Training.TrainingPassTests"/> then ties the device pass to that reference.
/// </summary>
public sealed class ModelGradientCheckTests
{
    [TestCase(ReferenceArchitecture.Lstm, 0, 1)]
    [TestCase(ReferenceArchitecture.Lstm, 3, 2)]
    [TestCase(ReferenceArchitecture.Gru, 0, 2)]
    [TestCase(ReferenceArchitecture.Gru, 3, 2)]
    [TestCase(ReferenceArchitecture.Lstm, 0, 1, true)]
    [TestCase(ReferenceArchitecture.Lstm, 3, 2, true)]
    [TestCase(ReferenceArchitecture.Gru, 0, 2, true)]
    [TestCase(ReferenceArchitecture.Gru, 3, 1, true)]
    [TestCase(ReferenceArchitecture.Lstm, 0, 1, false, ReferenceArchitecture.DotAttention)]
    [TestCase(ReferenceArchitecture.Lstm, 3, 2, false, ReferenceArchitecture.GeneralAttention)]
    [TestCase(ReferenceArchitecture.Gru, 3, 1, false, ReferenceArchitecture.GeneralAttention)]
    [TestCase(ReferenceArchitecture.Lstm, 3, 2, true, ReferenceArchitecture.DotAttention)]
    [TestCase(ReferenceArchitecture.Gru, 0, 1, true, ReferenceArchitecture.GeneralAttention)]
    public void Whole_model_gradients_match_finite_differences(string cell, int embedding, int layers, bool bidirectional = false, string attention = ReferenceArchitecture.NoAttention)
    {
        // A bidirectional encoder splits H into two directions of H/2 units, so it needs an even H.
        const int sourceVocab = 5, targetVocab = 6, batch = 3, sourceSteps = 4, targetSteps = 3;
        int hidden = bidirectional ? 4 : 3;
        var model = ReferenceModels.Random(cell, sourceVocab, targetVocab, embedding, hidden, layers, 17, bidirectional, attention);

        // Row 0 full length, row 1 shorter source (reversed over its 3 real steps), row 2 shorter target (masked tail, ignored targets).
        int[] sourceIds = [1, 2, 3, 4, 0, 1, 2, 3, 4, 1, 0, 0];
        int[] sourceMask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1];
        int[] decoderInputs = [1, 1, 1, 2, 3, 4, 5, 0, 0];
        int[] targets = [2, 3, 4, 5, 0, -1, 2, 1, -1];
        int[] targetMask = [1, 1, 1, 1, 1, 0, 1, 1, 0];
        var data = new ReferenceBatch(sourceIds, sourceMask, decoderInputs, targets, targetMask, sourceSteps, targetSteps, batch);

        var analytic = model.ForwardBackward(data).Gradients;

        // Perturbs the model's own arrays in place: the model does not copy its parameters.
        const double step = 1e-6;
        foreach (var (name, values) in model.Parameters)
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
