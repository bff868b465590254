using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>The optimizer updates and the sums of the gradient norm and the loss on every backend, against the reference.</summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.OperationsOnWarpShapes))]
public sealed class OptimizerKernelTests(TestTarget target) : DeviceTestBase(target)
{
    [TestCase(1, 1.0f)]
    [TestCase(1000, 0.5f)]
    [TestCase(4099, 1.0f)]
    [TestCase(70_001, 0.75f)]
    public void RmsProp_matches_reference_over_three_steps(int count, float gradScale)
    {
        var w0 = Tensors.Random(count, 50);
        var weights = Upload(w0);
        var state = Zeros<float>(count);
        var expectedW = w0.ToDouble();
        var expectedV = new double[count];
        var scalarW = (float[])w0.Clone();
        var scalarV = new float[count];
        for (int step = 0; step < 3; step++)
        {
            var g = Tensors.Random(count, 51 + (ulong)step);
            Ops.RmsProp(weights.View, Upload(g).View, state.View, 1e-3f, 0.9f, 1e-7f, gradScale);
            ReferenceOps.RmsProp(expectedW, g.ToDouble(), expectedV, 1e-3, 0.9, 1e-7, gradScale);
            for (int e = 0; e < count; e++)
            {
                // OptimizerKernels.RmsProp, line for line.
                float ge = g[e] * gradScale;
                float v = (0.9f * scalarV[e]) + ((1f - 0.9f) * ge * ge);
                scalarV[e] = v;
                scalarW[e] -= 1e-3f * ge / (MathF.Sqrt(v) + 1e-7f);
            }
        }

        Tensors.AssertClose(weights.ToArray(), expectedW, "weights", 1e-6, 1e-5);
        Tensors.AssertClose(state.ToArray(), expectedV, "mean square", 1e-7, 1e-4);

        // Every CPU backend computes the kernel's float formula exactly (a GPU compiler may contract it into FMAs).
        if (Target != TestTarget.Cuda)
        {
            Assert.That(weights.ToArray(), Is.EqualTo(scalarW).AsCollection, "bit for bit the kernel's float formula");
            Assert.That(state.ToArray(), Is.EqualTo(scalarV).AsCollection, "bit for bit the kernel's float formula");
        }
    }

    [TestCase(1, 1.0f)]
    [TestCase(2053, 0.25f)]
    [TestCase(70_001, 1.0f)]
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

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.Sum))]
    public void Sum_and_sum_of_squares_match_reference(int count)
    {
        var x = Tensors.Random(count, 70);
        var view = count == 0 ? Zeros<float>(1).View.SubView(0, 0) : Upload(x).View;

        double sum = x.Sum(v => (double)v);
        double squares = x.Sum(v => (double)v * v);

        // Accumulated in double on every backend: only the final rounding to float remains.
        Assert.That(Ops.Sum(view), Is.EqualTo(sum).Within((1e-7 * Math.Abs(sum)) + 1e-7));
        Assert.That(Ops.Sum(view, squares: true), Is.EqualTo(squares).Within((1e-7 * squares) + 1e-7));
    }
}
