using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The attention loops (see <see cref="AttentionKernels"/> for the operations and <see cref="AttentionShape"/> for the
/// layouts) and the elementwise tanh: dot products and weighted sums of rows over the width W in vectors, the softmax
/// over the Ts source positions of a row in scalars (Ts is tens, W hundreds), one batch row (sentence) at a time.
/// </summary>
internal sealed unsafe partial class SimdBackend<TS, TV>
{
    /// <summary>Query rows (or key columns) of one sentence computed together.</summary>
    private const int Group = GroupRows.MaxCount;

    // Query rows (or key columns) go in groups of four that share every load of the sentence's keys, values or inputs;
    // a row's results do not depend on its group (each element is summed alone, in the same order).

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void AttentionWeights(float* queries, float* keys, int* mask, float* weights, AttentionShape shape, int b0, int b1)
    {
        int width = shape.Width;
        float* scores = stackalloc float[Group];
        for (int b = b0; b < b1; b++)
        {
            for (int t = 0; t < shape.Queries; t += Group)
            {
                int group = Math.Min(Group, shape.Queries - t);
                var rows = new GroupRows(t, shape.Batch, b, group);
                for (int s = 0; s < shape.Keys; s++)
                {
                    if (mask == null || mask[(s * shape.Batch) + b] != 0)
                    {
                        Dots(queries, width, rows, keys + ((((nint)s * shape.Batch) + b) * width), scores);
                        for (int k = 0; k < group; k++)
                        {
                            weights[(rows[k] * shape.Keys) + s] = scores[k];
                        }
                    }
                }

                for (int k = 0; k < group; k++)
                {
                    MaskedSoftmax(weights + (rows[k] * shape.Keys), mask, b, shape);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionContext(float* weights, float* values, float* context, AttentionShape shape, int b0, int b1)
    {
        int width = shape.Width;
        nint stride = (nint)shape.Batch * width;
        for (int b = b0; b < b1; b++)
        {
            for (int t = 0; t < shape.Queries; t += Group)
            {
                var rows = new GroupRows(t, shape.Batch, b, Math.Min(Group, shape.Queries - t));
                WeightedRowSums(rows.Offsets(shape.Keys), weights, 1, values + ((nint)b * width), stride, shape.Keys, rows.Offsets(width), context, width, shape.Accumulate != 0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionTransposedContext(float* weights, float* inputs, float* output, AttentionShape shape, int b0, int b1)
    {
        int width = shape.Width;
        nint stride = (nint)shape.Batch * width;
        for (int b = b0; b < b1; b++)
        {
            for (int s = 0; s < shape.Keys; s += Group)
            {
                // Column s' of the weights starts at b·Ts + s' and steps B·Ts a query; its output row is s'·B + b.
                var columns = new GroupRows(s, shape.Batch, b, Math.Min(Group, shape.Keys - s));
                var coefficients = new GroupOffsets(columns.Count, ((nint)b * shape.Keys) + s, 1);
                WeightedRowSums(coefficients, weights, (nint)shape.Batch * shape.Keys, inputs + ((nint)b * width), stride, shape.Queries, columns.Offsets(width), output, width, shape.Accumulate != 0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void AttentionWeightsBackward(float* weights, float* dContext, float* values, float* dScores, AttentionShape shape, int b0, int b1)
    {
        int width = shape.Width;
        float* products = stackalloc float[Group];
        for (int b = b0; b < b1; b++)
        {
            for (int t = 0; t < shape.Queries; t += Group)
            {
                int group = Math.Min(Group, shape.Queries - t);
                var rows = new GroupRows(t, shape.Batch, b, group);
                for (int s = 0; s < shape.Keys; s++)
                {
                    Dots(dContext, width, rows, values + ((((nint)s * shape.Batch) + b) * width), products);
                    for (int k = 0; k < group; k++)
                    {
                        dScores[(rows[k] * shape.Keys) + s] = products[k];
                    }
                }

                for (int k = 0; k < group; k++)
                {
                    // Through the softmax: ds_s = a_s·(da_s − Σ_s' a_s'·da_s').
                    float* a = weights + (rows[k] * shape.Keys);
                    float* ds = dScores + (rows[k] * shape.Keys);
                    float dot = 0f;
                    for (int s = 0; s < shape.Keys; s++)
                    {
                        dot += a[s] * ds[s];
                    }

                    for (int s = 0; s < shape.Keys; s++)
                    {
                        ds[s] = a[s] * (ds[s] - dot);
                    }
                }
            }
        }
    }

    /// <summary>The masked softmax of one row of scores [Ts] in place: masked positions get 0, a fully masked row all 0.</summary>
    private static void MaskedSoftmax(float* output, int* mask, int b, AttentionShape shape)
    {
        float max = float.NegativeInfinity;
        for (int s = 0; s < shape.Keys; s++)
        {
            if (mask == null || mask[(s * shape.Batch) + b] != 0)
            {
                max = Math.Max(max, output[s]);
            }
        }

        float sum = 0f;
        for (int s = 0; s < shape.Keys; s++)
        {
            bool kept = mask == null || mask[(s * shape.Batch) + b] != 0;
            float e = kept ? MathF.Exp(output[s] - max) : 0f;
            output[s] = e;
            sum += e;
        }

        float inverse = sum > 0f ? 1f / sum : 0f;
        for (int s = 0; s < shape.Keys; s++)
        {
            output[s] *= inverse;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public override void Tanh(float* input, float* output, int e0, int e1)
    {
        int w = TS.Width;
        int e = e0;
        for (; e <= e1 - w; e += w)
        {
            TS.Store(output + e, VectorMath<TS, TV>.Tanh(TS.Load(input + e)));
        }

        if (e < e1)
        {
            // The tail goes through the same vector code on a zero-padded copy.
            float* buffer = stackalloc float[16];
            new Span<float>(buffer, w).Clear();
            Copy(input + e, buffer, e1 - e);
            TS.Store(buffer, VectorMath<TS, TV>.Tanh(TS.Load(buffer)));
            Copy(buffer, output + e, e1 - e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void TanhBackward(float* output, float* gradOutput, float* gradInput, int e0, int e1)
    {
        int w = TS.Width;
        var one = TS.Splat(1f);
        int e = e0;
        for (; e <= e1 - w; e += w)
        {
            var y = TS.Load(output + e);
            TS.Store(gradInput + e, TS.Multiply(TS.Load(gradOutput + e), TS.Subtract(one, TS.Multiply(y, y))));
        }

        for (; e < e1; e++)
        {
            float y = output[e];
            gradInput[e] = gradOutput[e] * (1f - (y * y));
        }
    }

    /// <summary>
    /// The dot products of the rows <paramref name="rows"/> of <paramref name="x"/> (each <paramref name="width"/> wide)
    /// with <paramref name="y"/>, into <paramref name="results"/>: each summed in vector lanes over j, the lanes added, then
    /// the tail in order, whatever the group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dots(float* x, int width, GroupRows rows, float* y, float* results)
    {
        float* x0 = x + (rows[0] * width);
        float* x1 = x + (rows[1] * width);
        float* x2 = x + (rows[2] * width);
        float* x3 = x + (rows[3] * width);
        TV s0 = TS.Zero, s1 = TS.Zero, s2 = TS.Zero, s3 = TS.Zero;
        int j = 0;
        for (; j <= width - TS.Width; j += TS.Width)
        {
            var v = TS.Load(y + j);
            s0 = TS.MultiplyAdd(TS.Load(x0 + j), v, s0);
            s1 = TS.MultiplyAdd(TS.Load(x1 + j), v, s1);
            s2 = TS.MultiplyAdd(TS.Load(x2 + j), v, s2);
            s3 = TS.MultiplyAdd(TS.Load(x3 + j), v, s3);
        }

        results[0] = Tail(x0, y, j, width, TS.SumAcross(s0));
        results[1] = Tail(x1, y, j, width, TS.SumAcross(s1));
        results[2] = Tail(x2, y, j, width, TS.SumAcross(s2));
        results[3] = Tail(x3, y, j, width, TS.SumAcross(s3));
    }

    /// <summary><paramref name="total"/> plus x[j]·y[j] for j from <paramref name="from"/> below <paramref name="width"/>, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* x, float* y, int from, int width, float total)
    {
        for (int j = from; j < width; j++)
        {
            total += x[j] * y[j];
        }

        return total;
    }

    /// <summary>
    /// For each k of the group, <c>output[o_k + j] (=|+=) Σ_i coefficients[c_k + i·coefficientStride]·rows[i·rowStride + j]</c>
    /// for j below <paramref name="width"/>, i from 0 to <paramref name="count"/> in order. The group shares every load
    /// of <paramref name="rows"/>; the sums stay in registers, two vectors of j at a time, then one, then the scalar tail
    /// (fused multiply-adds in the vectors, a product then a sum in the tail).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedRowSums(
        GroupOffsets coefficientOffsets, float* coefficients, nint coefficientStride, float* rows, nint rowStride, int count, GroupOffsets outputOffsets, float* output, int width, bool accumulate)
    {
        int w = TS.Width;
        float* c0 = coefficients + coefficientOffsets[0];
        float* c1 = coefficients + coefficientOffsets[1];
        float* c2 = coefficients + coefficientOffsets[2];
        float* c3 = coefficients + coefficientOffsets[3];
        int j = 0;
        for (; j <= width - (2 * w); j += 2 * w)
        {
            TV a0 = TS.Zero, a1 = TS.Zero, b0 = TS.Zero, b1 = TS.Zero, d0 = TS.Zero, d1 = TS.Zero, e0 = TS.Zero, e1 = TS.Zero;
            for (int i = 0; i < count; i++)
            {
                float* row = rows + (i * rowStride) + j;
                var x0 = TS.Load(row);
                var x1 = TS.Load(row + w);
                nint at = i * coefficientStride;
                var f = TS.Splat(c0[at]);
                a0 = TS.MultiplyAdd(f, x0, a0);
                a1 = TS.MultiplyAdd(f, x1, a1);
                f = TS.Splat(c1[at]);
                b0 = TS.MultiplyAdd(f, x0, b0);
                b1 = TS.MultiplyAdd(f, x1, b1);
                f = TS.Splat(c2[at]);
                d0 = TS.MultiplyAdd(f, x0, d0);
                d1 = TS.MultiplyAdd(f, x1, d1);
                f = TS.Splat(c3[at]);
                e0 = TS.MultiplyAdd(f, x0, e0);
                e1 = TS.MultiplyAdd(f, x1, e1);
            }

            // A group of fewer than four repeats its last member: only the real ones are stored.
            StorePair(output + outputOffsets[0] + j, a0, a1, w, accumulate);
            if (outputOffsets.Count > 1)
            {
                StorePair(output + outputOffsets[1] + j, b0, b1, w, accumulate);
            }

            if (outputOffsets.Count > 2)
            {
                StorePair(output + outputOffsets[2] + j, d0, d1, w, accumulate);
            }

            if (outputOffsets.Count > 3)
            {
                StorePair(output + outputOffsets[3] + j, e0, e1, w, accumulate);
            }
        }

        for (int k = 0; k < outputOffsets.Count; k++)
        {
            float* c = coefficients + coefficientOffsets[k];
            float* o = output + outputOffsets[k];
            int v = j;
            for (; v <= width - w; v += w)
            {
                var sum = TS.Zero;
                for (int i = 0; i < count; i++)
                {
                    sum = TS.MultiplyAdd(TS.Splat(c[i * coefficientStride]), TS.Load(rows + (i * rowStride) + v), sum);
                }

                StoreSum(o + v, sum, accumulate);
            }

            for (; v < width; v++)
            {
                float sum = 0f;
                for (int i = 0; i < count; i++)
                {
                    sum += c[i * coefficientStride] * rows[(i * rowStride) + v];
                }

                o[v] = accumulate ? o[v] + sum : sum;
            }
        }
    }

    /// <summary>Two consecutive vectors of sums into <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(float* destination, TV first, TV second, int width, bool accumulate)
    {
        StoreSum(destination, first, accumulate);
        StoreSum(destination + width, second, accumulate);
    }

    /// <summary><c>destination (=|+=) sum</c>, one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSum(float* destination, TV sum, bool accumulate) =>
        TS.Store(destination, accumulate ? TS.Add(TS.Load(destination), sum) : sum);
}
