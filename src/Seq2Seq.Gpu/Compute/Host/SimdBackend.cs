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
    [SkipLocalsInit]
    public override void LstmForward(float* gates, float* cPrev, float* hPrev, float* cNext, float* hNext, int* mask, int b0, int b1, int hidden, float slope)
    {
        int w = TS.Width;
        float* buffer = stackalloc float[8 * 16];
        for (int b = b0; b < b1; b++)
        {
            float* g = gates + ((nint)b * LstmGates.Count * hidden);
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                ForwardVector(g + j, hidden, cPrev + s + j, hPrev + s + j, cNext + s + j, hNext + s + j, keep, slope);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                new Span<float>(buffer, 8 * w).Clear();
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(g + ((nint)gate * hidden) + j, buffer + (gate * w), rest);
                }

                Copy(cPrev + s + j, buffer + (4 * w), rest);
                Copy(hPrev + s + j, buffer + (5 * w), rest);
                ForwardVector(buffer, w, buffer + (4 * w), buffer + (5 * w), buffer + (6 * w), buffer + (7 * w), keep, slope);
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(buffer + (gate * w), g + ((nint)gate * hidden) + j, rest);
                }

                Copy(buffer + (6 * w), cNext + s + j, rest);
                Copy(buffer + (7 * w), hNext + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void LstmBackward(
        float* activations, float* cPrev, float* cNext, float* dhExternal, float* dhCarry, float* dcCarry, float* dGates, int* mask, int b0, int b1, int hidden, float slope)
    {
        int w = TS.Width;
        float* buffer = stackalloc float[13 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * LstmGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            float* dhx = dhExternal == null ? null : dhExternal + s;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                BackwardVector(
                    activations + row + j, hidden, cPrev + s + j, cNext + s + j, dhx == null ? null : dhx + j, dhCarry + s + j, dcCarry + s + j, dGates + row + j, keep, slope);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                new Span<float>(buffer, 13 * w).Clear();
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(activations + row + ((nint)gate * hidden) + j, buffer + (gate * w), rest);
                }

                float* tcPrev = buffer + (4 * w);
                float* tcNext = buffer + (5 * w);
                float* tdhx = buffer + (6 * w);
                float* tdhc = buffer + (7 * w);
                float* tdcc = buffer + (8 * w);
                float* tdg = buffer + (9 * w);
                Copy(cPrev + s + j, tcPrev, rest);
                Copy(cNext + s + j, tcNext, rest);
                if (dhx != null)
                {
                    Copy(dhx + j, tdhx, rest);
                }

                Copy(dhCarry + s + j, tdhc, rest);
                Copy(dcCarry + s + j, tdcc, rest);
                BackwardVector(buffer, w, tcPrev, tcNext, dhx == null ? null : tdhx, tdhc, tdcc, tdg, keep, slope);
                for (int gate = 0; gate < LstmGates.Count; gate++)
                {
                    Copy(tdg + (gate * w), dGates + row + ((nint)gate * hidden) + j, rest);
                }

                Copy(tdhc, dhCarry + s + j, rest);
                Copy(tdcc, dcCarry + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void GruForward(float* inputGates, float* recurrentGates, float* hPrev, float* hNext, int* mask, int b0, int b1, int hidden)
    {
        int w = TS.Width;

        // The tail's padded copies: gx and gh (three vectors each), h_prev, h_next; a vector is at most 16 floats.
        float* buffer = stackalloc float[8 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * GruGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                GruForwardVector(inputGates + row + j, recurrentGates + row + j, hidden, hPrev + s + j, hNext + s + j, keep);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                // The tail goes through the same vector code on a zero-padded copy.
                new Span<float>(buffer, 8 * w).Clear();
                float* tgx = buffer;
                float* tgh = buffer + (3 * w);
                float* thp = buffer + (6 * w);
                float* thn = buffer + (7 * w);
                CopyGates(inputGates + row + j, hidden, tgx, w, GruGates.Count, rest);
                CopyGates(recurrentGates + row + j, hidden, tgh, w, GruGates.Count, rest);
                Copy(hPrev + s + j, thp, rest);
                GruForwardVector(tgx, tgh, w, thp, thn, keep);
                CopyGates(tgx, w, inputGates + row + j, hidden, GruGates.Count, rest);
                Copy(thn, hNext + s + j, rest);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void GruBackward(
        float* activations, float* recurrentGates, float* hPrev, float* dhExternal, float* dhCarry, float* dInputGates, float* dRecurrentGates, int* mask, int b0, int b1, int hidden)
    {
        int w = TS.Width;

        // The tail's padded copies: activations, gh, dInputGates, dRecurrentGates (three vectors each), h_prev, dh
        // external, dh carry.
        float* buffer = stackalloc float[15 * 16];
        for (int b = b0; b < b1; b++)
        {
            nint row = (nint)b * GruGates.Count * hidden;
            nint s = (nint)b * hidden;
            bool keep = mask != null && mask[b] == 0;
            float* dhx = dhExternal == null ? null : dhExternal + s;
            int j = 0;
            for (; j <= hidden - w; j += w)
            {
                GruBackwardVector(
                    activations + row + j, recurrentGates + row + j, hidden, hPrev + s + j, dhx == null ? null : dhx + j, dhCarry + s + j, dInputGates + row + j, dRecurrentGates + row + j, keep);
            }

            int rest = hidden - j;
            if (rest > 0)
            {
                new Span<float>(buffer, 15 * w).Clear();
                float* tact = buffer;
                float* tgh = buffer + (3 * w);
                float* tdgx = buffer + (6 * w);
                float* tdgh = buffer + (9 * w);
                float* thp = buffer + (12 * w);
                float* tdhx = buffer + (13 * w);
                float* tdhc = buffer + (14 * w);
                CopyGates(activations + row + j, hidden, tact, w, GruGates.Count, rest);
                CopyGates(recurrentGates + row + j, hidden, tgh, w, GruGates.Count, rest);
                Copy(hPrev + s + j, thp, rest);
                if (dhx != null)
                {
                    Copy(dhx + j, tdhx, rest);
                }

                Copy(dhCarry + s + j, tdhc, rest);
                GruBackwardVector(tact, tgh, w, thp, dhx == null ? null : tdhx, tdhc, tdgx, tdgh, keep);
                CopyGates(tdgx, w, dInputGates + row + j, hidden, GruGates.Count, rest);
                CopyGates(tdgh, w, dRecurrentGates + row + j, hidden, GruGates.Count, rest);
                Copy(tdhc, dhCarry + s + j, rest);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardVector(float* g, nint gateStride, float* cp, float* hp, float* cn, float* hn, bool keep, float slope)
    {
        TV i = Gate(TS.Load(g), slope);
        TV f = Gate(TS.Load(g + gateStride), slope);
        TV cell = VectorMath<TS, TV>.Tanh(TS.Load(g + (2 * gateStride)));
        TV o = Gate(TS.Load(g + (3 * gateStride)), slope);
        TS.Store(g, i);
        TS.Store(g + gateStride, f);
        TS.Store(g + (2 * gateStride), cell);
        TS.Store(g + (3 * gateStride), o);
        if (keep)
        {
            TV cKeep = TS.Load(cp);
            TV hKeep = TS.Load(hp);
            TS.Store(cn, cKeep);
            TS.Store(hn, hKeep);
        }
        else
        {
            TV c = TS.Add(TS.Multiply(f, TS.Load(cp)), TS.Multiply(i, cell));
            TS.Store(cn, c);
            TS.Store(hn, TS.Multiply(o, VectorMath<TS, TV>.Tanh(c)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardVector(float* act, nint gateStride, float* cp, float* cn, float* dhx, float* dhc, float* dcc, float* dg, bool keep, float slope)
    {
        TV dh = TS.Load(dhc);
        if (dhx != null)
        {
            dh = TS.Add(dh, TS.Load(dhx));
        }

        if (keep)
        {
            // The state passed through unchanged: so do its gradients (dc_prev = dc is left as it is).
            TS.Store(dg, TS.Zero);
            TS.Store(dg + gateStride, TS.Zero);
            TS.Store(dg + (2 * gateStride), TS.Zero);
            TS.Store(dg + (3 * gateStride), TS.Zero);
            TS.Store(dhc, dh);
            return;
        }

        TV one = TS.Splat(1f);
        TV i = TS.Load(act);
        TV f = TS.Load(act + gateStride);
        TV g = TS.Load(act + (2 * gateStride));
        TV o = TS.Load(act + (3 * gateStride));
        TV tc = VectorMath<TS, TV>.Tanh(TS.Load(cn));
        TV dc = TS.Add(TS.Load(dcc), TS.Multiply(TS.Multiply(dh, o), TS.Subtract(one, TS.Multiply(tc, tc))));
        if (slope == 0f)
        {
            TS.Store(dg, TS.Multiply(TS.Multiply(TS.Multiply(dc, g), i), TS.Subtract(one, i)));
            TS.Store(dg + gateStride, TS.Multiply(TS.Multiply(TS.Multiply(dc, TS.Load(cp)), f), TS.Subtract(one, f)));
            TS.Store(dg + (3 * gateStride), TS.Multiply(TS.Multiply(TS.Multiply(dh, tc), o), TS.Subtract(one, o)));
        }
        else
        {
            TS.Store(dg, TS.Multiply(TS.Multiply(dc, g), HardDerivative(i, slope)));
            TS.Store(dg + gateStride, TS.Multiply(TS.Multiply(dc, TS.Load(cp)), HardDerivative(f, slope)));
            TS.Store(dg + (3 * gateStride), TS.Multiply(TS.Multiply(dh, tc), HardDerivative(o, slope)));
        }

        TS.Store(dg + (2 * gateStride), TS.Multiply(TS.Multiply(dc, i), TS.Subtract(one, TS.Multiply(g, g))));
        TS.Store(dcc, TS.Multiply(dc, f));
        TS.Store(dhc, TS.Zero);
    }

    /// <summary>The recurrent activation: the sigmoid when <paramref name="slope"/> is 0, else the hard sigmoid clip(slope·x + 0.5, 0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Gate(TV x, float slope) => slope == 0f
        ? VectorMath<TS, TV>.Sigmoid(x)
        : TS.Min(TS.Splat(1f), TS.Max(TS.Zero, TS.MultiplyAdd(x, TS.Splat(slope), TS.Splat(0.5f))));

    /// <summary>A hard sigmoid's derivative from its value y: the slope where 0 &lt; y &lt; 1, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV HardDerivative(TV y, float slope) =>
        TS.Select(TS.LessThan(TS.Zero, y), TS.Select(TS.LessThan(y, TS.Splat(1f)), TS.Splat(slope), TS.Zero), TS.Zero);

    /// <summary>
    /// One vector of GRU units: r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n) replace gx;
    /// h' = z·h + (1 - z)·n, or h for a kept row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruForwardVector(float* gx, float* gh, nint gateStride, float* hp, float* hn, bool keep)
    {
        TV r = VectorMath<TS, TV>.Sigmoid(TS.Add(TS.Load(gx), TS.Load(gh)));
        TV z = VectorMath<TS, TV>.Sigmoid(TS.Add(TS.Load(gx + gateStride), TS.Load(gh + gateStride)));
        TV n = VectorMath<TS, TV>.Tanh(TS.Add(TS.Load(gx + (2 * gateStride)), TS.Multiply(r, TS.Load(gh + (2 * gateStride)))));
        TV h = TS.Load(hp);
        TS.Store(gx, r);
        TS.Store(gx + gateStride, z);
        TS.Store(gx + (2 * gateStride), n);
        TS.Store(hn, keep ? h : TS.Add(TS.Multiply(z, h), TS.Multiply(TS.Subtract(TS.Splat(1f), z), n)));
    }

    /// <summary>One vector of GRU units backward (see <see cref="GruCellKernels.Backward"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruBackwardVector(float* act, float* gh, nint gateStride, float* hp, float* dhx, float* dhc, float* dgx, float* dgh, bool keep)
    {
        TV dh = TS.Load(dhc);
        if (dhx != null)
        {
            dh = TS.Add(dh, TS.Load(dhx));
        }

        if (keep)
        {
            // The state passed through unchanged: so does its gradient, and no gate saw it.
            for (int gate = 0; gate < GruGates.Count; gate++)
            {
                TS.Store(dgx + (gate * gateStride), TS.Zero);
                TS.Store(dgh + (gate * gateStride), TS.Zero);
            }

            TS.Store(dhc, dh);
            return;
        }

        TV one = TS.Splat(1f);
        TV r = TS.Load(act);
        TV z = TS.Load(act + gateStride);
        TV n = TS.Load(act + (2 * gateStride));
        TV dnPre = TS.Multiply(TS.Multiply(dh, TS.Subtract(one, z)), TS.Subtract(one, TS.Multiply(n, n)));
        TV drPre = TS.Multiply(TS.Multiply(TS.Multiply(dnPre, TS.Load(gh + (2 * gateStride))), r), TS.Subtract(one, r));
        TV dzPre = TS.Multiply(TS.Multiply(TS.Multiply(dh, TS.Subtract(TS.Load(hp), n)), z), TS.Subtract(one, z));
        TS.Store(dgx, drPre);
        TS.Store(dgx + gateStride, dzPre);
        TS.Store(dgx + (2 * gateStride), dnPre);
        TS.Store(dgh, drPre);
        TS.Store(dgh + gateStride, dzPre);
        TS.Store(dgh + (2 * gateStride), TS.Multiply(dnPre, r));
        TS.Store(dhc, TS.Multiply(dh, z));
    }

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
