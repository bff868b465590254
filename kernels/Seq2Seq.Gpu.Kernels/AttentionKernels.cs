using ILGPU;
using ILGPU.Algorithms;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Luong global attention as four batched operations over the shapes of <see cref="AttentionShape"/> (queries q
/// [Tq, B, W], keys k and values v [Ts, B, W], weights a [Tq, B, Ts], mask [Ts, B] of 0/1, all time-major). Each is
/// one launch for all Tq decoder steps, so teacher-forced training costs four launches forward and four backward, not
/// four a step. Sums accumulate in float in index order.
/// <list type="bullet">
/// <item><see cref="Weights"/>: <c>a[t, b, :] = softmax_s(q[t, b]·k[s, b])</c> over the positions the mask keeps
/// (masked ones get weight 0; a row with every position masked gets all zeros). One work item per row (t, b): scores
/// into the row, then its maximum, exponentials and normalisation.</item>
/// <item><see cref="Context"/>: <c>c[t, b, j] (=|+=) Σ_s a[t, b, s]·v[s, b, j]</c>, one work item per element. Also the
/// query gradient of the backward pass (<c>dq += Σ_s ds·k</c>).</item>
/// <item><see cref="TransposedContext"/>: <c>o[s, b, j] (=|+=) Σ_t a[t, b, s]·x[t, b, j]</c>, one work item per element:
/// the value gradient (<c>dv = Σ_t a·dc</c>) and the key gradient (<c>dk = Σ_t ds·q</c>).</item>
/// <item><see cref="WeightsBackward"/>: the gradient of the scores from the context gradient dc [Tq, B, W]:
/// <c>da_s = dc·v_s</c>, then through the softmax <c>ds_s = a_s (da_s − Σ_s' a_s' da_s')</c> (0 where masked, since a_s
/// is), one work item per row, assigned.</item>
/// </list>
/// </summary>
internal static class AttentionKernels
{
    /// <summary>Masked softmax of the dot-product scores of every query row.</summary>
    public static void Weights(Index1D thread, ArrayView<float> queries, ArrayView<float> keys, ArrayView<int> mask, ArrayView<float> weights, AttentionShape shape, int hasMask, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, shape.WeightRows);
        for (int row = LaunchChunk.Begin(thread, chunk); row < end; row++)
        {
            int b = row % shape.Batch;
            long query = (long)row * shape.Width;
            long output = (long)row * shape.Keys;
            float max = float.NegativeInfinity;
            for (int s = 0; s < shape.Keys; s++)
            {
                if (hasMask != 0 && mask[(s * shape.Batch) + b] == 0)
                {
                    continue;
                }

                long key = ((long)(s * shape.Batch) + b) * shape.Width;
                float score = 0f;
                for (int j = 0; j < shape.Width; j++)
                {
                    score += queries[query + j] * keys[key + j];
                }

                weights[output + s] = score;
                max = XMath.Max(max, score);
            }

            float sum = 0f;
            for (int s = 0; s < shape.Keys; s++)
            {
                bool kept = hasMask == 0 || mask[(s * shape.Batch) + b] != 0;
                float e = kept ? XMath.Exp(weights[output + s] - max) : 0f;
                weights[output + s] = e;
                sum += e;
            }

            float inverse = sum > 0f ? 1f / sum : 0f;
            for (int s = 0; s < shape.Keys; s++)
            {
                weights[output + s] *= inverse;
            }
        }
    }

    /// <summary><c>c[t, b, j] (=|+=) Σ_s a[t, b, s]·v[s, b, j]</c>.</summary>
    public static void Context(Index1D thread, ArrayView<float> weights, ArrayView<float> values, ArrayView<float> context, AttentionShape shape, int chunk)
    {
        int count = shape.WeightRows * shape.Width;
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int row = e / shape.Width;
            int j = e - (row * shape.Width);
            int b = row % shape.Batch;
            long weightRow = (long)row * shape.Keys;
            float sum = 0f;
            for (int s = 0; s < shape.Keys; s++)
            {
                sum += weights[weightRow + s] * values[(((long)(s * shape.Batch) + b) * shape.Width) + j];
            }

            context[e] = shape.Accumulate != 0 ? context[e] + sum : sum;
        }
    }

    /// <summary><c>o[s, b, j] (=|+=) Σ_t a[t, b, s]·x[t, b, j]</c>.</summary>
    public static void TransposedContext(Index1D thread, ArrayView<float> weights, ArrayView<float> inputs, ArrayView<float> output, AttentionShape shape, int chunk)
    {
        int count = shape.Keys * shape.Batch * shape.Width;
        int end = LaunchChunk.End(thread, chunk, count);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int column = e / shape.Width;
            int j = e - (column * shape.Width);
            int s = column / shape.Batch;
            int b = column - (s * shape.Batch);
            float sum = 0f;
            for (int t = 0; t < shape.Queries; t++)
            {
                long row = ((long)t * shape.Batch) + b;
                sum += weights[(row * shape.Keys) + s] * inputs[(row * shape.Width) + j];
            }

            output[e] = shape.Accumulate != 0 ? output[e] + sum : sum;
        }
    }

    /// <summary>The score gradient <c>ds</c> [Tq, B, Ts] (assigned) from the context gradient and the weights.</summary>
    public static void WeightsBackward(Index1D thread, ArrayView<float> weights, ArrayView<float> dContext, ArrayView<float> values, ArrayView<float> dScores, AttentionShape shape, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, shape.WeightRows);
        for (int row = LaunchChunk.Begin(thread, chunk); row < end; row++)
        {
            int b = row % shape.Batch;
            long gradient = (long)row * shape.Width;
            long output = (long)row * shape.Keys;
            float dot = 0f;
            for (int s = 0; s < shape.Keys; s++)
            {
                long value = ((long)(s * shape.Batch) + b) * shape.Width;
                float dWeight = 0f;
                for (int j = 0; j < shape.Width; j++)
                {
                    dWeight += dContext[gradient + j] * values[value + j];
                }

                dScores[output + s] = dWeight;
                dot += weights[output + s] * dWeight;
            }

            for (int s = 0; s < shape.Keys; s++)
            {
                dScores[output + s] = weights[output + s] * (dScores[output + s] - dot);
            }
        }
    }
}
