using System.Collections.Concurrent;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Random operands of one matrix product (C starts non-zero) and the reference's result, drawn once per shape for the
/// whole run (every target of a suite checks the same product, so the reference is computed once), and the comparison
/// of a backend's C with it.
/// </summary>
internal static class MatMulCheck
{
    private static readonly ConcurrentDictionary<MatMulShape, Lazy<(float[] A, float[] B, float[] Bias, float[] Initial, double[] Expected)>> Cases = new();

    /// <summary>The 16 flag combinations of a shape: transposes, accumulate, bias.</summary>
    public static IEnumerable<MatMulShape> AllFlags(int m, int n, int k)
    {
        for (int flags = 0; flags < 16; flags++)
        {
            yield return new MatMulShape(m, n, k, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0);
        }
    }

    /// <summary>A test case (m, n, k, transposeA, transposeB, accumulate, withBias) of a shape.</summary>
    public static TestCaseData CaseOf(MatMulShape shape) =>
        new(shape.M, shape.N, shape.K, shape.TransposeA != 0, shape.TransposeB != 0, shape.Accumulate != 0, shape.HasBias != 0);

    /// <summary>The absolute tolerance of a product K deep: float rounding grows with the number of terms summed.</summary>
    public static double Atol(int k) => k <= 64 ? 1e-5 : k <= 1000 ? 5e-5 : 2e-3;

    /// <summary>
    /// A [M, K] (or [K, M]), B [K, N] (or [N, K]), the bias [N] and C before the product [M, N], from fixed seeds, and the
    /// reference's C after <c>C (=|+=) op(A)·op(B) (+ bias)</c>. Shared by the run: read them, never write them.
    /// </summary>
    public static (float[] A, float[] B, float[] Bias, float[] Initial, double[] Expected) Operands(MatMulShape shape) =>
        Cases.GetOrAdd(shape, s => new(() => Draw(s))).Value;

    /// <summary>Asserts a backend's C after the product against the reference's (atol <see cref="Atol"/> unless given).</summary>
    public static void AssertMatches(ReadOnlySpan<float> c, MatMulShape shape, string what, double? atol = null) =>
        Tensors.AssertClose(c, Operands(shape).Expected, $"{what} {shape}", atol ?? Atol(shape.K), 1e-4);

    /// <summary>
    /// Uploads A, B, the bias and C with <paramref name="upload"/>, lets <paramref name="product"/> compute
    /// <c>C (=|+=) op(A)·op(B) (+ bias)</c>, and asserts C against <see cref="ReferenceOps.MatMul"/>.
    /// </summary>
    public static void AgainstReference(
        Func<float[], DeviceBuffer<float>> upload, MatMulShape shape, string what, Action<DeviceBuffer<float>, DeviceBuffer<float>, DeviceBuffer<float>?, DeviceBuffer<float>> product)
    {
        var (a, b, bias, initial, _) = Operands(shape);
        var c = upload(initial);

        product(upload(a), upload(b), shape.HasBias != 0 ? upload(bias) : null, c);

        AssertMatches(c.ToArray(), shape, what);
    }

    private static (float[] A, float[] B, float[] Bias, float[] Initial, double[] Expected) Draw(MatMulShape shape)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        var a = Tensors.Random(m * k, 10);
        var b = Tensors.Random(k * n, 11);
        var bias = Tensors.Random(n, 12);
        var initial = Tensors.Random(m * n, 13);
        var expected = initial.ToDouble();
        ReferenceOps.MatMul(
            a.ToDouble(), b.ToDouble(), shape.HasBias != 0 ? bias.ToDouble() : null, expected, m, n, k, shape.TransposeA != 0, shape.TransposeB != 0, shape.Accumulate != 0);
        return (a, b, bias, initial, expected);
    }
}
