using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;
using N = Seq2Seq.Gpu.Layers.AttentionBuffers.Names;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// Luong global attention (see <see cref="AttentionKind"/>) between the top decoder states q [Tq, B, H] and the
/// encoder's outputs ē [Ts, B, H] (the memory): keys k = ē (dot) or ē·W_a (general), weights a = masked
/// softmax_s(q·k_s), context c = Σ_s a_s ē_s, attentional state h̃ = tanh(c·W_c[0:H] + q·W_c[H:2H]).
/// The context is never formed: c·W_c[0:H] = Σ_s a_s (ē_s·W_c[0:H]), so the values v = ē·W_c[0:H] are computed once
/// per memory (Ts·B rows, <see cref="Prepare"/>) and h̃ = tanh(a·v + q·W_c[H:2H]). That moves half of the combine
/// product, forward and backward, from the Tq·B decoder rows to the Ts·B source rows (a 59-step character target over
/// a 16-step source: 3.7x fewer rows), and in decoding it is paid once per sentence instead of once per step.
/// Without input feeding the recurrence does not read h̃, so teacher-forced training attends for all Tq steps at once,
/// and step-by-step decoding runs the same code with Tq = 1. Weights are read from, and gradients added into, the
/// model's <see cref="WeightStore"/> on every call.
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

    private ArrayView<float> ContextCombine(ArrayView<float> combine) => combine.SubView(0, Square);

    private ArrayView<float> QueryCombine(ArrayView<float> combine) => combine.SubView(Square, Square);

    /// <summary>
    /// The keys and values of a memory of <paramref name="rows"/> = Ts·B rows, computed into the buffers: one product for
    /// the values and, for general attention, one for the keys.
    /// </summary>
    public AttentionMemory Prepare(AttentionBuffers buffers, ArrayView<float> memory, int rows)
    {
        var prepared = Prepared(buffers, memory, rows);
        var shape = new MatMulShape(rows, hidden, hidden);
        if (kind == AttentionKind.General)
        {
            Ops.MatMul(memory, store.Weight(Seq2SeqArchitecture.AttentionScoreKernel), null, prepared.Keys, shape);
        }

        Ops.MatMul(memory, ContextCombine(store.Weight(Seq2SeqArchitecture.AttentionCombineKernel)), null, prepared.Values, shape);
        return prepared;
    }

    /// <summary>The keys and values <see cref="Prepare"/> computed for this memory, without computing them again.</summary>
    public AttentionMemory Prepared(AttentionBuffers buffers, ArrayView<float> memory, int rows)
    {
        long length = (long)rows * hidden;
        var keys = kind == AttentionKind.General ? buffers.View(N.Keys, length) : memory;
        return new AttentionMemory(memory, keys, buffers.View(N.Values, length));
    }

    /// <summary>
    /// Attends for <paramref name="queries"/> [Tq, B, H] over a <see cref="Prepare"/>d <paramref name="memory"/> with
    /// source <paramref name="mask"/> [Ts, B] (null: every position); returns h̃ [Tq, B, H] (the buffers' attentional
    /// state; the weights stay there for the backward pass).
    /// </summary>
    public ArrayView<float> Forward(AttentionBuffers buffers, ArrayView<float> queries, AttentionMemory memory, ArrayView<int>? mask, int queryCount, int keyCount, int batch)
    {
        var shape = new AttentionShape(queryCount, keyCount, batch, hidden);
        int rows = queryCount * batch;
        var weights = Weights(buffers, queryCount, keyCount, batch);
        var attentional = buffers.View(N.Attentional, (long)rows * hidden);
        Ops.AttentionWeights(queries, memory.Keys, mask, weights, shape);
        Ops.AttentionContext(weights, memory.Values, attentional, shape);
        var combine = store.Weight(Seq2SeqArchitecture.AttentionCombineKernel);
        Ops.MatMul(queries, QueryCombine(combine), null, attentional, new MatMulShape(rows, hidden, hidden, accumulate: true));
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
    /// encoder's outputs [Ts, B, H] (the buffers' memory gradient; zero at masked positions).
    /// </summary>
    public ArrayView<float> Backward(
        AttentionBuffers buffers, ArrayView<float> queries, AttentionMemory memory, ArrayView<float> dAttentional, ArrayView<float> dQueries, int queryCount, int keyCount, int batch)
    {
        var shape = new AttentionShape(queryCount, keyCount, batch, hidden);
        int rows = queryCount * batch;
        int memoryRows = keyCount * batch;
        long state = (long)rows * hidden;
        long memoryState = (long)memoryRows * hidden;
        var weights = Weights(buffers, queryCount, keyCount, batch);
        var attentional = buffers.View(N.Attentional, state);
        var dValues = buffers.View(N.ValueGradient, memoryState);
        var dScores = buffers.View(N.ScoreGradient, (long)rows * keyCount);
        var dMemory = buffers.View(N.MemoryGradient, memoryState);
        var combine = store.Weight(Seq2SeqArchitecture.AttentionCombineKernel);
        var dCombine = store.Gradient(Seq2SeqArchitecture.AttentionCombineKernel);

        // h̃ = tanh(P), P = a·v + q·W_c[H:2H]: dP, then the query half of dW_c and the gradient into q.
        Ops.TanhBackward(attentional, dAttentional, dAttentional, state);
        var dPre = dAttentional;
        Ops.MatMul(queries, dPre, null, QueryCombine(dCombine), new MatMulShape(hidden, hidden, rows, transposeA: true, accumulate: true));
        Ops.MatMul(dPre, QueryCombine(combine), null, dQueries, new MatMulShape(rows, hidden, hidden, transposeB: true));

        // a·v: into the weights (then through the softmax, to the scores) and into the values; v = ē·W_c[0:H] gives the
        // context half of dW_c and the first part of the gradient into ē, over the Ts·B source rows.
        Ops.AttentionWeightsBackward(weights, dPre, memory.Values, dScores, shape);
        Ops.AttentionTransposedContext(weights, dPre, dValues, shape);
        Ops.MatMul(memory.Outputs, dValues, null, ContextCombine(dCombine), new MatMulShape(hidden, hidden, memoryRows, transposeA: true, accumulate: true));
        Ops.MatMul(dValues, ContextCombine(combine), null, dMemory, new MatMulShape(memoryRows, hidden, hidden, transposeB: true));

        // score = q·k_s: into the queries and into the keys (the encoder's outputs themselves for dot attention).
        Ops.AttentionContext(dScores, memory.Keys, dQueries, shape.WithAccumulate(true));
        if (kind != AttentionKind.General)
        {
            Ops.AttentionTransposedContext(dScores, queries, dMemory, shape.WithAccumulate(true));
            return dMemory;
        }

        // k = ē·W_a: dW_a += ēᵀ·dk, dē += dk·W_aᵀ.
        var dKeys = buffers.View(N.KeyGradient, memoryState);
        Ops.AttentionTransposedContext(dScores, queries, dKeys, shape);
        Ops.MatMul(memory.Outputs, dKeys, null, store.Gradient(Seq2SeqArchitecture.AttentionScoreKernel), new MatMulShape(hidden, hidden, memoryRows, transposeA: true, accumulate: true));
        Ops.MatMul(dKeys, store.Weight(Seq2SeqArchitecture.AttentionScoreKernel), null, dMemory, new MatMulShape(memoryRows, hidden, hidden, transposeB: true, accumulate: true));
        return dMemory;
    }
}
