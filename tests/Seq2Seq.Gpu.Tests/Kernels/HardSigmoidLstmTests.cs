using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The LSTM cell with Keras' hard sigmoids as its gate activation, on every backend (the ILGPU cell and fused-step
/// kernels, the host SIMD loops) against the reference; pre-activations up to ±12 put gates in both clipped ends and in
/// the linear part. The sequence paths (persistent, per step) are in <see cref="PersistentSequenceKernelTests"/>.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class HardSigmoidLstmTests(TestTarget target) : DeviceTestBase(target)
{
    private static readonly RecurrentActivation[] Hard = [RecurrentActivation.HardSigmoidKeras2, RecurrentActivation.HardSigmoidKeras3];

    [TestCase(1, 1, false)]
    [TestCase(3, 5, true)]
    [TestCase(7, 33, true)]
    [TestCase(2, 19, false)]
    public void The_cell_step_matches_the_reference_forward_and_backward(int batch, int hidden, bool masked)
    {
        foreach (var activation in Hard)
        {
            string name = ReferenceModels.ActivationName(activation);
            var z = Tensors.Random(batch * 4 * hidden, 11, 12.0);
            var cPrev = Tensors.Random(batch * hidden, 12, 2.0);
            var hPrev = Tensors.Random(batch * hidden, 13);
            int[]? mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : null;
            var gates = Upload(z);
            var cNext = Zeros<float>(batch * hidden);
            var hNext = Zeros<float>(batch * hidden);

            Ops.LstmForward(gates.View, Upload(cPrev).View, Upload(hPrev).View, cNext.View, hNext.View, mask is null ? null : Upload(mask).View, batch, hidden, activation);

            var expected = ReferenceOps.LstmCellForward(z.ToDouble(), cPrev.ToDouble(), hPrev.ToDouble(), mask, batch, hidden, name);
            var activations = gates.ToArray();
            Tensors.AssertClose(activations, expected.Activations, $"{activation} activations", 1e-6, 1e-5);
            Tensors.AssertClose(cNext.ToArray(), expected.C, $"{activation} c", 1e-6, 1e-5);
            Tensors.AssertClose(hNext.ToArray(), expected.H, $"{activation} h", 1e-6, 1e-5);

            var dh = Tensors.Random(batch * hidden, 14);
            var dc = Tensors.Random(batch * hidden, 15);
            var dhCarry = Upload(dh);
            var dcCarry = Upload(dc);
            var dGates = Zeros<float>(batch * 4 * hidden);
            Ops.LstmBackward(Upload(activations).View, Upload(cPrev).View, cNext.View, null, dhCarry.View, dcCarry.View, dGates.View, mask is null ? null : Upload(mask).View, batch, hidden, activation);

            var grads = ReferenceOps.LstmCellBackward(activations.ToDouble(), cPrev.ToDouble(), cNext.ToArray().ToDouble(), dh.ToDouble(), dc.ToDouble(), mask, batch, hidden, name);
            Tensors.AssertClose(dGates.ToArray(), grads.DGates, $"{activation} d gates", 1e-6, 1e-5);
            Tensors.AssertClose(dcCarry.ToArray(), grads.DcPrev, $"{activation} dc_prev", 1e-6, 1e-5);
        }
    }

    [Test]
    public void A_sweep_across_both_clips_gives_the_exact_hard_sigmoids()
    {
        // z from -8 to 8 in steps of 1/8 (exact in float): below, inside and above the linear part of both slopes.
        var sweep = Enumerable.Range(-64, 129).Select(k => k / 8f).ToArray();
        int hidden = sweep.Length;
        foreach (var (activation, slope) in new[] { (RecurrentActivation.HardSigmoidKeras2, 0.2), (RecurrentActivation.HardSigmoidKeras3, 1.0 / 6.0) })
        {
            var z = new float[4 * hidden];
            for (int gate = 0; gate < 4; gate++)
            {
                sweep.CopyTo(z, gate * hidden);
            }

            var gates = Upload(z);
            Ops.LstmForward(gates.View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, null, 1, hidden, activation);

            var expected = sweep.Select(x => Math.Clamp((slope * x) + 0.5, 0, 1)).ToArray();
            var activations = gates.ToArray();
            Tensors.AssertClose(activations.AsSpan(0, hidden), expected, $"{activation} (input gate)", 1e-7, 1e-6);
            Tensors.AssertClose(activations.AsSpan(3 * hidden, hidden), expected, $"{activation} (output gate)", 1e-7, 1e-6);
            Assert.That(expected.Count(e => e is 0 or 1), Is.GreaterThan(20), "the sweep reaches both clips");
        }
    }

    [TestCase(2, 5)]
    [TestCase(3, 17)]
    public void The_fused_step_matches_the_composed_step(int batch, int hidden)
    {
        if (!RunsIlgpuKernels)
        {
            Assert.Ignore("the fused step is an ILGPU kernel");
        }

        foreach (var activation in Hard)
        {
            var z = Tensors.Random(batch * 4 * hidden, 21, 6.0);
            var u = Upload(Tensors.Random(hidden * 4 * hidden, 22, 0.5));
            var hPrev = Upload(Tensors.Random(batch * hidden, 23));
            var cPrev = Upload(Tensors.Random(batch * hidden, 24));
            using var prepared = Ops.PrepareRight(u.View, hidden, 4 * hidden, transposed: false);
            var results = new List<float[]>();
            foreach (bool fused in new[] { true, false })
            {
                var gates = Upload(z);
                var cNext = Zeros<float>(batch * hidden);
                var hNext = Zeros<float>(batch * hidden);
                Ops.LstmForwardStep(gates.View, prepared, cPrev.View, hPrev.View, cNext.View, hNext.View, null, batch, hidden, fused, activation);
                results.Add([.. gates.ToArray(), .. hNext.ToArray()]);
            }

            Tensors.AssertClose(results[0], results[1].ToDouble(), $"{activation}: fused vs composed", 1e-6, 1e-5);
        }
    }
}
