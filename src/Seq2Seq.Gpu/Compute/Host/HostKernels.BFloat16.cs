using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>The products with a bfloat16 right operand (inference with <c>--precision bf16</c>).</summary>
internal sealed unsafe partial class HostKernels
{
    /// <summary>
    /// Converts op(B) [K, N] (stored [K, N], or [N, K] when <paramref name="transposed"/>) once to bfloat16, rounded
    /// to nearest even, for <see cref="MatMul(ReadOnlySpan{float}, BFloat16RightOperand, ReadOnlySpan{float}, Span{float}, MatMulShape)"/>.
    /// </summary>
    public BFloat16RightOperand PackRightBFloat16(ReadOnlySpan<float> b, int k, int n, bool transposed)
    {
        RequireNonNegative(k, n, "bfloat16 right operand");
        Require(b.Length, (long)k * n, "bfloat16 right operand");
        var packed = new BFloat16RightOperand(k, n, transposed, backend.BFloat16RightLength(k, n));
        if (k > 0 && n > 0)
        {
            fixed (float* pb = b)
            {
                backend.PackRightBFloat16(pb, k, n, transposed, packed.Data);
            }
        }

        return packed;
    }

    /// <summary>
    /// <c>C (=|+=) A·op(B) (+ bias)</c> with B in bfloat16 (from <see cref="PackRightBFloat16"/> for the shape's K, N
    /// and transposition), widened exactly and accumulated in FP32. A is not transposed.
    /// </summary>
    public void MatMul(ReadOnlySpan<float> a, BFloat16RightOperand packedB, ReadOnlySpan<float> bias, Span<float> c, MatMulShape shape)
    {
        ArgumentNullException.ThrowIfNull(packedB);
        if (packedB.K != shape.K || packedB.N != shape.N || packedB.Transposed != (shape.TransposeB != 0))
        {
            throw new ShapeException($"{shape}: the bfloat16 right operand is {packedB.K}x{packedB.N}{(packedB.Transposed ? ", transposed" : string.Empty)}");
        }

        if (shape.TransposeA != 0)
        {
            throw new ShapeException($"{shape}: a product with a bfloat16 right operand takes A as stored (not transposed)");
        }

        if (!CheckProduct(a, bias, c, shape))
        {
            return;
        }

        fixed (float* pa = a, pbias = bias, pc = c)
        {
            backend.MatMulBFloat16(pa, packedB.Data, shape.HasBias != 0 ? pbias : null, pc, shape, MaxDegreeOfParallelism);
        }
    }
}
