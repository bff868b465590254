using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>
/// The products with a bfloat16 right operand, in every instruction set, against plain loops in double on awkward
/// shapes (K and N no multiple of any vector width, one row and several, rows past the six-row blocks).
/// <para>
/// Bounds. Rounding b to bfloat16 (8 significant bits, nearest even) gives b̃ = b(1 + δ) with |δ| ≤ 2⁻⁸, so
/// |Σ a·b̃ − Σ a·b| ≤ 2⁻⁸·Σ|a·b|. Accumulating K products (fused multiply-adds) in FP32, then adding C and the bias,
/// adds at most (K + 2)·2⁻²⁴ of the magnitudes involved (the usual γₙ bound, with 2⁻²³ to spare). So against the
/// exact FP32 operands: |c − ref| ≤ (2⁻⁸ + (K + 2)·2⁻²³)·S, and against the bfloat16-rounded operands, where only the
/// FP32 accumulation remains: |c − ref̃| ≤ (K + 2)·2⁻²³·S, with S = Σ|a·b| + |c₀| + |bias| per element.
/// </para>
/// </summary>
[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.HostInstructionSets))]
public sealed class HostBFloat16MatMulTests(TestTarget target) : HostTestBase(target)
{
    private static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [1, 37, 19],
        [1, 1030, 256],
        [2, 45, 3],
        [7, 45, 130],
        [13, 100, 257],
        [64, 93, 256],
    ];

    private static IEnumerable<TestCaseData> Cases() =>
        from s in Shapes
        from transposeB in new[] { false, true }
        from update in new[] { false, true }
        select new TestCaseData(s[0], s[1], s[2], transposeB, update);

    [TestCaseSource(nameof(Cases))]
    public void Product_is_within_the_bfloat16_bound_of_the_exact_one(int m, int n, int k, bool transposeB, bool accumulateWithBias)
    {
        var shape = new MatMulShape(m, n, k, transposeA: false, transposeB, accumulate: accumulateWithBias, hasBias: accumulateWithBias);
        var (a, b, bias, initial) = Operands(m, n, k, seed: (m * 7919) + (n * 31) + k);
        var rounded = b.Select(v => BFloat16.ToSingle(BFloat16.FromSingle(v))).ToArray();
        using var packed = Kernels.PackRightBFloat16(b, k, n, transposeB);
        var c = (float[])initial.Clone();

        Kernels.MatMul(a, packed, accumulateWithBias ? bias : [], c, shape);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double exact = 0, roundedSum = 0, magnitude = 0;
                for (int kk = 0; kk < k; kk++)
                {
                    int at = transposeB ? (j * k) + kk : (kk * n) + j;
                    exact += (double)a[(i * k) + kk] * b[at];
                    roundedSum += (double)a[(i * k) + kk] * rounded[at];
                    magnitude += Math.Abs((double)a[(i * k) + kk] * b[at]);
                }

                double offset = accumulateWithBias ? (double)initial[(i * n) + j] + bias[j] : 0;
                magnitude += accumulateWithBias ? Math.Abs(initial[(i * n) + j]) + Math.Abs(bias[j]) : 0;
                double accumulation = (k + 2) * Math.ScaleB(1, -23) * magnitude;
                double value = c[(i * n) + j];
                Assert.That(Math.Abs(value - (roundedSum + offset)), Is.LessThanOrEqualTo(accumulation), $"({i}, {j}) against the rounded operands, {Target}");
                Assert.That(Math.Abs(value - (exact + offset)), Is.LessThanOrEqualTo(accumulation + (Math.ScaleB(1, -8) * magnitude)), $"({i}, {j}) against the exact operands, {Target}");
            }
        }
    }

    // Wide products, and narrow ones whose B (at least 256 KB) is split over the threads although their flops are few.
    [TestCase(64, 1030, 256)]
    [TestCase(13, 333, 100)]
    [TestCase(1, 1030, 256)]
    [TestCase(5, 600, 300)]
    public void Result_does_not_depend_on_the_number_of_threads(int m, int n, int k)
    {
        var shape = new MatMulShape(m, n, k, hasBias: true);
        var (a, b, bias, _) = Operands(m, n, k, seed: 3);
        using var packed = SingleThreaded.PackRightBFloat16(b, k, n, transposed: false);
        var one = new float[m * n];
        var two = new float[m * n];

        SingleThreaded.MatMul(a, packed, bias, one, shape);
        TwoThreads.MatMul(a, packed, bias, two, shape);

        Assert.That(two, Is.EqualTo(one));
    }

    [Test]
    public void An_operand_of_another_shape_or_a_transposed_a_is_refused()
    {
        var a = new float[2 * 5];
        using var packed = Kernels.PackRightBFloat16(new float[5 * 3], 5, 3, transposed: false);

        var wrongShape = Assert.Throws<ShapeException>(() => Kernels.MatMul(a, packed, [], new float[2 * 4], new MatMulShape(2, 4, 5)));
        var transposedA = Assert.Throws<ShapeException>(() => Kernels.MatMul(new float[5 * 2], packed, [], new float[2 * 3], new MatMulShape(2, 3, 5, transposeA: true)));
        var shortB = Assert.Throws<ShapeException>(() => Kernels.PackRightBFloat16(new float[14], 5, 3, transposed: false));

        Assert.That(wrongShape!.Message, Does.Contain("bfloat16 right operand is 5x3"));
        Assert.That(transposedA!.Message, Does.Contain("not transposed"));
        Assert.That(shortB!.Message, Does.Contain("bfloat16 right operand"));
    }

    private static (float[] A, float[] B, float[] Bias, float[] C) Operands(int m, int n, int k, int seed)
    {
        var random = new Random(seed);
        float Next() => (float)((random.NextDouble() * 2) - 1);
        return (
            Enumerable.Range(0, m * k).Select(_ => Next()).ToArray(),
            Enumerable.Range(0, k * n).Select(_ => Next()).ToArray(),
            Enumerable.Range(0, n).Select(_ => Next()).ToArray(),
            Enumerable.Range(0, m * n).Select(_ => Next()).ToArray());
    }
}
