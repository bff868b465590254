using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// One recurrent step (h·U plus the cell, and its backward with dz_{t+1}·Uᵀ), fused into one kernel or run as a product
/// and the cell kernel, against the reference on shapes that are not multiples of the group's units or rows.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class LstmStepKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1, false, true)]
    [TestCase(3, 5, true, true)]
    [TestCase(7, 33, true, true)]
    [TestCase(37, 17, false, true)]
    [TestCase(2, 40, false, true)]
    [TestCase(7, 33, true, false)]
    public void Forward_step_matches_reference(int batch, int hidden, bool masked, bool fused) =>
        ForwardStep(batch, hidden, masked, fused, WeightPrecision.Fp32);

    /// <summary>
    /// The decoding step with U as a bfloat16 copy (the fused kernel's <c>BFloat16Elements</c> specialization on the
    /// ILGPU targets, the composed step's BF16 product on the host ones) against the reference run on U rounded to
    /// bfloat16: the same tolerance as FP32, since only the weights' rounding differs.
    /// </summary>
    [TestCase(1, 1, false, true)]
    [TestCase(3, 5, true, true)]
    [TestCase(7, 33, true, true)]
    [TestCase(37, 17, false, true)]
    [TestCase(7, 33, true, false)]
    public void Forward_step_with_bfloat16_weights_matches_the_reference_on_the_rounded_weights(int batch, int hidden, bool masked, bool fused) =>
        ForwardStep(batch, hidden, masked, fused, WeightPrecision.Bf16);

    private void ForwardStep(int batch, int hidden, bool masked, bool fused, WeightPrecision precision)
    {
        int gates = 4 * hidden;
        var projected = Tensors.Random(batch * gates, 40, 2.0);
        var recurrent = Tensors.Random(hidden * gates, 41, 0.5);
        var rounded = precision == WeightPrecision.Bf16 ? Array.ConvertAll(recurrent, v => BFloat16.ToSingle(BFloat16.FromSingle(v))) : recurrent;
        var cPrev = Tensors.Random(batch * hidden, 42, 2.0);
        var hPrev = Tensors.Random(batch * hidden, 43);
        int[]? mask = masked ? Enumerable.Range(0, batch).Select(b => b % 3 == 1 ? 0 : 1).ToArray() : null;
        var gateBuffer = Upload(projected);
        var u = Upload(recurrent);
        var cNext = Zeros<float>(batch * hidden);
        var hNext = Zeros<float>(batch * hidden);

        using var prepared = Ops.PrepareRight(u.View, hidden, gates, transposed: false, precision);
        Ops.LstmForwardStep(gateBuffer.View, prepared, Upload(cPrev).View, Upload(hPrev).View, cNext.View, hNext.View, mask is null ? null : Upload(mask).View, batch, hidden, fused && RunsIlgpuKernels);

        var z = projected.ToDouble();
        ReferenceOps.MatMul(hPrev.ToDouble(), rounded.ToDouble(), null, z, batch, gates, hidden, accumulate: true);
        var expected = ReferenceOps.LstmCellForward(z, cPrev.ToDouble(), hPrev.ToDouble(), mask, batch, hidden);
        Tensors.AssertClose(gateBuffer.ToArray(), expected.Activations, "activations", 1e-5, 1e-4);
        Tensors.AssertClose(cNext.ToArray(), expected.C, "c", 1e-5, 1e-4);
        Tensors.AssertClose(hNext.ToArray(), expected.H, "h", 1e-5, 1e-4);
    }

    [TestCase(1, 1, false, true, true, true)]
    [TestCase(3, 5, true, true, true, true)]
    [TestCase(7, 33, true, false, true, true)]
    [TestCase(37, 17, false, true, true, true)]
    [TestCase(5, 9, true, true, false, true)]
    [TestCase(7, 33, true, true, true, false)]
    public void Backward_step_matches_reference(int batch, int hidden, bool masked, bool withExternal, bool withNext, bool fused)
    {
        int gates = 4 * hidden;
        var step = LstmCellBackwardCase.Create(batch, hidden, masked, 50);
        var recurrent = Tensors.Random(hidden * gates, 57, 0.5);
        var dzNext = Tensors.Random(batch * gates, 58);
        var dhCarry = Upload(step.DhCarry);
        var dcCarry = Upload(step.DcCarry);
        var dGates = Upload(step.StaleGates);

        using var prepared = Ops.PrepareRight(Upload(recurrent).View, gates, hidden, transposed: true);
        Ops.LstmBackwardStep(
            Upload(step.Activations).View, prepared, Upload(step.CPrev).View, Upload(step.CNext).View, withExternal ? Upload(step.DhExternal).View : null,
            dhCarry.View, dcCarry.View, withNext ? Upload(dzNext).View : null, dGates.View, step.Mask is null ? null : Upload(step.Mask).View, batch, hidden, fused && RunsIlgpuKernels);

        double[]? recurrentDh = null;
        if (withNext)
        {
            recurrentDh = new double[batch * hidden];
            ReferenceOps.MatMul(dzNext.ToDouble(), recurrent.ToDouble(), null, recurrentDh, batch, hidden, gates, transposeB: true);
        }

        step.AssertBackward(dGates.ToArray(), dcCarry.ToArray(), dhCarry.ToArray(), recurrentDh, withExternal, 1e-5, 1e-4);
    }

    [Test]
    public void A_recurrent_kernel_of_the_wrong_shape_is_refused()
    {
        var u = Zeros<float>(6 * 24);
        using var prepared = Ops.PrepareRight(u.View, 6, 24, transposed: false);
        var state = Zeros<float>(5 * 5);
        var gates = Zeros<float>(5 * 20);

        Assert.That(
            () => Ops.LstmForwardStep(gates.View, prepared, state.View, state.View, state.View, state.View, null, 1, 5, fused: true),
            Throws.InstanceOf<Seq2Seq.Gpu.Errors.ShapeException>().With.Message.Contains("hidden size 5"));
    }
}
