using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The attention loops (see <see cref="AttentionKernels"/> for the operations and <see cref="AttentionShape"/> for the
/// layouts) and the elementwise tanh: dot products and scaled row additions over the width W in vectors, the softmax
/// over the Ts source positions of a row in scalars (Ts is tens, W hundreds).
/// </summary>
internal sealed unsafe partial class SimdBackend<TS, TV>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionWeights(float* queries, float* keys, int* mask, float* weights, AttentionShape shape, int row0, int row1)
    {
        int width = shape.Width;
        for (int row = row0; row < row1; row++)
        {
            int b = row % shape.Batch;
            float* query = queries + ((nint)row * width);
            float* output = weights + ((nint)row * shape.Keys);
            float max = float.NegativeInfinity;
            for (int s = 0; s < shape.Keys; s++)
            {
                if (mask != null && mask[(s * shape.Batch) + b] == 0)
                {
                    continue;
                }

                float score = Dot(query, keys + ((((nint)s * shape.Batch) + b) * width), width);
                output[s] = score;
                max = Math.Max(max, score);
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
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionContext(float* weights, float* values, float* context, float* scratch, AttentionShape shape, int row0, int row1)
    {
        int width = shape.Width;
        for (int row = row0; row < row1; row++)
        {
            int b = row % shape.Batch;
            float* a = weights + ((nint)row * shape.Keys);
            new Span<float>(scratch, width).Clear();
            for (int s = 0; s < shape.Keys; s++)
            {
                AddScaled(scratch, a[s], values + ((((nint)s * shape.Batch) + b) * width), width);
            }

            Store(scratch, context + ((nint)row * width), width, shape.Accumulate != 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionTransposedContext(float* weights, float* inputs, float* output, float* scratch, AttentionShape shape, int column0, int column1)
    {
        int width = shape.Width;
        for (int column = column0; column < column1; column++)
        {
            int s = column / shape.Batch;
            int b = column - (s * shape.Batch);
            new Span<float>(scratch, width).Clear();
            for (int t = 0; t < shape.Queries; t++)
            {
                nint row = ((nint)t * shape.Batch) + b;
                AddScaled(scratch, weights[(row * shape.Keys) + s], inputs + (row * width), width);
            }

            Store(scratch, output + ((nint)column * width), width, shape.Accumulate != 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttentionWeightsBackward(float* weights, float* dContext, float* values, float* dScores, AttentionShape shape, int row0, int row1)
    {
        int width = shape.Width;
        for (int row = row0; row < row1; row++)
        {
            int b = row % shape.Batch;
            float* gradient = dContext + ((nint)row * width);
            float* a = weights + ((nint)row * shape.Keys);
            float* ds = dScores + ((nint)row * shape.Keys);
            float dot = 0f;
            for (int s = 0; s < shape.Keys; s++)
            {
                float dWeight = Dot(gradient, values + ((((nint)s * shape.Batch) + b) * width), width);
                ds[s] = dWeight;
                dot += a[s] * dWeight;
            }

            for (int s = 0; s < shape.Keys; s++)
            {
                ds[s] = a[s] * (ds[s] - dot);
            }
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

    /// <summary>Σ x[j]·y[j] over <paramref name="count"/> floats: vector lanes first, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* x, float* y, int count)
    {
        var sum = TS.Zero;
        int j = 0;
        for (; j <= count - TS.Width; j += TS.Width)
        {
            sum = TS.MultiplyAdd(TS.Load(x + j), TS.Load(y + j), sum);
        }

        float total = TS.SumAcross(sum);
        for (; j < count; j++)
        {
            total += x[j] * y[j];
        }

        return total;
    }

    /// <summary><c>target[j] += scale·x[j]</c> over <paramref name="count"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* target, float scale, float* x, int count)
    {
        var factor = TS.Splat(scale);
        int j = 0;
        for (; j <= count - TS.Width; j += TS.Width)
        {
            TS.Store(target + j, TS.MultiplyAdd(factor, TS.Load(x + j), TS.Load(target + j)));
        }

        for (; j < count; j++)
        {
            target[j] += scale * x[j];
        }
    }

    /// <summary><c>destination (=|+=) source</c> over <paramref name="count"/> floats.</summary>
    private static void Store(float* source, float* destination, int count, bool accumulate)
    {
        for (int j = 0; j < count; j++)
        {
            destination[j] = accumulate ? destination[j] + source[j] : source[j];
        }
    }
}
