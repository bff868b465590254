using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostMatMulTests(HostPath path) : HostTestBase(path)
{
    // Unit sizes, M < K, sizes that are no multiple of the 6-row tile, the vector width or the K block; K above every
    // K block (128/256/512); a product large enough to be split across threads.
    private static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [1, 19, 37],
        [5, 19, 37],
        [17, 3, 5],
        [33, 31, 17],
        [2, 65, 40],
        [13, 70, 600],
        [40, 110, 260],
    ];

    private static readonly (bool, bool)[] EveryTransposition = [(false, false), (true, false), (false, true), (true, true)];

    private static readonly (bool, bool)[] EveryUpdate = [(false, false), (true, false), (false, true), (true, true)];

    private static IEnumerable<TestCaseData> Cases() => Combine(Shapes, EveryTransposition, EveryUpdate);

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

    private static IEnumerable<TestCaseData> LongCases() =>
        Combine(LongShapes, [(true, false), (false, false)], [(false, false), (true, true)]);

    /// <summary>Every shape with every (transposeA, transposeB) and every (accumulate, bias) given.</summary>
    private static IEnumerable<TestCaseData> Combine(int[][] shapes, (bool A, bool B)[] transpositions, (bool Accumulate, bool Bias)[] updates)
    {
        foreach (var s in shapes)
        {
            foreach (var (ta, tb) in transpositions)
            {
                foreach (var (accumulate, bias) in updates)
                {
                    yield return new TestCaseData(s[0], s[1], s[2], ta, tb, accumulate, bias);
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    [TestCaseSource(nameof(LongCases))]
    public void Product_matches_reference(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, bool withBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate, withBias);
        var (a, b, bias, initial) = Operands(m, n, k);
        var expected = initial.ToDouble();
        ReferenceOps.MatMul(a.ToDouble(), b.ToDouble(), withBias ? bias.ToDouble() : null, expected, m, n, k, transposeA, transposeB, accumulate);
        double atol = k <= 64 ? 1e-5 : k <= 1000 ? 5e-5 : 2e-3;

        var c = (float[])initial.Clone();
        Kernels.MatMul(a, b, withBias ? bias : [], c, shape);
        Tensors.AssertClose(c, expected, $"{Path} {shape}", atol, 1e-4);
    }

    // Just above the size where products are threaded, split into several tasks (by columns, by both, by rows); K split
    // into chunks; tasks of more than 16 row blocks.
    [TestCase(64, 260, 70, false, false)]
    [TestCase(40, 93, 300, true, false)]
    [TestCase(101, 64, 170, false, true)]
    [TestCase(40, 93, 4500, true, false)]
    [TestCase(301, 230, 300, false, false)]
    public void Threads_do_not_change_the_result(int m, int n, int k, bool transposeA, bool transposeB)
    {
        var shape = new MatMulShape(m, n, k, transposeA, transposeB, accumulate: true, hasBias: true);
        var (a, b, bias, initial) = Operands(m, n, k);
        var single = (float[])initial.Clone();
        var multi = (float[])initial.Clone();

        SingleThreaded.MatMul(a, b, bias, single, shape);
        TwoThreads.MatMul(a, b, bias, multi, shape);

        Assert.That(multi, Is.EqualTo(single).AsCollection, "two threads against one, bit for bit");
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

    [Test]
    public void Product_rejects_short_spans_a_missing_bias_and_overlap()
    {
        var buffer = new float[64];
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[5], [], new float[4], new MatMulShape(2, 2, 3)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("B of"));
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[6], [], new float[4], new MatMulShape(2, 2, 3, hasBias: true)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("bias"));
        Assert.That(
            () => Kernels.MatMul(buffer.AsSpan(0, 6), buffer.AsSpan(6, 6), [], buffer.AsSpan(10, 4), new MatMulShape(2, 2, 3)),
            Throws.TypeOf<ShapeException>().With.Message.Contains("overlaps"));
    }

    private static (float[] A, float[] B, float[] Bias, float[] Initial) Operands(int m, int n, int k) =>
        (Tensors.Random(m * k, 10), Tensors.Random(k * n, 11), Tensors.Random(n, 12), Tensors.Random(m * n, 13));
}
