using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The LSTM cell step, forward and backward, on every backend against the reference.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class LstmCellKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.LstmForward))]
    public void Forward_matches_reference(int batch, int hidden, bool masked)
    {
        var step = LstmCellForwardCase.Create(batch, hidden, masked, 20);
        var gates = Upload(step.Gates);
        var cNext = Zeros<float>(batch * hidden);
        var hNext = Zeros<float>(batch * hidden);

        Ops.LstmForward(gates.View, Upload(step.CPrev).View, Upload(step.HPrev).View, cNext.View, hNext.View, step.Mask is null ? null : Upload(step.Mask).View, batch, hidden);

        step.AssertForward(gates.ToArray(), cNext.ToArray(), hNext.ToArray(), 1e-6, 1e-5);
    }

    [Test]
    public void Cell_state_may_be_updated_in_place()
    {
        const int batch = 3, hidden = 21;
        var z = Tensors.Random(batch * 4 * hidden, 40, 4.0);
        var c0 = Tensors.Random(batch * hidden, 41);
        var h0 = Tensors.Random(batch * hidden, 42);
        int[] mask = [1, 0, 1];
        var c = Upload(c0);
        var h = Upload(h0);

        Ops.LstmForward(Upload(z).View, c.View, h.View, c.View, h.View, Upload(mask).View, batch, hidden);

        var expected = ReferenceOps.LstmCellForward(z.ToDouble(), c0.ToDouble(), h0.ToDouble(), mask, batch, hidden);
        Tensors.AssertClose(c.ToArray(), expected.C, "c in place", 1e-6, 1e-5);
        Tensors.AssertClose(h.ToArray(), expected.H, "h in place", 1e-6, 1e-5);
    }

    [Test]
    public void Activations_match_the_exact_functions_from_tiny_arguments_to_saturation()
    {
        // ±10^u for u in [-7, 2.1] and 0: tiny arguments, both tanh regimes, saturation, and σ far into its tail.
        var sweep = new List<float> { 0f };
        for (double u = -7; u <= 2.1; u += 0.005)
        {
            sweep.Add((float)Math.Pow(10, u));
            sweep.Add((float)-Math.Pow(10, u));
        }

        int hidden = sweep.Count;
        var z = new float[4 * hidden];
        for (int gate = 0; gate < 4; gate++)
        {
            sweep.CopyTo(z, gate * hidden);
        }

        var gates = Upload(z);
        Ops.LstmForward(gates.View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, Zeros<float>(hidden).View, null, 1, hidden);

        // Within 1e-6 relative on the CPU backends; CUDA's fast exp and tanh intrinsics are held to the other cell tests' tolerance.
        var (atol, rtol) = Target == TestTarget.Cuda ? (1e-6, 1e-5) : (1e-30, 1e-6);
        var activations = gates.ToArray();
        var sigmoid = sweep.Select(x => ReferenceOps.Sigmoid(x)).ToArray();
        var tanh = sweep.Select(x => Math.Tanh(x)).ToArray();
        Tensors.AssertClose(activations.AsSpan(0, hidden), sigmoid, "σ", atol, rtol);
        Tensors.AssertClose(activations.AsSpan(2 * hidden, hidden), tanh, "tanh", atol, rtol);
        Tensors.AssertClose(activations.AsSpan(3 * hidden, hidden), sigmoid, "σ (output gate)", atol, rtol);
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.LstmBackward))]
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
