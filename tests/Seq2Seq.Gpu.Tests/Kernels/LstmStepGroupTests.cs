using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The thread groups of the fused step and persistent kernels, on every shape of device that runs the ILGPU kernels.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.IlgpuKernels))]
public sealed class LstmStepGroupTests(TestTarget target) : DeviceTestBase(target)
{
    [Test]
    public void Group_shapes_fit_the_device_and_cover_the_step()
    {
        foreach (var (batch, hidden) in new[] { (1, 1), (1, 256), (64, 512), (7, 33), (64, 17) })
        {
            var (units, rows) = Ops.Ilgpu.StepGroup(batch, hidden);
            Assert.That(units * rows, Is.LessThanOrEqualTo(Device.Info.MaxThreadsPerGroup), $"B={batch} H={hidden}");
            Assert.That(units, Is.InRange(1, 32));
            Assert.That(rows, Is.InRange(1, 32));
            Assert.That(units, Is.LessThan(2 * hidden).Or.EqualTo(1), "no more than twice the units there are");
            Assert.That(rows, Is.LessThan(2 * batch).Or.EqualTo(1), "no more than twice the rows there are");
        }
    }
}
