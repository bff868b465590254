using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using static Seq2Seq.Gpu.Tests.Infrastructure.FiniteDifferences;

namespace Seq2Seq.Gpu.Tests.Reference;

/// <summary>
/// Central finite differences in double against the reference backward passes. The kernel backward passes are in
/// turn compared with these reference passes, so together they check the kernels' gradients.
/// </summary>
public sealed class GradientCheckTests
{
    [Test]
    public void Embedding_gather_gradient_matches_finite_differences()
    {
        const int vocab = 5, width = 3;
        int[] ids = [4, 1, 4, 0, 4];
        var table = Uniform(vocab * width, 1);
        var weights = Uniform(ids.Length * width, 2);
        double Loss(double[] t) => Dot(ReferenceOps.Gather(ids, t, null, width), weights);

        var analytic = new double[vocab * width];
        ReferenceOps.ScatterAdd(ids, weights, analytic, width);

        Tensors.AssertClose(analytic, Gradient(Loss, table), "d table", 1e-7, 1e-6);
    }

    [TestCase(1, 1, 1)]
    [TestCase(4, 3, 2)]
    [TestCase(5, 2, 3)]
    [TestCase(4, 3, 2, ReferenceArchitecture.HardSigmoidKeras2, 3.0)]
    [TestCase(5, 2, 3, ReferenceArchitecture.HardSigmoidKeras3, 4.0)]
    public void Lstm_sequence_with_padding_gradients_match_finite_differences(int steps, int batch, int hidden, string activation = ReferenceArchitecture.Sigmoid, double scale = 1.0)
    {
        // A scale above 1 puts some hard-sigmoid gates beyond their clips (derivative 0) and keeps others in the linear part.
        int gates = 4 * hidden;
        var xProj = Uniform(steps * batch * gates, 3).Select(v => v * scale).ToArray();
        var recurrent = Uniform(hidden * gates, 4);
        var h0 = Uniform(batch * hidden, 5);
        var c0 = Uniform(batch * hidden, 6);

        var mask = RaggedMask(steps, batch);

        var rOut = Uniform(steps * batch * hidden, 7);
        var rH = Uniform(batch * hidden, 8);
        var rC = Uniform(batch * hidden, 9);

        double Loss(double[] x, double[] u, double[] h, double[] c)
        {
            var seq = ReferenceLstm.Forward(x, u, h, c, mask, steps, batch, hidden, activation);
            double sum = Dot(seq.C[steps], rC) + Dot(seq.H[steps], rH);
            for (int t = 0; t < steps; t++)
            {
                sum += Dot(seq.H[t + 1], rOut.AsSpan(t * batch * hidden, batch * hidden).ToArray());
            }

            return sum;
        }

        var sequence = ReferenceLstm.Forward(xProj, recurrent, h0, c0, mask, steps, batch, hidden, activation);
        var grads = ReferenceLstm.Backward(sequence, recurrent, rOut, rH, rC, mask, batch, hidden, activation);
        if (activation != ReferenceArchitecture.Sigmoid)
        {
            var values = sequence.Activations.SelectMany(a => a).ToArray();
            Assert.That(values.Count(v => v is 0 or 1), Is.GreaterThan(0), "some gates clip");
        }


        Tensors.AssertClose(grads.DGates, Gradient(x => Loss(x, recurrent, h0, c0), xProj), "d xProj", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DRecurrent, Gradient(u => Loss(xProj, u, h0, c0), recurrent), "d U", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DhInitial, Gradient(h => Loss(xProj, recurrent, h, c0), h0), "d h0", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DcInitial, Gradient(c => Loss(xProj, recurrent, h0, c), c0), "d c0", 1e-7, 1e-5);
    }

    [TestCase(1, 1)]
    [TestCase(6, 7)]
    public void Softmax_cross_entropy_gradient_matches_finite_differences(int rows, int vocab)
    {
        var logits = Uniform(rows * vocab, 10);
        var targets = Enumerable.Range(0, rows).Select(n => n % 3 == 1 ? -1 : n % vocab).ToArray();
        int counted = Math.Max(1, targets.Count(t => t >= 0));
        double Loss(double[] x) => ReferenceOps.SoftmaxCrossEntropy(x, targets, rows, vocab, 1.0).RowLoss.Sum() / counted;

        var analytic = ReferenceOps.SoftmaxCrossEntropy(logits, targets, rows, vocab, 1.0 / counted).Gradient;

        Tensors.AssertClose(analytic, Gradient(Loss, logits), "d logits", 1e-7, 1e-5);
    }
}
