using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Every host loop written once against <see cref="ISimd{TV}"/>. Element-wise results do not depend on how the
/// work is split: a vector tail is computed by the same vector code on a padded copy, and the scalar tails of the
/// plain arithmetic ops use the same operations in the same order as the vector lanes. The loops are compiled fully
/// optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>), not first unoptimised by tiered
/// compilation, which ran them so for the first steps of a run.
/// </summary>
/// <typeparam name="TS">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
internal sealed unsafe partial class SimdBackend<TS, TV> : HostBackend
    where TS : struct, ISimd<TV>
    where TV : unmanaged
{
    /// <summary>Columns a column-sum pass accumulates on the stack at once (4 KB).</summary>
    private const int ColumnBlock = 1024;

    public override int Width => TS.Width;

    public override void MatMul(float* a, float* b, float* bias, float* c, MatMulShape shape, int maxThreads, float* packedB = null) =>
        HostGemm<TS, TV>.Run(a, b, bias, c, shape, maxThreads, packedB);

    public override long PackedRightLength(int k, int n) => HostGemm<TS, TV>.PackedRightLength(k, n);

    public override void PackRight(float* b, MatMulShape shape, float* dst) => HostGemm<TS, TV>.PackRight(b, shape, dst);

    public override bool StreamsRight(MatMulShape shape) => HostGemm<TS, TV>.StreamsRight(shape);

    public override int RowBlock => HostGemm<TS, TV>.Mr;

    public override void MatMulBand(float* a, float* c, MatMulShape shape, float* packedB) => HostGemm<TS, TV>.RunBand(a, c, shape, packedB);

    public override long BFloat16RightLength(int k, int n) => HostBFloat16Gemm<TS, TV>.PackedRightLength(k, n);

    public override void PackRightBFloat16(float* b, int k, int n, bool transposed, ushort* dst) => HostBFloat16Gemm<TS, TV>.PackRight(b, k, n, transposed, dst);

    public override void MatMulBFloat16(float* a, ushort* packedB, float* bias, float* c, MatMulShape shape, int maxThreads) =>
        HostBFloat16Gemm<TS, TV>.Run(a, packedB, bias, c, shape, maxThreads);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Gather(int* ids, float* table, float* bias, float* output, int row0, int row1, int width)
    {
        int w = TS.Width;
        for (int row = row0; row < row1; row++)
        {
            float* src = table + ((nint)ids[row] * width);
            float* dst = output + ((nint)row * width);
            int j = 0;
            if (bias == null)
            {
                for (; j <= width - w; j += w)
                {
                    TS.Store(dst + j, TS.Load(src + j));
                }

                for (; j < width; j++)
                {
                    dst[j] = src[j];
                }
            }
            else
            {
                for (; j <= width - w; j += w)
                {
                    TS.Store(dst + j, TS.Add(TS.Load(src + j), TS.Load(bias + j)));
                }

                for (; j < width; j++)
                {
                    dst[j] = src[j] + bias[j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void ScatterAdd(int* ids, float* gradOutput, float* gradTable, int rows, int width, int col0, int col1)
    {
        int w = TS.Width;
        for (int row = 0; row < rows; row++)
        {
            float* src = gradOutput + ((nint)row * width);
            float* dst = gradTable + ((nint)ids[row] * width);
            int j = col0;
            for (; j <= col1 - w; j += w)
            {
                TS.Store(dst + j, TS.Add(TS.Load(dst + j), TS.Load(src + j)));
            }

            for (; j < col1; j++)
            {
                dst[j] += src[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void ColumnSum(float* input, float* output, int rows, int cols, int col0, int col1, bool accumulate)
    {
        int w = TS.Width;
        float* sums = stackalloc float[ColumnBlock];
        for (int start = col0; start < col1; start += ColumnBlock)
        {
            int count = Math.Min(ColumnBlock, col1 - start);
            new Span<float>(sums, count).Clear();

            // Row by row (streaming through memory); every column still adds its rows in order 0..rows-1.
            for (int row = 0; row < rows; row++)
            {
                float* src = input + ((nint)row * cols) + start;
                int j = 0;
                for (; j <= count - w; j += w)
                {
                    TS.Store(sums + j, TS.Add(TS.Load(sums + j), TS.Load(src + j)));
                }

                for (; j < count; j++)
                {
                    sums[j] += src[j];
                }
            }

            float* dst = output + start;
            for (int j = 0; j < count; j++)
            {
                dst[j] = accumulate ? dst[j] + sums[j] : sums[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void CrossEntropy(float* logits, int* targets, float* rowLoss, float* rowCorrect, int row0, int row1, int vocab, float scale)
    {
        for (int n = row0; n < row1; n++)
        {
            float* x = logits + ((nint)n * vocab);
            int target = targets[n];
            if (target < 0)
            {
                new Span<float>(x, vocab).Clear();
                rowLoss[n] = 0f;
                rowCorrect[n] = 0f;
                continue;
            }

            int best = ArgmaxRow(x, vocab);
            float max = x[best];
            float xt = x[target];
            float sum = ExpShiftedInPlace(x, vocab, max);
            rowLoss[n] = MathF.Log(sum) + max - xt;
            rowCorrect[n] = best == target ? 1f : 0f;

            // Gradient (softmax - onehot)·scale; x holds e^(x - max).
            float inverse = 1f / sum;
            float et = x[target];
            ScaleTwice(x, vocab, inverse, scale);
            x[target] = ((et * inverse) - 1f) * scale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Argmax(float* logits, int* ids, int row0, int row1, int vocab)
    {
        for (int n = row0; n < row1; n++)
        {
            ids[n] = ArgmaxRow(logits + ((nint)n * vocab), vocab);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Dropout(float* input, float* output, int e0, int e1, DropoutMask mask)
    {
        // Scalar on purpose: the mask is a 64-bit integer hash per element, which ISimd has no lanes for, and the
        // multiply is the kernel's (input·scale, one rounding), so both backends give the same bits.
        for (int e = e0; e < e1; e++)
        {
            output[e] = mask.Keeps(e) ? input[e] * mask.Scale : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void RmsProp(float* weights, float* gradients, float* meanSquare, int count, float learningRate, float rho, float epsilon, float gradScale)
    {
        // Same operations in the same order as OptimizerKernels.RmsProp (no fused multiply-add).
        int w = TS.Width;
        float oneMinusRho = 1f - rho;
        TV vScale = TS.Splat(gradScale);
        TV vRho = TS.Splat(rho);
        TV vOneMinusRho = TS.Splat(oneMinusRho);
        TV vLr = TS.Splat(learningRate);
        TV vEps = TS.Splat(epsilon);
        int e = 0;
        for (; e <= count - w; e += w)
        {
            TV g = TS.Multiply(TS.Load(gradients + e), vScale);
            TV v = TS.Add(TS.Multiply(vRho, TS.Load(meanSquare + e)), TS.Multiply(TS.Multiply(vOneMinusRho, g), g));
            TS.Store(meanSquare + e, v);
            TV step = TS.Divide(TS.Multiply(vLr, g), TS.Add(TS.Sqrt(v), vEps));
            TS.Store(weights + e, TS.Subtract(TS.Load(weights + e), step));
        }

        for (; e < count; e++)
        {
            float g = gradients[e] * gradScale;
            float v = (rho * meanSquare[e]) + (oneMinusRho * g * g);
            meanSquare[e] = v;
            weights[e] -= learningRate * g / (MathF.Sqrt(v) + epsilon);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Adam(float* weights, float* gradients, float* firstMoment, float* secondMoment, int count, AdamStep step)
    {
        // Same operations in the same order as OptimizerKernels.Adam (no fused multiply-add).
        int w = TS.Width;
        float beta1 = step.Beta1;
        float beta2 = step.Beta2;
        float oneMinusBeta1 = 1f - beta1;
        float oneMinusBeta2 = 1f - beta2;
        float gradScale = step.GradScale;
        float stepSize = step.StepSize;
        float epsilon = step.Epsilon;
        TV vScale = TS.Splat(gradScale);
        TV vBeta1 = TS.Splat(beta1);
        TV vBeta2 = TS.Splat(beta2);
        TV vOneMinusBeta1 = TS.Splat(oneMinusBeta1);
        TV vOneMinusBeta2 = TS.Splat(oneMinusBeta2);
        TV vStep = TS.Splat(stepSize);
        TV vEps = TS.Splat(epsilon);
        int e = 0;
        for (; e <= count - w; e += w)
        {
            TV g = TS.Multiply(TS.Load(gradients + e), vScale);
            TV m = TS.Add(TS.Multiply(vBeta1, TS.Load(firstMoment + e)), TS.Multiply(vOneMinusBeta1, g));
            TV v = TS.Add(TS.Multiply(vBeta2, TS.Load(secondMoment + e)), TS.Multiply(TS.Multiply(vOneMinusBeta2, g), g));
            TS.Store(firstMoment + e, m);
            TS.Store(secondMoment + e, v);
            TV delta = TS.Divide(TS.Multiply(vStep, m), TS.Add(TS.Sqrt(v), vEps));
            TS.Store(weights + e, TS.Subtract(TS.Load(weights + e), delta));
        }

        for (; e < count; e++)
        {
            float g = gradients[e] * gradScale;
            float m = (beta1 * firstMoment[e]) + (oneMinusBeta1 * g);
            float v = (beta2 * secondMoment[e]) + (oneMinusBeta2 * g * g);
            firstMoment[e] = m;
            secondMoment[e] = v;
            weights[e] -= stepSize * m / (MathF.Sqrt(v) + epsilon);
        }
    }

    public override double Sum(float* data, int count, bool squares) => TS.SumToDouble(data, count, squares);

    /// <summary>Index of the first largest element of a row: exactly the kernels' strict-greater scan.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ArgmaxRow(float* x, int vocab)
    {
        int w = TS.Width;
        if (vocab >= w && !float.IsNaN(x[0]))
        {
            // The maximum, ignoring NaN lanes (x64 max returns its second operand, the accumulator, for a NaN) ...
            TV acc = TS.Splat(x[0]);
            int j = 0;
            for (; j <= vocab - w; j += w)
            {
                acc = TS.Max(TS.Load(x + j), acc);
            }

            if (j < vocab)
            {
                acc = TS.Max(TS.Load(x + vocab - w), acc);
            }

            // ... then its first occurrence.
            TV max = TS.Splat(TS.MaxAcross(acc));
            for (j = 0; j <= vocab - w; j += w)
            {
                int lane = TS.FirstEqual(TS.Load(x + j), max);
                if (lane >= 0)
                {
                    return j + lane;
                }
            }

            if (j < vocab)
            {
                int lane = TS.FirstEqual(TS.Load(x + vocab - w), max);
                if (lane >= 0)
                {
                    return vocab - w + lane;
                }
            }
        }

        // Short rows, a leading NaN, or a maximum the hardware found differently: the kernels' scan.
        float best = x[0];
        int index = 0;
        for (int v = 1; v < vocab; v++)
        {
            if (x[v] > best)
            {
                best = x[v];
                index = v;
            }
        }

        return index;
    }

    /// <summary>x[v] = e^(x[v] - max) in place; returns Σ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static float ExpShiftedInPlace(float* x, int vocab, float max)
    {
        int w = TS.Width;
        TV vmax = TS.Splat(max);
        TV acc = TS.Zero;
        int j = 0;
        for (; j <= vocab - w; j += w)
        {
            TV e = VectorMath<TS, TV>.Exp(TS.Subtract(TS.Load(x + j), vmax));
            TS.Store(x + j, e);
            acc = TS.Add(acc, e);
        }

        if (j < vocab)
        {
            float* buffer = stackalloc float[16];
            LoadPadded(x + j, vocab - j, buffer, float.NegativeInfinity);
            TV e = VectorMath<TS, TV>.Exp(TS.Subtract(TS.Load(buffer), vmax));
            acc = TS.Add(acc, e);
            TS.Store(buffer, e);
            Copy(buffer, x + j, vocab - j);
        }

        return TS.SumAcross(acc);
    }

    /// <summary>x[v] = (x[v]·first)·second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleTwice(float* x, int count, float first, float second)
    {
        int w = TS.Width;
        TV a = TS.Splat(first);
        TV b = TS.Splat(second);
        int j = 0;
        for (; j <= count - w; j += w)
        {
            TS.Store(x + j, TS.Multiply(TS.Multiply(TS.Load(x + j), a), b));
        }

        for (; j < count; j++)
        {
            x[j] = x[j] * first * second;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoadPadded(float* source, int count, float* buffer, float padding)
    {
        int w = TS.Width;
        for (int j = 0; j < count; j++)
        {
            buffer[j] = source[j];
        }

        for (int j = count; j < w; j++)
        {
            buffer[j] = padding;
        }
    }

    /// <summary>Copies the first <paramref name="count"/> units of each of <paramref name="gates"/> gate rows between strides.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyGates(float* source, nint sourceStride, float* destination, nint destinationStride, int gates, int count)
    {
        for (int gate = 0; gate < gates; gate++)
        {
            Copy(source + (gate * sourceStride), destination + (gate * destinationStride), count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Copy(float* source, float* destination, int count)
    {
        for (int j = 0; j < count; j++)
        {
            destination[j] = source[j];
        }
    }
}
