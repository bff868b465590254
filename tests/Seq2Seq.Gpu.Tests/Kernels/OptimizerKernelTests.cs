using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class OptimizerKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1.0f)]
    [TestCase(1000, 0.5f)]
    [TestCase(4099, 1.0f)]
    public void RmsProp_matches_reference_over_three_steps(int count, float gradScale)
    {
        var w0 = Tensors.Random(count, 50);
        var weights = Upload(w0);
        var state = Zeros<float>(count);
        var expectedW = w0.ToDouble();
        var expectedV = new double[count];
        for (int step = 0; step < 3; step++)
        {
            var g = Tensors.Random(count, 51 + (ulong)step);
            Ops.RmsProp(weights.View, Upload(g).View, state.View, 1e-3f, 0.9f, 1e-7f, gradScale);
            ReferenceOps.RmsProp(expectedW, g.ToDouble(), expectedV, 1e-3, 0.9, 1e-7, gradScale);
        }

        Tensors.AssertClose(weights.ToArray(), expectedW, "weights", 1e-6, 1e-5);
        Tensors.AssertClose(state.ToArray(), expectedV, "mean square", 1e-7, 1e-4);
    }

    [TestCase(1, 1.0f)]
    [TestCase(2053, 0.25f)]
    public void Adam_matches_reference_over_three_steps(int count, float gradScale)
    {
        var w0 = Tensors.Random(count, 60);
        var weights = Upload(w0);
        var m = Zeros<float>(count);
        var v = Zeros<float>(count);
        var expectedW = w0.ToDouble();
        var expectedM = new double[count];
        var expectedV = new double[count];
        for (int step = 1; step <= 3; step++)
        {
            var g = Tensors.Random(count, 61 + (ulong)step);
            float stepSize = (float)(1e-3 * Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step)));
            Ops.Adam(weights.View, Upload(g).View, m.View, v.View, new AdamStep(stepSize, 0.9f, 0.999f, 1e-7f, gradScale));
            ReferenceOps.Adam(expectedW, g.ToDouble(), expectedM, expectedV, step, 1e-3, 0.9, 0.999, 1e-7, gradScale);
        }

        Tensors.AssertClose(weights.ToArray(), expectedW, "weights", 1e-6, 1e-5);
        Tensors.AssertClose(m.ToArray(), expectedM, "first moment", 1e-7, 1e-4);
        Tensors.AssertClose(v.ToArray(), expectedV, "second moment", 1e-8, 1e-4);
    }

    [TestCase(1)]
    [TestCase(1023)]
    [TestCase(100_003)]
    public void Sum_and_sum_of_squares_match_reference(int count)
    {
        var x = Tensors.Random(count, 70);
        var view = Upload(x).View;

        double sum = x.Sum(v => (double)v);
        double squares = x.Sum(v => (double)v * v);

        Assert.That(Ops.Sum(view), Is.EqualTo(sum).Within(1e-5 * count + 1e-6));
        Assert.That(Ops.Sum(view, squares: true), Is.EqualTo(squares).Within(1e-5 * squares + 1e-6));
    }
}
