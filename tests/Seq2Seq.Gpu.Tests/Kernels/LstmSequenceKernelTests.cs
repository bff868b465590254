using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The kernels composed over several steps as the engine composes them (recurrent product into the projected
/// inputs, fused cell; backward: fused cell, then dU += hᵀ·dz and dh += dz·Uᵀ), against the reference sequence.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class LstmSequenceKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, 1)]
    [TestCase(5, 3, 7)]
    [TestCase(4, 9, 16)]
    public void Forward_and_backward_through_time_match_reference(int steps, int batch, int hidden)
    {
        var sequence = LstmSequenceCase.Create(steps, batch, hidden, 80);
        int gates = 4 * hidden;
        int state = batch * hidden;

        // Device buffers: z [T, B, 4H] becomes the activations; c, h [T + 1, B, H].
        var z = Upload(sequence.Projected);
        var u = Upload(sequence.Recurrent);
        var c = Zeros<float>((steps + 1) * state);
        var h = Zeros<float>((steps + 1) * state);
        c.CopyFrom(sequence.C0);
        h.CopyFrom(sequence.H0);
        var maskBuffer = Upload(sequence.Mask);
        for (int t = 0; t < steps; t++)
        {
            var zt = z.Slice(t * batch * gates, batch * gates);
            Ops.MatMul(h.Slice(t * state, state), u.View, null, zt, new MatMulShape(batch, gates, hidden, accumulate: true));
            Ops.LstmForward(zt, c.Slice(t * state, state), h.Slice(t * state, state), c.Slice((t + 1) * state, state), h.Slice((t + 1) * state, state), maskBuffer.Slice(t * batch, batch), batch, hidden);
        }

        var dGates = Zeros<float>(steps * batch * gates);
        var dU = Zeros<float>(hidden * gates);
        var dh = Upload(sequence.DhFinal);
        var dc = Upload(sequence.DcFinal);
        var dhExternal = Upload(sequence.DhOut);
        for (int t = steps - 1; t >= 0; t--)
        {
            var dz = dGates.Slice(t * batch * gates, batch * gates);
            Ops.LstmBackward(
                z.Slice(t * batch * gates, batch * gates), c.Slice(t * state, state), c.Slice((t + 1) * state, state), dhExternal.Slice(t * state, state),
                dh.View, dc.View, dz, maskBuffer.Slice(t * batch, batch), batch, hidden);
            Ops.MatMul(h.Slice(t * state, state), dz, null, dU.View, new MatMulShape(hidden, gates, batch, transposeA: true, accumulate: true));
            Ops.MatMul(dz, u.View, null, dh.View, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
        }

        sequence.AssertMatches(h.ToArray(), c.ToArray(), dGates.ToArray(), dh.ToArray(), dc.ToArray());
        Tensors.AssertClose(dU.ToArray(), sequence.Gradients.DRecurrent, "d U", 1e-5, 1e-4);
    }
}
