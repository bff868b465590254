using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostOptimizerTests(HostPath path) : HostTestBase(path)
{
    [TestCase(1, 1.0f)]
    [TestCase(1000, 0.5f)]
    [TestCase(4099, 1.0f)]
    [TestCase(70_001, 0.75f)]
    public void RmsProp_matches_reference_and_the_kernel_formula(int count, float gradScale)
    {
        var w0 = Tensors.Random(count, 50);
        var weights = (float[])w0.Clone();
        var state = new float[count];
        var expectedW = w0.ToDouble();
        var expectedV = new double[count];
        var scalarW = (float[])w0.Clone();
        var scalarV = new float[count];
        for (int step = 0; step < 3; step++)
        {
            var g = Tensors.Random(count, 51 + (ulong)step);
            Kernels.RmsProp(weights, g, state, 1e-3f, 0.9f, 1e-7f, gradScale);
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

        Tensors.AssertClose(weights, expectedW, "weights", 1e-6, 1e-5);
        Tensors.AssertClose(state, expectedV, "mean square", 1e-7, 1e-4);
        Assert.That(weights, Is.EqualTo(scalarW).AsCollection, "bit for bit the kernel's float formula");
        Assert.That(state, Is.EqualTo(scalarV).AsCollection, "bit for bit the kernel's float formula");
    }

    [TestCase(1, 1.0f)]
    [TestCase(2053, 0.25f)]
    [TestCase(70_001, 1.0f)]
    public void Adam_matches_reference_over_three_steps(int count, float gradScale)
    {
        var w0 = Tensors.Random(count, 60);
        var weights = (float[])w0.Clone();
        var m = new float[count];
        var v = new float[count];
        var expectedW = w0.ToDouble();
        var expectedM = new double[count];
        var expectedV = new double[count];
        for (int step = 1; step <= 3; step++)
        {
            var g = Tensors.Random(count, 61 + (ulong)step);
            float stepSize = (float)(1e-3 * Math.Sqrt(1 - Math.Pow(0.999, step)) / (1 - Math.Pow(0.9, step)));
            Kernels.Adam(weights, g, m, v, new AdamStep(stepSize, 0.9f, 0.999f, 1e-7f, gradScale));
            ReferenceOps.Adam(expectedW, g.ToDouble(), expectedM, expectedV, step, 1e-3, 0.9, 0.999, 1e-7, gradScale);
        }

        Tensors.AssertClose(weights, expectedW, "weights", 1e-6, 1e-5);
        Tensors.AssertClose(m, expectedM, "first moment", 1e-7, 1e-4);
        Tensors.AssertClose(v, expectedV, "second moment", 1e-8, 1e-4);
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(17)]
    [TestCase(1023)]
    [TestCase(100_003)]
    public void Sum_and_sum_of_squares_match_reference_whatever_the_threads(int count)
    {
        var x = Tensors.Random(count, 70);
        double sum = x.Sum(v => (double)v);
        double squares = x.Sum(v => (double)v * v);

        float hostSum = Kernels.Sum(x);
        float hostSquares = Kernels.Sum(x, squares: true);

        // Accumulated in double: only the final rounding to float remains.
        Assert.That(hostSum, Is.EqualTo(sum).Within((1e-7 * Math.Abs(sum)) + 1e-7));
        Assert.That(hostSquares, Is.EqualTo(squares).Within((1e-7 * squares) + 1e-7));
        Assert.That(SingleThreaded.Sum(x), Is.EqualTo(hostSum));
        Assert.That(TwoThreads.Sum(x, squares: true), Is.EqualTo(hostSquares));
    }
}
