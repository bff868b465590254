using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The host product's blocking against the reference, in every instruction set: depths above every K block, row counts
/// that are no multiple of the 6-row tile, products summed over thousands of rows (K split into chunks, B packed once for
/// many row blocks), with B packed at the product or once for the pass. The awkward small shapes every backend runs are
/// in <c>Kernels/MatMulKernelTests</c>; these would cost the CPU accelerator's ILGPU kernels seconds and test nothing of theirs.
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.HostInstructionSets))]
public sealed class HostMatMulTests(TestTarget target) : HostTestBase(target)
{
    // Sizes that are no multiple of the 6-row tile, the vector width or the K block, with K above every K block (128/256/512).
    private static readonly int[][] Shapes =
    [
        [13, 70, 600],
        [40, 110, 260],
    ];

    // Products summed over long K, as the weight gradients over every row of a batch (Aᵀ·B): K split into chunks on
    // every path (K ≥ 8 K blocks; a last chunk shorter than a K block; C of one column or of partial panels), a
    // product of a few rows (streamed, not split), a C too large to split, and more rows than a task of 16 row
    // blocks spans (B then packed once for all of them).
    private static readonly int[][] LongShapes =
    [
        [13, 1, 4133],
        [1, 37, 4133],
        [40, 93, 4500],
        [97, 5, 9001],
        [9, 300, 2311],
        [301, 230, 300],
    ];

    // Products of at most 8 rows, which stream B and keep their sums in registers: one row over blocks of 8 vectors,
    // single vectors and a partial last vector (N = 1037); four-row groups and the rows after them (5, 8 rows); N
    // narrower than a vector (7); B of at least 256 KB, split over the threads whatever its flops (261 × 300); B of at
    // least 12 MiB (a word vocabulary's output projection), run in K blocks of 8 with the last one partial (390) and
    // columns past the last 8-vector segment left to the row kernels (8200 split over the threads).
    private static readonly int[][] NarrowShapes =
    [
        [1, 1037, 70],
        [5, 261, 300],
        [8, 7, 33],
        [3, 40, 17],
        [5, 8200, 390],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        from s in Shapes.Concat(NarrowShapes)
        from shape in MatMulCheck.AllFlags(s[0], s[1], s[2])
        select MatMulCheck.CaseOf(shape);

    private static IEnumerable<TestCaseData> NarrowCases() =>
        from s in NarrowShapes
        from transposeA in new[] { false, true }
        from update in new[] { false, true }
        select MatMulCheck.CaseOf(new MatMulShape(s[0], s[1], s[2], transposeA, transposeB: false, accumulate: update, hasBias: update));

    // Aᵀ·B and A·B, each assigned and accumulated with a bias.
    private static IEnumerable<TestCaseData> LongCases() =>
        from s in LongShapes
        from transposeA in new[] { true, false }
        from update in new[] { false, true }
        select MatMulCheck.CaseOf(new MatMulShape(s[0], s[1], s[2], transposeA, transposeB: false, accumulate: update, hasBias: update));

    [TestCaseSource(nameof(Cases))]
    [TestCaseSource(nameof(LongCases))]
    public void Product_matches_reference(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate, withBias);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);
        var c = (float[])initial.Clone();

        Kernels.MatMul(a, b, withBias ? bias : [], c, shape);

        MatMulCheck.AssertMatches(c, shape, $"{Target}");
    }

    // Aᵀ·B over a long K (split into chunks, each reading its rows of the packed panels) and over rows of several tasks.
    [TestCase(40, 93, 4500)]
    [TestCase(301, 230, 300)]
    public void A_packed_right_operand_gives_the_unpacked_product_of_a_transposed_left_operand(int m, int n, int k)
    {
        var shape = new MatMulShape(m, n, k, transposeA: true, accumulate: true);
        var (a, b, _, initial, _) = MatMulCheck.Operands(shape);
        using var packed = Kernels.PackRight(b, k, n, transposed: false);
        var c = (float[])initial.Clone();
        var unpacked = (float[])initial.Clone();

        Kernels.MatMul(a, b, packed, [], c, shape);
        Kernels.MatMul(a, b, [], unpacked, shape);

        MatMulCheck.AssertMatches(c, shape, $"{Target} packed", 2e-3);
        Assert.That(c, Is.EqualTo(unpacked), "bit-identical to packing at each product");
    }

    [Test]
    public void Zero_depth_assigns_or_adds_only_the_bias()
    {
        var c = new[] { 1f, 2f, 3f, 4f };
        Kernels.MatMul([], [], [10f, 20f], c, new MatMulShape(2, 2, 0, accumulate: true, hasBias: true));
        Assert.That(c, Is.EqualTo(new[] { 11f, 22f, 13f, 24f }));
        Kernels.MatMul([], [], [], c, new MatMulShape(2, 2, 0));
        Assert.That(c, Is.EqualTo(new[] { 0f, 0f, 0f, 0f }));
    }

    // Every element of a narrow product is one fixed sequence of operations: the same bits on one thread or two, and
    // row r of a many-row product the same as that row alone (whichever register block computed it).
    [TestCaseSource(nameof(NarrowCases))]
    public void A_narrow_product_does_not_depend_on_threads_or_on_its_row_blocking(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate, withBias);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);
        var one = (float[])initial.Clone();
        var two = (float[])initial.Clone();
        SingleThreaded.MatMul(a, b, withBias ? bias : [], one, shape);
        TwoThreads.MatMul(a, b, withBias ? bias : [], two, shape);
        Assert.That(two, Is.EqualTo(one), "two threads against one");

        for (int row = 0; row < m; row++)
        {
            var rowOfA = new float[k];
            for (int kk = 0; kk < k; kk++)
            {
                rowOfA[kk] = transposeA ? a[(kk * m) + row] : a[(row * k) + kk];
            }

            var alone = initial.AsSpan(row * n, n).ToArray();
            Kernels.MatMul(rowOfA, b, withBias ? bias : [], alone, new MatMulShape(1, n, k, accumulate: accumulate, hasBias: withBias));
            Assert.That(alone, Is.EqualTo(one.AsSpan(row * n, n).ToArray()), $"row {row} alone");
        }
    }

    // A narrow product is, element by element, exactly this float sequence: c (or 0), + a·b for k in order (each
    // product and sum rounded, no fused multiply-add), then + bias. Row kernels (small B) and K blocks (B of 12 MiB or
    // more: 8200 × 390 floats, one row and five, A as stored and transposed; one row from 4 MiB: 2050 × 520) alike.
    [TestCase(1, 8200, 390, false, false, false)]
    [TestCase(1, 2050, 520, true, true, true)]
    [TestCase(5, 8200, 390, true, true, true)]
    [TestCase(5, 8200, 390, false, true, false)]
    [TestCase(5, 8200, 390, false, false, true)]
    [TestCase(5, 261, 300, true, false, false)]
    [TestCase(8, 1037, 70, false, true, true)]
    public void A_narrow_product_is_exactly_the_in_order_float_sum(int m, int n, int k, bool transposeA, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB: false, accumulate: accumulate, hasBias: withBias);
        var (a, b, bias, initial, _) = MatMulCheck.Operands(shape);
        var c = (float[])initial.Clone();

        Kernels.MatMul(a, b, withBias ? bias : [], c, shape);

        var expected = new float[m * n];
        for (int row = 0; row < m; row++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = accumulate ? initial[(row * n) + j] : 0f;
                for (int kk = 0; kk < k; kk++)
                {
                    float product = (transposeA ? a[(kk * m) + row] : a[(row * k) + kk]) * b[(kk * n) + j];
                    sum += product;
                }

                expected[(row * n) + j] = withBias ? sum + bias[j] : sum;
            }
        }

        Assert.That(c, Is.EqualTo(expected));
    }

    // A deferred operand is packed by the first product that reads panels, and never by products that stream B.
    [Test]
    public void A_deferred_right_operand_is_packed_only_by_a_product_that_reads_panels()
    {
        const int k = 70, n = 93;
        var narrow = new MatMulShape(3, n, k, hasBias: true);
        var wide = new MatMulShape(40, n, k, hasBias: true);
        var (a, b, bias, _, _) = MatMulCheck.Operands(wide);
        using var deferred = Kernels.DeferPackRight(b, k, n, transposed: false);

        var streamed = new float[3 * n];
        Kernels.MatMul(a.AsSpan(0, 3 * k), b, deferred, bias, streamed, narrow);
        Assert.That(deferred.IsPacked, Is.False, "a 3-row product streams B");
        var direct = new float[3 * n];
        Kernels.MatMul(a.AsSpan(0, 3 * k), b, bias, direct, narrow);
        Assert.That(streamed, Is.EqualTo(direct));

        var packedLater = new float[40 * n];
        Kernels.MatMul(a, b, deferred, bias, packedLater, wide);
        Assert.That(deferred.IsPacked, Is.True, "a 40-row product reads panels");
        using var packedNow = Kernels.PackRight(b, k, n, transposed: false);
        var packedFirst = new float[40 * n];
        Kernels.MatMul(a, b, packedNow, bias, packedFirst, wide);
        Assert.That(packedLater, Is.EqualTo(packedFirst), "packed at first use = packed at once");
        MatMulCheck.AssertMatches(packedLater, wide, $"{Target} deferred");

        deferred.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Kernels.MatMul(a, b, deferred, bias, new float[40 * n], wide));
        Assert.Throws<ObjectDisposedException>(() => Kernels.MatMul(a.AsSpan(0, 3 * k), b, deferred, bias, new float[3 * n], narrow), "a streaming product refuses it too");
    }
}
