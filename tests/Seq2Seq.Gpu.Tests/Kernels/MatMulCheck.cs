using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>Runs one matrix product on random operands (C starts non-zero) and compares it with the reference.</summary>
internal static class MatMulCheck
{
    /// <summary>The 16 flag combinations of a shape: transposes, accumulate, bias.</summary>
    public static IEnumerable<MatMulShape> AllFlags(int m, int n, int k)
    {
        for (int flags = 0; flags < 16; flags++)
        {
            yield return new MatMulShape(m, n, k, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0);
        }
    }

    /// <summary>
    /// Uploads A, B, the bias and C with <paramref name="upload"/>, lets <paramref name="product"/> compute
    /// <c>C (=|+=) op(A)·op(B) (+ bias)</c>, and asserts C against <see cref="ReferenceOps.MatMul"/>.
    /// </summary>
    public static void AgainstReference(
        Func<float[], DeviceBuffer<float>> upload, MatMulShape shape, string what, Action<DeviceBuffer<float>, DeviceBuffer<float>, DeviceBuffer<float>?, DeviceBuffer<float>> product)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        bool withBias = shape.HasBias != 0;
        var a = Tensors.Random(m * k, 10);
        var b = Tensors.Random(k * n, 11);
        var bias = Tensors.Random(n, 12);
        var initial = Tensors.Random(m * n, 13);
        var c = upload(initial);

        product(upload(a), upload(b), withBias ? upload(bias) : null, c);

        var expected = initial.ToDouble();
        ReferenceOps.MatMul(
            a.ToDouble(), b.ToDouble(), withBias ? bias.ToDouble() : null, expected, m, n, k, shape.TransposeA != 0, shape.TransposeB != 0, shape.Accumulate != 0);
        Tensors.AssertClose(c.ToArray(), expected, $"{what} {shape}", 1e-5, 1e-4);
    }
}
