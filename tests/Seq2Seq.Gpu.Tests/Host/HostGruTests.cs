using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The host GRU step on every vector path (widths 4, 8 and 16, so every hidden size below has a different tail), against
/// the reference, and the same floats whatever the number of threads.
/// </summary>
[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostGruTests(HostPath path) : HostTestBase(path)
{
    [TestCase(1, 1, true)]
    [TestCase(3, 5, true)]
    [TestCase(7, 33, true)]
    [TestCase(64, 17, false)]
    [TestCase(64, 256, true)]
    public void Forward_matches_reference_and_threads_do_not_change_it(int batch, int hidden, bool masked)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 50);

        var (activations, hNext) = Run(Kernels);

        step.AssertForward(activations, hNext, 1e-6, 1e-5);
        var single = Run(SingleThreaded);
        Assert.That(activations, Is.EqualTo(single.Activations).AsCollection);
        Assert.That(hNext, Is.EqualTo(single.HNext).AsCollection);

        (float[] Activations, float[] HNext) Run(Compute.Host.HostKernels kernels)
        {
            var gates = (float[])step.InputGates.Clone();
            var h = (float[])step.StaleH.Clone();
            kernels.GruForward(gates, step.RecurrentGates, step.HPrev, h, step.Mask ?? [], batch, hidden);
            return (gates, h);
        }
    }

    [TestCase(1, 1, false, true)]
    [TestCase(3, 5, true, true)]
    [TestCase(7, 33, true, false)]
    [TestCase(64, 17, false, true)]
    [TestCase(64, 256, true, true)]
    public void Backward_matches_reference_and_threads_do_not_change_it(int batch, int hidden, bool masked, bool withExternal)
    {
        var step = GruCellCase.Create(batch, hidden, masked, 60);

        var (dInputGates, dRecurrentGates, dhCarry) = Run(Kernels);

        step.AssertBackward(dInputGates, dRecurrentGates, dhCarry, withExternal, 1e-6, 1e-5);
        var single = Run(SingleThreaded);
        Assert.That(dInputGates, Is.EqualTo(single.DInputGates).AsCollection);
        Assert.That(dRecurrentGates, Is.EqualTo(single.DRecurrentGates).AsCollection);
        Assert.That(dhCarry, Is.EqualTo(single.DhCarry).AsCollection);

        (float[] DInputGates, float[] DRecurrentGates, float[] DhCarry) Run(Compute.Host.HostKernels kernels)
        {
            var dgx = (float[])step.StaleGates.Clone();
            var dgh = (float[])step.StaleGates.Clone();
            var dh = (float[])step.DhCarry.Clone();
            kernels.GruBackward(step.Activations, step.RecurrentGates, step.HPrev, withExternal ? step.DhExternal : [], dh, dgx, dgh, step.Mask ?? [], batch, hidden);
            return (dgx, dgh, dh);
        }
    }
}
