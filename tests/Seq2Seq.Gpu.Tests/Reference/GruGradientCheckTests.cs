using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;
using static Seq2Seq.Gpu.Tests.Infrastructure.FiniteDifferences;

namespace Seq2Seq.Gpu.Tests.Reference;

/// <summary>
/// Central finite differences in double against <see cref="ReferenceGru"/>'s backward passes, step and sequence,
/// with and without a mask; the GRU kernels are in turn compared with these reference passes.
/// </summary>
public sealed class GruGradientCheckTests
{
    [TestCase(1, 1, false)]
    [TestCase(3, 5, false)]
    [TestCase(3, 5, true)]
    public void Gru_step_gradients_match_finite_differences(int batch, int hidden, bool masked)
    {
        int gates = ReferenceGru.Gates * hidden;
        var gx = Uniform(batch * gates, 21);
        var gh = Uniform(batch * gates, 22);
        var hPrev = Uniform(batch * hidden, 23);
        var rH = Uniform(batch * hidden, 24);
        int[]? mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : null;
        double Loss(double[] x, double[] r, double[] h) => Dot(ReferenceGru.CellForward(x, r, h, mask, batch, hidden).H, rH);

        var forward = ReferenceGru.CellForward(gx, gh, hPrev, mask, batch, hidden);
        var grads = ReferenceGru.CellBackward(forward.Activations, gh, hPrev, rH, mask, batch, hidden);

        // gh is an input of the step here, so hPrev's only path is the bypass (h' = z·hPrev + ..., or hPrev when masked).
        Tensors.AssertClose(grads.DInputGates, Gradient(x => Loss(x, gh, hPrev), gx), "d input gates", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DRecurrentGates, Gradient(r => Loss(gx, r, hPrev), gh), "d recurrent gates", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DhBypass, Gradient(h => Loss(gx, gh, h), hPrev), "d h bypass", 1e-7, 1e-5);
    }

    [TestCase(1, 1, 1, false)]
    [TestCase(4, 3, 5, false)]
    [TestCase(4, 3, 5, true)]
    [TestCase(5, 2, 3, true)]
    public void Gru_sequence_gradients_match_finite_differences(int steps, int batch, int hidden, bool masked)
    {
        int gates = ReferenceGru.Gates * hidden;
        var xProj = Uniform(steps * batch * gates, 31);
        var recurrent = Uniform(hidden * gates, 32);
        var recurrentBias = Uniform(gates, 33);
        var h0 = Uniform(batch * hidden, 34);
        var rOut = Uniform(steps * batch * hidden, 35);
        var rH = Uniform(batch * hidden, 36);
        int[]? mask = masked ? RaggedMask(steps, batch) : null;

        double Loss(double[] x, double[] u, double[] bias, double[] h)
        {
            var seq = ReferenceGru.Forward(x, u, bias, h, mask, steps, batch, hidden);
            double sum = Dot(seq.H[steps], rH);
            for (int t = 0; t < steps; t++)
            {
                sum += Dot(seq.H[t + 1], rOut[(t * batch * hidden)..((t + 1) * batch * hidden)]);
            }

            return sum;
        }

        var sequence = ReferenceGru.Forward(xProj, recurrent, recurrentBias, h0, mask, steps, batch, hidden);
        var grads = ReferenceGru.Backward(sequence, recurrent, rOut, rH, mask, batch, hidden);

        Tensors.AssertClose(grads.DInputGates, Gradient(x => Loss(x, recurrent, recurrentBias, h0), xProj), "d xProj", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DRecurrent, Gradient(u => Loss(xProj, u, recurrentBias, h0), recurrent), "d U", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DRecurrentBias, Gradient(b => Loss(xProj, recurrent, b, h0), recurrentBias), "d recurrent bias", 1e-7, 1e-5);
        Tensors.AssertClose(grads.DhInitial, Gradient(h => Loss(xProj, recurrent, recurrentBias, h), h0), "d h0", 1e-7, 1e-5);
    }

    [Test]
    public void Masked_gru_rows_keep_their_state_and_pass_the_gradient_straight_through()
    {
        const int batch = 3, hidden = 5, gates = ReferenceGru.Gates * hidden;
        var gx = Uniform(batch * gates, 41);
        var gh = Uniform(batch * gates, 42);
        var hPrev = Uniform(batch * hidden, 43);
        var dh = Uniform(batch * hidden, 44);
        int[] mask = [1, 0, 1];

        var forward = ReferenceGru.CellForward(gx, gh, hPrev, mask, batch, hidden);
        var grads = ReferenceGru.CellBackward(forward.Activations, gh, hPrev, dh, mask, batch, hidden);

        Assert.That(forward.H[hidden..(2 * hidden)], Is.EqualTo(hPrev[hidden..(2 * hidden)]));
        Assert.That(grads.DhBypass[hidden..(2 * hidden)], Is.EqualTo(dh[hidden..(2 * hidden)]));
        Assert.That(grads.DInputGates[gates..(2 * gates)], Is.All.EqualTo(0.0));
        Assert.That(grads.DRecurrentGates[gates..(2 * gates)], Is.All.EqualTo(0.0));
    }
}
