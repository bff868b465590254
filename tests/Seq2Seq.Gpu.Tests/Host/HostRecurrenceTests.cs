using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// A layer's whole LSTM recurrence on the host kernels runs in bands of batch rows, one thread a band through every
/// step; it must give the bits of the step-by-step composition (the recurrent product, then the cell, each split over
/// the threads its own way) on one thread, on two, on three (bands of unequal row blocks) and on all cores. Its values
/// against the reference are checked by the sequence suites in Kernels/.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.HostInstructionSets))]
public sealed class HostRecurrenceTests(TestTarget target) : HostTestBase(target)
{
    // Batches of one row block, of exactly two, of a partial last block, of eleven blocks (the Keras batch of 64), and
    // of a few rows (the forward product then streams U, step by step).
    [TestCase(1, 6, 9, false, RecurrentActivation.Sigmoid)]
    [TestCase(3, 12, 5, true, RecurrentActivation.Sigmoid)]
    [TestCase(4, 13, 33, true, RecurrentActivation.HardSigmoidKeras2)]
    [TestCase(2, 64, 24, false, RecurrentActivation.Sigmoid)]
    [TestCase(3, 37, 16, true, RecurrentActivation.HardSigmoidKeras3)]
    [TestCase(3, 5, 7, true, RecurrentActivation.Sigmoid)]
    public void Banded_recurrence_is_the_step_by_step_composition_to_the_bit(int steps, int batch, int hidden, bool masked, RecurrentActivation activation)
    {
        var sequence = LstmSequenceCase.Create(steps, batch, hidden, 140, ReferenceModels.ActivationName(activation));
        int code = (int)activation;
        int[] mask = masked ? sequence.Mask : [];
        var expected = Composed(SingleThreaded, sequence, mask, code);
        var threeThreads = TestDevices.HostKernelsFor(Target, 3);
        foreach (var (kernels, what) in new[] { (SingleThreaded, "one thread"), (TwoThreads, "two threads"), (threeThreads, "three threads"), (Kernels, "all cores") })
        {
            var actual = Banded(kernels, sequence, mask, code);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.That(actual[i], Is.EqualTo(expected[i]).AsCollection, $"{Outputs[i]}: banded on {what} against the composition on one thread");
            }
        }
    }

    [Test]
    public void Sequences_refuse_a_packed_kernel_of_another_shape_short_spans_and_overlap()
    {
        const int steps = 2, batch = 7, hidden = 3, gates = 4 * hidden, state = batch * hidden;
        var u = new float[hidden * gates];
        using var packed = Kernels.PackRight(u, hidden, gates, transposed: false);
        using var packedTransposed = Kernels.PackRight(u, gates, hidden, transposed: true);
        var cells = new float[(steps + 1) * state];
        var hiddenStates = new float[(steps + 1) * state];
        Assert.That(
            () => Kernels.LstmForwardSequence(new float[steps * state * 4], u, packedTransposed, cells, hiddenStates, [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("packed recurrent kernel"));
        Assert.That(
            () => Kernels.LstmForwardSequence(new float[(steps * state * 4) - 1], u, packed, cells, hiddenStates, [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("LSTM sequence gates"));
        Assert.That(
            () => Kernels.LstmForwardSequence(new float[steps * state * 4], u, packed, cells, hiddenStates, new int[(steps * batch) - 1], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("mask"));
        var shared = new float[(steps * state * 4) + ((steps + 1) * state)];
        Assert.That(
            () => Kernels.LstmForwardSequence(shared, u, packed, shared.AsSpan(steps * state * 4), shared.AsSpan(steps * state * 4), [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("the buffers it writes overlap"));
        var kernelAndStates = new float[(hidden * gates) + ((steps + 1) * state)];
        Assert.That(
            () => Kernels.LstmForwardSequence(new float[steps * state * 4], kernelAndStates.AsSpan(0, hidden * gates), packed, cells, kernelAndStates.AsSpan((hidden * gates) - 1), [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("overlaps one it reads"));
        Assert.That(
            () => Kernels.LstmBackwardSequence(new float[steps * state * 4], u, packed, cells, [], new float[state], new float[state], new float[steps * state * 4], [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("packed recurrent kernel"));
        Assert.That(
            () => Kernels.LstmBackwardSequence(new float[steps * state * 4], u, packedTransposed, cells, new float[state], new float[state], new float[state], new float[steps * state * 4], [], steps, batch, hidden),
            Throws.TypeOf<ShapeException>().With.Message.Contains("external dh"));
    }

    private static readonly string[] Outputs = ["hidden states", "cells", "activations", "gate gradients", "dh carry", "dc carry"];

    /// <summary>The recurrence as the composition of single steps: a product on the packed U, then the cell.</summary>
    private static float[][] Composed(HostKernels kernels, LstmSequenceCase sequence, int[] mask, int activation)
    {
        var (steps, batch, hidden) = (sequence.Steps, sequence.Batch, sequence.Hidden);
        int gates = 4 * hidden, state = batch * hidden;
        var (activations, cells, h, dGates, dh, dc) = Start(sequence);
        using var packed = kernels.PackRight(sequence.Recurrent, hidden, gates, transposed: false);
        using var packedTransposed = kernels.PackRight(sequence.Recurrent, gates, hidden, transposed: true);
        for (int t = 0; t < steps; t++)
        {
            var gatesT = activations.AsSpan(t * state * 4, state * 4);
            kernels.MatMul(h.AsSpan(t * state, state), sequence.Recurrent, packed, [], gatesT, new MatMulShape(batch, gates, hidden, accumulate: true));
            kernels.LstmForward(
                gatesT, cells.AsSpan(t * state, state), h.AsSpan(t * state, state), cells.AsSpan((t + 1) * state, state), h.AsSpan((t + 1) * state, state),
                mask.Length == 0 ? [] : mask.AsSpan(t * batch, batch), batch, hidden, activation);
        }

        for (int t = steps - 1; t >= 0; t--)
        {
            if (t + 1 < steps)
            {
                kernels.MatMul(dGates.AsSpan((t + 1) * state * 4, state * 4), sequence.Recurrent, packedTransposed, [], dh, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
            }

            kernels.LstmBackward(
                activations.AsSpan(t * state * 4, state * 4), cells.AsSpan(t * state, state), cells.AsSpan((t + 1) * state, state), sequence.DhOut.AsSpan(t * state, state),
                dh, dc, dGates.AsSpan(t * state * 4, state * 4), mask.Length == 0 ? [] : mask.AsSpan(t * batch, batch), batch, hidden, activation);
        }

        return [h, cells, activations, dGates, dh, dc];
    }

    /// <summary>The recurrence through the host's sequence operations.</summary>
    private static float[][] Banded(HostKernels kernels, LstmSequenceCase sequence, int[] mask, int activation)
    {
        var (steps, batch, hidden) = (sequence.Steps, sequence.Batch, sequence.Hidden);
        int gates = 4 * hidden;
        var (activations, cells, h, dGates, dh, dc) = Start(sequence);
        using var packed = kernels.PackRight(sequence.Recurrent, hidden, gates, transposed: false);
        using var packedTransposed = kernels.PackRight(sequence.Recurrent, gates, hidden, transposed: true);
        kernels.LstmForwardSequence(activations, sequence.Recurrent, packed, cells, h, mask, steps, batch, hidden, activation);
        kernels.LstmBackwardSequence(activations, sequence.Recurrent, packedTransposed, cells, sequence.DhOut, dh, dc, dGates, mask, steps, batch, hidden, activation);
        return [h, cells, activations, dGates, dh, dc];
    }

    /// <summary>Fresh buffers: the projected inputs as gates, the initial state in slot 0, the final gradients as carries, stale gate gradients.</summary>
    private static (float[] Activations, float[] Cells, float[] Hidden, float[] DGates, float[] Dh, float[] Dc) Start(LstmSequenceCase sequence)
    {
        int state = sequence.Batch * sequence.Hidden;
        var cells = new float[(sequence.Steps + 1) * state];
        var h = new float[(sequence.Steps + 1) * state];
        sequence.C0.CopyTo(cells, 0);
        sequence.H0.CopyTo(h, 0);
        var dGates = new float[sequence.Steps * state * 4];
        Array.Fill(dGates, float.NaN);
        return ((float[])sequence.Projected.Clone(), cells, h, dGates, (float[])sequence.DhFinal.Clone(), (float[])sequence.DcFinal.Clone());
    }
}
