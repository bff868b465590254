using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;
using N = Seq2Seq.Gpu.Layers.AttentionBuffers.Names;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Luong global attention (see <see cref="AttentionKind"/>) between the top decoder states q [Tq, B, H] and the
/// encoder's outputs ē [Ts, B, H] (the memory): keys k = ē (dot) or ē·W_a (general, one product for all positions),
/// weights a = masked softmax_s(q·k_s), context c = Σ_s a_s ē_s, attentional state h̃ = tanh(c·W_c[0:H] + q·W_c[H:2H]).
/// Without input feeding the recurrence does not read h̃, so teacher-forced training attends for all Tq steps at once
/// (two attention launches, two products, one tanh), and step-by-step decoding runs the same code with Tq = 1. Weights
/// are read from, and gradients added into, the model's <see cref="WeightStore"/> on every call.
/// </summary>
internal sealed class LuongAttention
{
    private readonly WeightStore store;
    private readonly AttentionKind kind;
    private readonly int hidden;

    public LuongAttention(WeightStore store, Seq2SeqConfig config)
    {
        this.store = store;
        kind = config.Attention;
        hidden = config.HiddenSize;
    }

    private DeviceOps Ops => store.Device.Ops;

    private long Square => (long)hidden * hidden;

    /// <summary>The keys of a memory of <paramref name="rows"/> = Ts·B rows: the memory itself, or ē·W_a into the buffers' keys.</summary>
    public ArrayView<float> Keys(AttentionBuffers buffers, ArrayView<float> memory, int rows)
    {
        if (kind != AttentionKind.General)
        {
            return memory;
        }

        var keys = buffers.View(N.Keys, (long)rows * hidden);
        Ops.MatMul(memory, store.Weight(Seq2SeqArchitecture.AttentionScoreKernel), null, keys, new MatMulShape(rows, hidden, hidden));
        return keys;
    }

    /// <summary>The keys <see cref="Keys"/> computed for this memory, without computing them again.</summary>
    public ArrayView<float> StoredKeys(AttentionBuffers buffers, ArrayView<float> memory, int rows) =>
        kind == AttentionKind.General ? buffers.View(N.Keys, (long)rows * hidden) : memory;

    /// <summary>
    /// Attends for <paramref name="queries"/> [Tq, B, H] over <paramref name="memory"/> [Ts, B, H] with its
    /// <paramref name="keys"/> (from <see cref="Keys"/>) and source <paramref name="mask"/> [Ts, B] (null: every position);
    /// returns h̃ [Tq, B, H] (the buffers' attentional state; the weights and context stay there for the backward pass).
    /// </summary>
    public ArrayView<float> Forward(AttentionBuffers buffers, ArrayView<float> queries, ArrayView<float> memory, ArrayView<float> keys, ArrayView<int>? mask, int queryCount, int keyCount, int batch)
    {
        var shape = new AttentionShape(queryCount, keyCount, batch, hidden);
        int rows = queryCount * batch;
        var weights = Weights(buffers, queryCount, keyCount, batch);
        var context = buffers.View(N.Context, (long)rows * hidden);
        var attentional = buffers.View(N.Attentional, (long)rows * hidden);
        var combine = store.Weight(Seq2SeqArchitecture.AttentionCombineKernel);
        Ops.AttentionWeights(queries, keys, mask, weights, shape);
        Ops.AttentionContext(weights, memory, context, shape);
        Ops.MatMul(context, combine.SubView(0, Square), null, attentional, new MatMulShape(rows, hidden, hidden));
        Ops.MatMul(queries, combine.SubView(Square, Square), null, attentional, new MatMulShape(rows, hidden, hidden, accumulate: true));
        Ops.Tanh(attentional, attentional, (long)rows * hidden);
        return attentional;
    }

    /// <summary>The attention weights [Tq, B, Ts] of the last <see cref="Forward"/>.</summary>
    public static ArrayView<float> Weights(AttentionBuffers buffers, int queryCount, int keyCount, int batch) =>
        buffers.View(N.Weights, (long)queryCount * batch * keyCount);

    /// <summary>
    /// Back-propagates the last <see cref="Forward"/> (same arguments) from <paramref name="dAttentional"/> [Tq, B, H], the
    /// gradient into h̃ (overwritten: it becomes the gradient before the tanh). Adds into the gradients of W_c (and W_a);
    /// assigns the gradient into the queries to <paramref name="dQueries"/> [Tq, B, H] and returns the gradient into the
    /// memory [Ts, B, H] (the buffers' encoder output gradient; zero at masked positions).
    /// </summary>
    public ArrayView<float> Backward(
        AttentionBuffers buffers, ArrayView<float> queries, ArrayView<float> memory, ArrayView<float> keys, ArrayView<float> dAttentional, ArrayView<float> dQueries, int queryCount, int keyCount, int batch)
    {
        var shape = new AttentionShape(queryCount, keyCount, batch, hidden);
        int rows = queryCount * batch;
        int memoryRows = keyCount * batch;
        long state = (long)rows * hidden;
        var weights = Weights(buffers, queryCount, keyCount, batch);
        var context = buffers.View(N.Context, state);
        var attentional = buffers.View(N.Attentional, state);
        var dContext = buffers.View(N.ContextGradient, state);
        var dScores = buffers.View(N.ScoreGradient, (long)rows * keyCount);
        var dMemory = buffers.View(N.MemoryGradient, (long)memoryRows * hidden);
        var combine = store.Weight(Seq2SeqArchitecture.AttentionCombineKernel);
        var dCombine = store.Gradient(Seq2SeqArchitecture.AttentionCombineKernel);

        // h̃ = tanh(P), P = c·W_c[0:H] + q·W_c[H:2H]: dP, then dW_c's two halves and the gradients into c and q.
        Ops.TanhBackward(attentional, dAttentional, dAttentional, state);
        var dPre = dAttentional;
        Ops.MatMul(context, dPre, null, dCombine.SubView(0, Square), new MatMulShape(hidden, hidden, rows, transposeA: true, accumulate: true));
        Ops.MatMul(queries, dPre, null, dCombine.SubView(Square, Square), new MatMulShape(hidden, hidden, rows, transposeA: true, accumulate: true));
        Ops.MatMul(dPre, combine.SubView(0, Square), null, dContext, new MatMulShape(rows, hidden, hidden, transposeB: true));
        Ops.MatMul(dPre, combine.SubView(Square, Square), null, dQueries, new MatMulShape(rows, hidden, hidden, transposeB: true));

        // c = Σ_s a_s ē_s: into the weights (then through the softmax, to the scores) and into the memory.
        Ops.AttentionWeightsBackward(weights, dContext, memory, dScores, shape);
        Ops.AttentionTransposedContext(weights, dContext, dMemory, shape);

        // score = q·k_s: into the queries and into the keys (the memory itself for dot attention).
        Ops.AttentionContext(dScores, keys, dQueries, shape.WithAccumulate(true));
        if (kind != AttentionKind.General)
        {
            Ops.AttentionTransposedContext(dScores, queries, dMemory, shape.WithAccumulate(true));
            return dMemory;
        }

        // k = ē·W_a: dW_a += ēᵀ·dk, dē += dk·W_aᵀ.
        var dKeys = buffers.View(N.KeyGradient, (long)memoryRows * hidden);
        Ops.AttentionTransposedContext(dScores, queries, dKeys, shape);
        Ops.MatMul(memory, dKeys, null, store.Gradient(Seq2SeqArchitecture.AttentionScoreKernel), new MatMulShape(hidden, hidden, memoryRows, transposeA: true, accumulate: true));
        Ops.MatMul(dKeys, store.Weight(Seq2SeqArchitecture.AttentionScoreKernel), null, dMemory, new MatMulShape(memoryRows, hidden, hidden, transposeB: true, accumulate: true));
        return dMemory;
    }
}
