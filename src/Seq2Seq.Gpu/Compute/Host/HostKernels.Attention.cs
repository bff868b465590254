using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The attention operations of <see cref="HostKernels"/> (see <see cref="AttentionKernels"/>) and the elementwise tanh of
/// the attentional state, batch rows (sentences) split across threads.
/// </summary>
internal sealed unsafe partial class HostKernels
{
    /// <summary>
    /// Masked softmax of the attention scores (see <see cref="AttentionKernels.Weights"/>): queries [Tq, B, W], keys
    /// [Ts, B, W], mask [Ts, B] or empty, weights [Tq, B, Ts] assigned.
    /// </summary>
    public void AttentionWeights(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, ReadOnlySpan<int> mask, Span<float> weights, AttentionShape shape)
    {
        RequireAttention(shape, queries.Length, keys.Length, weights.Length, "attention weights");
        if (!mask.IsEmpty)
        {
            Require(mask.Length, (long)shape.Keys * shape.Batch, "attention mask");
        }

        fixed (float* pq = queries, pk = keys, pw = weights)
        fixed (int* pm = mask)
        {
            float* q = pq, k = pk, w = pw;
            int* m = pm;
            ForRanges(shape.Batch, BatchGrain(shape), (b0, b1) => backend.AttentionWeights(q, k, m, w, shape, b0, b1));
        }
    }

    /// <summary><c>context[t, b, :] (=|+=) Σ_s weights[t, b, s]·values[s, b, :]</c> (see <see cref="AttentionKernels.Context"/>).</summary>
    public void AttentionContext(ReadOnlySpan<float> weights, ReadOnlySpan<float> values, Span<float> context, AttentionShape shape)
    {
        RequireAttention(shape, context.Length, values.Length, weights.Length, "attention context");
        fixed (float* pw = weights, pv = values, pc = context)
        {
            float* w = pw, v = pv, c = pc;
            ForRanges(shape.Batch, BatchGrain(shape), (b0, b1) => backend.AttentionContext(w, v, c, shape, b0, b1));
        }
    }

    /// <summary><c>output[s, b, :] (=|+=) Σ_t weights[t, b, s]·inputs[t, b, :]</c> (see <see cref="AttentionKernels.TransposedContext"/>).</summary>
    public void AttentionTransposedContext(ReadOnlySpan<float> weights, ReadOnlySpan<float> inputs, Span<float> output, AttentionShape shape)
    {
        RequireAttention(shape, inputs.Length, output.Length, weights.Length, "attention transposed context");
        fixed (float* pw = weights, pi = inputs, po = output)
        {
            float* w = pw, x = pi, o = po;
            ForRanges(shape.Batch, BatchGrain(shape), (b0, b1) => backend.AttentionTransposedContext(w, x, o, shape, b0, b1));
        }
    }

    /// <summary>The score gradient [Tq, B, Ts] (assigned) from the context gradient [Tq, B, W] (see <see cref="AttentionKernels.WeightsBackward"/>).</summary>
    public void AttentionWeightsBackward(ReadOnlySpan<float> weights, ReadOnlySpan<float> dContext, ReadOnlySpan<float> values, Span<float> dScores, AttentionShape shape)
    {
        RequireAttention(shape, dContext.Length, values.Length, weights.Length, "attention weights backward");
        Require(dScores.Length, (long)shape.WeightRows * shape.Keys, "attention score gradient");
        fixed (float* pw = weights, pd = dContext, pv = values, ps = dScores)
        {
            float* w = pw, d = pd, v = pv, s = ps;
            ForRanges(shape.Batch, BatchGrain(shape), (b0, b1) => backend.AttentionWeightsBackward(w, d, v, s, shape, b0, b1));
        }
    }

    /// <summary><c>output[e] = tanh(input[e])</c> for the first <paramref name="count"/> elements (in place allowed).</summary>
    public void Tanh(ReadOnlySpan<float> input, Span<float> output, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Require(input.Length, count, "tanh input");
        Require(output.Length, count, "tanh output");
        fixed (float* pi = input, po = output)
        {
            float* i = pi, o = po;
            ForRanges(count, RowWorkGrain, (e0, e1) => backend.Tanh(i, o, e0, e1));
        }
    }

    /// <summary><c>gradInput[e] = gradOutput[e]·(1 − output[e]²)</c> for the first <paramref name="count"/> elements (in place allowed).</summary>
    public void TanhBackward(ReadOnlySpan<float> output, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Require(output.Length, count, "tanh output");
        Require(gradOutput.Length, count, "tanh output gradient");
        Require(gradInput.Length, count, "tanh input gradient");
        fixed (float* py = output, pg = gradOutput, pd = gradInput)
        {
            float* y = py, g = pg, d = pd;
            ForRanges(count, ElementGrain, (e0, e1) => backend.TanhBackward(y, g, d, e0, e1));
        }
    }

    /// <summary>Batch rows per range of an attention operation: each brings Tq·Ts·W multiply-adds.</summary>
    private static int BatchGrain(AttentionShape shape) => Grain((int)Math.Min(int.MaxValue, (long)shape.Queries * shape.Keys * shape.Width), RowWorkGrain);

    /// <summary>Checks an attention shape and its views: queries-like [Tq, B, W], keys-like [Ts, B, W], weights-like [Tq, B, Ts].</summary>
    private static void RequireAttention(AttentionShape shape, long queriesLength, long keysLength, long weightsLength, string what)
    {
        if (shape.Queries < 0 || shape.Keys < 0 || shape.Batch < 0 || shape.Width < 0)
        {
            throw new ShapeException($"{what}: negative size in {shape}");
        }

        Require(queriesLength, (long)shape.WeightRows * shape.Width, $"{what} (queries)");
        Require(keysLength, (long)shape.Keys * shape.Batch * shape.Width, $"{what} (keys)");
        Require(weightsLength, (long)shape.WeightRows * shape.Keys, $"{what} (weights)");
    }
}
