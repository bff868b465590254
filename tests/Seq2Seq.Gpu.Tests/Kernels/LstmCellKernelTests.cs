using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class LstmCellKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, false)]
    [TestCase(3, 5, true)]
    [TestCase(7, 33, true)]
    [TestCase(64, 17, false)]
    public void Forward_matches_reference(int batch, int hidden, bool masked)
    {
        // Pre-activations up to ±8 exercise both saturated ends of σ and tanh.
        var z = Tensors.Random(batch * 4 * hidden, 20, 8.0);
        var cPrev = Tensors.Random(batch * hidden, 21, 2.0);
        var hPrev = Tensors.Random(batch * hidden, 22);
        int[]? mask = masked ? Enumerable.Range(0, batch).Select(b => b % 2).ToArray() : null;
        var gates = Upload(z);
        var cNext = Zeros<float>(batch * hidden);
        var hNext = Zeros<float>(batch * hidden);

        Ops.LstmForward(gates.View, Upload(cPrev).View, Upload(hPrev).View, cNext.View, hNext.View, mask is null ? null : Upload(mask).View, batch, hidden);

        var expected = ReferenceOps.LstmCellForward(z.ToDouble(), cPrev.ToDouble(), hPrev.ToDouble(), mask, batch, hidden);
        Tensors.AssertClose(gates.ToArray(), expected.Activations, "activations", 1e-6, 1e-5);
        Tensors.AssertClose(cNext.ToArray(), expected.C, "c", 1e-6, 1e-5);
        Tensors.AssertClose(hNext.ToArray(), expected.H, "h", 1e-6, 1e-5);
    }

    [TestCase(1, 1, false, true)]
    [TestCase(3, 5, true, true)]
    [TestCase(7, 33, true, false)]
    [TestCase(64, 17, false, true)]
    public void Backward_matches_reference(int batch, int hidden, bool masked, bool withExternal)
    {
        var step = LstmCellBackwardCase.Create(batch, hidden, masked, 30);
        var dhCarry = Upload(step.DhCarry);
        var dcCarry = Upload(step.DcCarry);
        var dGates = Upload(step.StaleGates);

        Ops.LstmBackward(
            Upload(step.Activations).View, Upload(step.CPrev).View, Upload(step.CNext).View, withExternal ? Upload(step.DhExternal).View : null,
            dhCarry.View, dcCarry.View, dGates.View, step.Mask is null ? null : Upload(step.Mask).View, batch, hidden);

        step.AssertBackward(dGates.ToArray(), dcCarry.ToArray(), dhCarry.ToArray(), null, withExternal, 1e-6, 1e-5);
    }
}
