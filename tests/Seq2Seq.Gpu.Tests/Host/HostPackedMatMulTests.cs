using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Host;

/// <summary>Products with a right operand packed once (the recurrent kernel of a pass) against the reference and the unpacked product.</summary>
[TestFixtureSource(typeof(HostTestBase), nameof(Paths))]
public sealed class HostPackedMatMulTests(HostPath path) : HostTestBase(path)
{
    [TestCase(1, 1, 1, false)]
    [TestCase(5, 19, 37, false)]
    [TestCase(9, 19, 37, true)]
    [TestCase(64, 67, 33, false)]
    [TestCase(64, 33, 67, true)]
    [TestCase(13, 1024, 256, false)]
    public void A_packed_right_operand_gives_the_unpacked_product(int m, int n, int k, bool transposeB) =>
        AssertPackedMatchesUnpacked(new MatMulShape(m, n, k, transposeB: transposeB, accumulate: true), 90, 1e-5);

    // Aᵀ·B over a long K (split into chunks, each reading its rows of the packed panels) and over rows of several tasks.
    [TestCase(40, 93, 4500)]
    [TestCase(301, 230, 300)]
    public void A_packed_right_operand_gives_the_unpacked_product_of_a_transposed_left_operand(int m, int n, int k) =>
        AssertPackedMatchesUnpacked(new MatMulShape(m, n, k, transposeA: true, accumulate: true), 93, 2e-3);

    /// <summary>The product with B packed once against the reference, and bit for bit against packing B at the product.</summary>
    private void AssertPackedMatchesUnpacked(MatMulShape shape, ulong seed, double atol)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        bool transposeA = shape.TransposeA != 0, transposeB = shape.TransposeB != 0;
        var a = Tensors.Random(m * k, seed);
        var b = Tensors.Random(k * n, seed + 1);
        var initial = Tensors.Random(m * n, seed + 2);
        using var packed = Kernels.PackRight(b, k, n, transposeB);
        var c = (float[])initial.Clone();
        var unpacked = (float[])initial.Clone();

        Kernels.MatMul(a, b, packed, [], c, shape);
        Kernels.MatMul(a, b, [], unpacked, shape);

        var expected = initial.ToDouble();
        ReferenceOps.MatMul(a.ToDouble(), b.ToDouble(), null, expected, m, n, k, transposeA, transposeB, accumulate: true);
        Tensors.AssertClose(c, expected, $"packed {shape}", atol, 1e-4);
        Assert.That(c, Is.EqualTo(unpacked), "bit-identical to packing at each product");
    }

    [Test]
    public void A_packed_operand_of_another_shape_is_refused()
    {
        using var packed = Kernels.PackRight(new float[12], 3, 4, transposed: false);
        Assert.That(
            () => Kernels.MatMul(new float[6], new float[12], packed, [], new float[8], new MatMulShape(2, 4, 3, transposeB: true)),
            Throws.TypeOf<Seq2Seq.Gpu.Errors.ShapeException>().With.Message.Contains("packed right operand"));
    }
}
