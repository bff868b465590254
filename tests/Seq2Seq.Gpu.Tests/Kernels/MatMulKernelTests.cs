using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]
public sealed class MatMulKernelTests(TestTarget target) : DeviceTestBase(target)
{
    // Awkward shapes: unit sizes, M < K, sizes that are not multiples of any tile or warp, one row.
    private static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [1, 19, 37],
        [5, 19, 37],
        [17, 3, 5],
        [33, 31, 17],
        [2, 65, 40],
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var s in Shapes)
        {
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                yield return new TestCaseData(s[0], s[1], s[2], ta, tb, false, false);
            }

            yield return new TestCaseData(s[0], s[1], s[2], false, false, true, false);
            yield return new TestCaseData(s[0], s[1], s[2], false, true, false, true);
            yield return new TestCaseData(s[0], s[1], s[2], true, false, true, true);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Product_matches_reference(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate, withBias);
        MatMulCheck.AgainstReference(Upload, shape, "the device's choice", (a, b, bias, c) => Ops.MatMul(a.View, b.View, bias?.View, c.View, shape));

        // The ILGPU kernels the choice passes over on this device, each on its own (the host kernels have one product).
        if (Device.CpuKernels == CpuKernels.Ilgpu)
        {
            foreach (var algorithm in new[] { MatMulAlgorithm.Rows, MatMulAlgorithm.Tiled })
            {
                MatMulCheck.AgainstReference(Upload, shape, algorithm.ToString(), (a, b, bias, c) => Ops.MatMul(a.View, b.View, bias?.View, c.View, shape, algorithm));
            }
        }
    }

    [TestCase(1, 1, false)]
    [TestCase(7, 5, true)]
    [TestCase(129, 67, false)]
    public void ColumnSum_matches_reference(int rows, int cols, bool accumulate)
    {
        var input = Tensors.Random(rows * cols, 14);
        var initial = Tensors.Random(cols, 15);
        var output = Upload(initial);

        Ops.ColumnSum(Upload(input).View, output.View, rows, cols, accumulate);

        var expected = initial.ToDouble();
        ReferenceOps.ColumnSum(input.ToDouble(), expected, rows, cols, accumulate);
        Tensors.AssertClose(output.ToArray(), expected, "column sum", 1e-5, 1e-4);
    }

    [Test]
    public void Product_rejects_views_shorter_than_the_shape()
    {
        var a = Zeros<float>(6);
        var b = Zeros<float>(5);
        var c = Zeros<float>(4);
        Assert.That(
            () => Ops.MatMul(a.View, b.View, null, c.View, new MatMulShape(2, 2, 3)),
            Throws.TypeOf<Seq2Seq.Gpu.Errors.ShapeException>().With.Message.Contains("B of"));
    }
}
