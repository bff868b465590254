using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// A layer's whole recurrence through the device's sequence operations, forward and backward through time with a
/// ragged mask, against the reference LSTM: as one persistent launch (groups meeting at a grid barrier after every
/// step: one simulated multiprocessor, or three running at once), as one launch a step, and as the device's default;
/// with the sigmoid and with Keras' hard sigmoids as the gate activation.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class PersistentSequenceKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, 1, true)]
    [TestCase(5, 3, 7, true)]
    [TestCase(4, 9, 16, true)]
    [TestCase(3, 11, 33, true)]
    [TestCase(5, 3, 7, false)]
    [TestCase(4, 9, 16, null)]
    [TestCase(5, 3, 7, true, RecurrentActivation.HardSigmoidKeras2)]
    [TestCase(3, 11, 33, true, RecurrentActivation.HardSigmoidKeras3)]
    [TestCase(4, 9, 16, false, RecurrentActivation.HardSigmoidKeras3)]
    [TestCase(1, 1, 1, null, RecurrentActivation.HardSigmoidKeras2)]
    public void Forward_and_backward_through_time_match_reference(int steps, int batch, int hidden, bool? persistent, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        var sequence = LstmSequenceCase.Create(steps, batch, hidden, 90, ReferenceModels.ActivationName(activation));
        int gates = 4 * hidden;
        int state = batch * hidden;
        var z = Upload(sequence.Projected);
        var u = Upload(sequence.Recurrent);
        var c = Zeros<float>((steps + 1) * state);
        var h = Zeros<float>((steps + 1) * state);
        c.CopyFrom(sequence.C0);
        h.CopyFrom(sequence.H0);
        var maskBuffer = Upload(sequence.Mask);
        using (var prepared = Ops.PrepareRight(u.View, hidden, gates, transposed: false))
        {
            if (Chosen(persistent) is { } p)
            {
                Ops.LstmForwardSequence(z.View, prepared, c.View, h.View, maskBuffer.View, steps, batch, hidden, p, activation);
            }
            else
            {
                Ops.LstmForwardSequence(z.View, prepared, c.View, h.View, maskBuffer.View, steps, batch, hidden, activation);
            }
        }

        var dGates = Zeros<float>(steps * batch * gates);
        var dh = Upload(sequence.DhFinal);
        var dc = Upload(sequence.DcFinal);
        using (var transposed = Ops.PrepareRight(u.View, gates, hidden, transposed: true))
        {
            var dhOut = Upload(sequence.DhOut).View;
            if (Chosen(persistent) is { } p)
            {
                Ops.LstmBackwardSequence(z.View, transposed, c.View, dhOut, dh.View, dc.View, dGates.View, maskBuffer.View, steps, batch, hidden, p, activation);
            }
            else
            {
                Ops.LstmBackwardSequence(z.View, transposed, c.View, dhOut, dh.View, dc.View, dGates.View, maskBuffer.View, steps, batch, hidden, activation);
            }
            Ops.MatMul(dGates.Slice(0, batch * gates), transposed, null, dh.View, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
        }

        sequence.AssertMatches(h.ToArray(), c.ToArray(), dGates.ToArray(), dh.ToArray(), dc.ToArray());
    }

    /// <summary>An explicit path where the ILGPU kernels run; the device's own (null) on the host kernels, which have one path.</summary>
    private bool? Chosen(bool? persistent) => Device.CpuKernels == CpuKernels.Ilgpu ? persistent : null;
}
