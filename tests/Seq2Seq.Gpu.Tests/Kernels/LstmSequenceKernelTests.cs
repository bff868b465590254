using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The kernels composed over several steps as the engine composes them (recurrent product into the projected
/// inputs, fused cell; backward: fused cell, then dU += hᵀ·dz and dh += dz·Uᵀ), against the reference sequence.
/// </summary>
[TestFixture(TestTarget.CpuDefault)]
[TestFixture(TestTarget.CpuNvidia)]
[TestFixture(TestTarget.CpuSimd)]
[TestFixture(TestTarget.Cuda, Category = "Gpu")]
public sealed class LstmSequenceKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, 1)]
    [TestCase(5, 3, 7)]
    [TestCase(4, 9, 16)]
    public void Forward_and_backward_through_time_match_reference(int steps, int batch, int hidden)
    {
        int gates = 4 * hidden;
        int state = batch * hidden;
        var xProj = Tensors.Random(steps * batch * gates, 80);
        var recurrent = Tensors.Random(hidden * gates, 81, 0.5);
        var h0 = Tensors.Random(state, 82);
        var c0 = Tensors.Random(state, 83);
        var dhOut = Tensors.Random(steps * state, 84);
        var dhFinal = Tensors.Random(state, 85);
        var dcFinal = Tensors.Random(state, 86);
        var mask = new int[steps * batch];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                mask[(t * batch) + b] = t < Math.Max(1, steps - (b % 3)) ? 1 : 0;
            }
        }

        // Device buffers: z [T, B, 4H] becomes the activations; c, h [T + 1, B, H].
        var z = Upload(xProj);
        var u = Upload(recurrent);
        var c = Zeros<float>((steps + 1) * state);
        var h = Zeros<float>((steps + 1) * state);
        c.CopyFrom(c0);
        h.CopyFrom(h0);
        var maskBuffer = Upload(mask);
        for (int t = 0; t < steps; t++)
        {
            var zt = z.Slice(t * batch * gates, batch * gates);
            Ops.MatMul(h.Slice(t * state, state), u.View, null, zt, new MatMulShape(batch, gates, hidden, accumulate: true));
            Ops.LstmForward(zt, c.Slice(t * state, state), h.Slice(t * state, state), c.Slice((t + 1) * state, state), h.Slice((t + 1) * state, state), maskBuffer.Slice(t * batch, batch), batch, hidden);
        }

        var dGates = Zeros<float>(steps * batch * gates);
        var dU = Zeros<float>(hidden * gates);
        var dh = Upload(dhFinal);
        var dc = Upload(dcFinal);
        var dhExternal = Upload(dhOut);
        for (int t = steps - 1; t >= 0; t--)
        {
            var dz = dGates.Slice(t * batch * gates, batch * gates);
            Ops.LstmBackward(
                z.Slice(t * batch * gates, batch * gates), c.Slice(t * state, state), c.Slice((t + 1) * state, state), dhExternal.Slice(t * state, state),
                dh.View, dc.View, dz, maskBuffer.Slice(t * batch, batch), batch, hidden);
            Ops.MatMul(h.Slice(t * state, state), dz, null, dU.View, new MatMulShape(hidden, gates, batch, transposeA: true, accumulate: true));
            Ops.MatMul(dz, u.View, null, dh.View, new MatMulShape(batch, hidden, gates, transposeB: true, accumulate: true));
        }

        var reference = ReferenceLstm.Forward(xProj.ToDouble(), recurrent.ToDouble(), h0.ToDouble(), c0.ToDouble(), mask, steps, batch, hidden);
        var grads = ReferenceLstm.Backward(reference, recurrent.ToDouble(), dhOut.ToDouble(), dhFinal.ToDouble(), dcFinal.ToDouble(), mask, batch, hidden);

        Tensors.AssertClose(h.ToArray(), reference.H.SelectMany(x => x).ToArray(), "h sequence", 1e-5, 1e-4);
        Tensors.AssertClose(c.ToArray(), reference.C.SelectMany(x => x).ToArray(), "c sequence", 1e-5, 1e-4);
        Tensors.AssertClose(dGates.ToArray(), grads.DGates, "d gates", 1e-5, 1e-4);
        Tensors.AssertClose(dU.ToArray(), grads.DRecurrent, "d U", 1e-5, 1e-4);
        Tensors.AssertClose(dh.ToArray(), grads.DhInitial, "d h0", 1e-5, 1e-4);
        Tensors.AssertClose(dc.ToArray(), grads.DcInitial, "d c0", 1e-5, 1e-4);
    }
}
