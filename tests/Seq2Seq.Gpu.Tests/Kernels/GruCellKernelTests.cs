using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The GRU cell step, forward and backward, on every backend against the reference.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class GruCellKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.GruForward))]
    public void Forward_matches_reference(int batch, int hidden, bool masked)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 20);
        var gates = Upload(step.InputGates);
        var recurrent = Upload(step.RecurrentGates);
        var hNext = Upload(step.StaleH);

        Ops.GruForward(gates.View, recurrent.View, Upload(step.HPrev).View, hNext.View, step.Mask is null ? null : Upload(step.Mask).View, batch, hidden);

        step.AssertForward(gates.ToArray(), hNext.ToArray(), 1e-6, 1e-5);
        Assert.That(recurrent.ToArray(), Is.EqualTo(step.RecurrentGates).AsCollection, "gh is read only: the backward step needs it");
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.GruBackward))]
    public void Backward_matches_reference(int batch, int hidden, bool masked, bool withExternal)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 30);
        var dhCarry = Upload(step.DhCarry);
        var dInputGates = Upload(step.StaleGates);
        var dRecurrentGates = Upload(step.StaleGates);

        Ops.GruBackward(
            Upload(step.Activations).View, Upload(step.RecurrentGates).View, Upload(step.HPrev).View, withExternal ? Upload(step.DhExternal).View : null,
            dhCarry.View, dInputGates.View, dRecurrentGates.View, step.Mask is null ? null : Upload(step.Mask).View, batch, hidden);

        step.AssertBackward(dInputGates.ToArray(), dRecurrentGates.ToArray(), dhCarry.ToArray(), withExternal, 1e-6, 1e-5);
    }

    [Test]
    public void Short_views_are_shape_errors()
    {
        const int batch = 2, hidden = 3;
        var gates = Zeros<float>(batch * 3 * hidden);
        var state = Zeros<float>(batch * hidden);
        var shortState = Zeros<float>((batch * hidden) - 1);

        Assert.That(
            () => Ops.GruForward(gates.View, gates.View, state.View, shortState.View, null, batch, hidden),
            Throws.InstanceOf<ShapeException>().With.Message.Contains("GRU h_next"));
        Assert.That(
            () => Ops.GruBackward(gates.View, shortState.View, state.View, null, state.View, gates.View, gates.View, null, batch, hidden),
            Throws.InstanceOf<ShapeException>().With.Message.Contains("GRU recurrent gates"));
        Assert.That(
            () => Ops.GruForward(gates.View, gates.View, state.View, state.View, null, -batch, -hidden),
            Throws.InstanceOf<ShapeException>().With.Message.Contains("GRU step"));
    }
}
