using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// The matrix product on every backend against the reference: every flag combination (transposes, accumulate, bias) on
/// awkward shapes, with a prepared right operand (packed once by the host kernels), and the column sums of the bias
/// gradients. Deep products that only the host kernels block and split are in <c>Host/HostMatMulTests</c>.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.OperationsOnWarpShapes))]
public sealed class MatMulKernelTests(TestTarget target) : DeviceTestBase(target)
{
    // Awkward shapes: unit sizes, M < K, one row, sizes that are no multiple of any tile, warp, vector width or of the
    // host kernels' 6-row tile.
    private static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [1, 19, 37],
        [5, 19, 37],
        [17, 3, 5],
        [33, 31, 17],
        [2, 65, 40],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        from s in Shapes
        from shape in MatMulCheck.AllFlags(s[0], s[1], s[2])
        select MatMulCheck.CaseOf(shape);

    [TestCaseSource(nameof(Cases))]
    public void Product_matches_reference(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate, withBias);
        MatMulCheck.AgainstReference(Upload, shape, $"{Target}", (a, b, bias, c) => Ops.MatMul(a.View, b.View, bias?.View, c.View, shape));

        // The ILGPU kernels the device's choice passes over, each on its own (the host kernels have one product): on every
        // transposition of a plain product and on one transposition of each update (accumulate: A·B; bias: A·Bᵀ; both:
        // Aᵀ·B), as every barrier costs the CPU accelerator about 100 µs.
        bool everyKernel = (accumulate, withBias) switch
        {
            (false, false) => true,
            (true, false) => !transposeA && !transposeB,
            (false, true) => !transposeA && transposeB,
            _ => transposeA && !transposeB,
        };
        if (RunsIlgpuKernels && everyKernel)
        {
            var chosen = IlgpuBackend.ChooseKernel(shape, Device.Info);
            foreach (var algorithm in new[] { MatMulAlgorithm.Rows, MatMulAlgorithm.Tiled }.Where(a => a != chosen))
            {
                MatMulCheck.AgainstReference(Upload, shape, algorithm.ToString(), (a, b, bias, c) => Ops.MatMul(a.View, b.View, bias?.View, c.View, shape, algorithm));
            }
        }
    }

    [TestCase(1, 1, 1, false)]
    [TestCase(5, 19, 37, false)]
    [TestCase(9, 19, 37, true)]
    [TestCase(64, 67, 33, false)]
    [TestCase(64, 33, 67, true)]
    [TestCase(13, 1024, 256, false)]
    public void A_prepared_right_operand_gives_the_plain_product(int m, int n, int k, bool transposeB)
    {
        var shape = new MatMulShape(m, n, k, transposeB: transposeB, accumulate: true);
        var (a, b, _, initial, _) = MatMulCheck.Operands(shape);
        var left = Upload(a);
        var right = Upload(b);
        var c = Upload(initial);
        var plain = Upload(initial);

        using (var prepared = Ops.PrepareRight(right.View, k, n, transposeB))
        {
            Ops.MatMul(left.View, prepared, null, c.View, shape);
        }

        Ops.MatMul(left.View, right.View, null, plain.View, shape);

        var result = c.ToArray();
        MatMulCheck.AssertMatches(result, shape, $"{Target} prepared", 1e-5);
        Assert.That(result, Is.EqualTo(plain.ToArray()), "bit-identical to the plain product");
    }

    [TestCaseSource(typeof(OperationCases), nameof(OperationCases.ColumnSum))]
    public void ColumnSum_matches_reference(int rows, int cols, bool accumulate)
    {
        var input = Tensors.Random(rows * cols, 14);
        var initial = Tensors.Random(cols, 15);
        var output = Upload(initial);

        Ops.ColumnSum(Upload(input).View, output.View, rows, cols, accumulate);

        var expected = initial.ToDouble();
        ReferenceOps.ColumnSum(input.ToDouble(), expected, rows, cols, accumulate);
        Tensors.AssertClose(output.ToArray(), expected, "column sum", 1e-5 * Math.Max(1, rows / 100), 1e-4);
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
