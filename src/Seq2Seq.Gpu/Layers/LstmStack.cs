using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// One side (encoder or decoder) of the model: embedding or one-hot input projection and the stacked LSTM, forward
/// over whole sequences (training) or one step (decoding), and backward through time. Stateless apart from the
/// names of its parameters: the weights are read from, and the gradients accumulated into, the model's
/// <see cref="WeightStore"/> on every call.
/// <para>
/// Forward, per layer: the input projection of all T steps in one product (or one gather for one-hot inputs),
/// then per step the recurrent product and the cell (on GPUs all steps in one persistent kernel, see
/// <c>DeviceOps.LstmForwardSequence</c>). Backward, per layer: per step (reverse) <c>dh += dz_{t+1}·Uᵀ</c> and the
/// cell backward (likewise), then for all steps at once
/// <c>dU += h_{0..T-1}ᵀ·dz</c>, <c>db += Σ dz</c>, <c>dW += xᵀ·dz</c> and <c>dx = dz·Wᵀ</c> for the layer below.
/// </para>
/// </summary>
internal sealed class LstmStack
{
    private readonly WeightStore store;
    private readonly Seq2SeqConfig config;
    private readonly string side;
    private readonly int vocab;

    public LstmStack(WeightStore store, Seq2SeqConfig config, string side)
    {
        this.store = store;
        this.config = config;
        this.side = side;
        vocab = side == ModelLayout.Encoder ? config.SourceVocabSize : config.TargetVocabSize;
    }

    private DeviceOps Ops => store.Device.Ops;

    private int Hidden => config.HiddenSize;

    private int GateWidth => LstmGates.Count * config.HiddenSize;

    /// <summary>
    /// Runs every layer over T steps. The initial state of each layer must already be in slot 0 of its H and C
    /// buffers. <paramref name="mask"/> is [T, B] or null.
    /// </summary>
    public void Forward(LstmStackBuffers buffers, ArrayView<int> ids, ArrayView<int>? mask, int steps, int batch)
    {
        for (int l = 0; l < config.Layers; l++)
        {
            var gates = buffers.Gates(l, steps, batch);
            ProjectInputs(l, ids, l == 0 ? null : buffers.HRange(l - 1, 1, steps, batch), buffers, gates, steps * batch);
            // U is read by every step of the pass: prepared once (packed once on the host kernels).
            using var u = PrepareRecurrent(l);
            Ops.LstmForwardSequence(gates, u, buffers.CRange(l, 0, steps + 1, batch), buffers.HRange(l, 0, steps + 1, batch), mask, steps, batch, Hidden);
        }
    }

    /// <summary>
    /// Back-propagates through time and accumulates every parameter gradient of this side.
    /// <paramref name="dhCarry"/>/<paramref name="dcCarry"/> hold per layer the gradient into the final state on
    /// entry and the gradient into the initial state on exit. <paramref name="dTop"/> [T, B, H] is the gradient into
    /// the top layer's outputs (null for the encoder, whose outputs are unused).
    /// </summary>
    public void Backward(
        LstmStackBuffers buffers,
        ArrayView<int> ids,
        ArrayView<int>? mask,
        int steps,
        int batch,
        ArrayView<float>? dTop,
        ArrayView<float>[] dhCarry,
        ArrayView<float>[] dcCarry,
        BackwardScratch scratch)
    {
        int rows = steps * batch;
        ArrayView<float>? dExternal = dTop;
        for (int l = config.Layers - 1; l >= 0; l--)
        {
            var dGates = scratch.Gates(rows, GateWidth);
            string kernelName = ModelLayout.Kernel(side, l);
            using var uTransposed = Ops.PrepareRight(store.Weight(ModelLayout.RecurrentKernel(side, l)), GateWidth, Hidden, transposed: true);
            Ops.LstmBackwardSequence(buffers.Gates(l, steps, batch), uTransposed, buffers.CRange(l, 0, steps + 1, batch), dExternal, dhCarry[l], dcCarry[l], dGates, mask, steps, batch, Hidden);

            // Each step added the recurrent gradient of the step after it; the first step's goes into the initial state.
            if (steps > 0)
            {
                Ops.MatMul(StepGates(dGates, 0, batch), uTransposed, null, dhCarry[l], new MatMulShape(batch, Hidden, GateWidth, transposeB: true, accumulate: true));
            }

            Ops.MatMul(buffers.HRange(l, 0, steps, batch), dGates, null, store.Gradient(ModelLayout.RecurrentKernel(side, l)), new MatMulShape(Hidden, GateWidth, rows, transposeA: true, accumulate: true));
            Ops.ColumnSum(dGates, store.Gradient(ModelLayout.Bias(side, l)), rows, GateWidth, accumulate: true);

            if (l == 0 && config.OneHot)
            {
                Ops.ScatterAdd(ids, dGates, store.Gradient(kernelName), rows, GateWidth, vocab);
                continue;
            }

            int width = l == 0 ? config.EmbeddingSize : Hidden;
            var input = l == 0 ? buffers.Embedded(rows, width) : buffers.HRange(l - 1, 1, steps, batch);
            Ops.MatMul(input, dGates, null, store.Gradient(kernelName), new MatMulShape(width, GateWidth, rows, transposeA: true, accumulate: true));
            // dExternal (this layer's input gradient) was consumed by the step loop, so the one scratch buffer is free.
            var dInput = scratch.Inputs(rows, width);
            Ops.MatMul(dGates, store.Weight(kernelName), null, dInput, new MatMulShape(rows, width, GateWidth, transposeB: true));
            if (l == 0)
            {
                Ops.ScatterAdd(ids, dInput, store.Gradient(ModelLayout.Embedding(side)), rows, width, vocab);
            }
            else
            {
                dExternal = dInput;
            }
        }
    }

    /// <summary>Layer <paramref name="layer"/>'s recurrent kernel U [H, 4H], prepared for the per-step products of one pass.</summary>
    public PreparedRightOperand PrepareRecurrent(int layer) =>
        Ops.PrepareRight(store.Weight(ModelLayout.RecurrentKernel(side, layer)), Hidden, GateWidth, transposed: false);

    /// <summary>
    /// One decoding step for every layer: <paramref name="ids"/> [B] are the inputs, <paramref name="h"/> and
    /// <paramref name="c"/> per layer the state [B, H], replaced by the new state (through <paramref name="nextH"/>/<paramref name="nextC"/>,
    /// which are swapped with them). <paramref name="recurrent"/> holds each layer's U from <see cref="PrepareRecurrent"/>.
    /// <paramref name="gates"/> is scratch [B, 4H]. Returns the top layer's new h.
    /// </summary>
    public ArrayView<float> Step(
        ArrayView<int> ids, ArrayView<float>[] h, ArrayView<float>[] c, ArrayView<float>[] nextH, ArrayView<float>[] nextC, PreparedRightOperand[] recurrent, ArrayView<float> gates, ArrayView<float> embedded, int batch)
    {
        for (int l = 0; l < config.Layers; l++)
        {
            if (l == 0 && config.OneHot)
            {
                Ops.Gather(ids, store.Weight(ModelLayout.Kernel(side, 0)), store.Weight(ModelLayout.Bias(side, 0)), gates, batch, GateWidth, vocab);
            }
            else if (l == 0)
            {
                Ops.Gather(ids, store.Weight(ModelLayout.Embedding(side)), null, embedded, batch, config.EmbeddingSize, vocab);
                Ops.MatMul(embedded, store.Weight(ModelLayout.Kernel(side, 0)), store.Weight(ModelLayout.Bias(side, 0)), gates, new MatMulShape(batch, GateWidth, config.EmbeddingSize, hasBias: true));
            }
            else
            {
                Ops.MatMul(h[l - 1], store.Weight(ModelLayout.Kernel(side, l)), store.Weight(ModelLayout.Bias(side, l)), gates, new MatMulShape(batch, GateWidth, Hidden, hasBias: true));
            }

            Ops.LstmForwardStep(gates, recurrent[l], c[l], h[l], nextC[l], nextH[l], null, batch, Hidden);
            (h[l], nextH[l]) = (nextH[l], h[l]);
            (c[l], nextC[l]) = (nextC[l], c[l]);
        }

        return h[config.Layers - 1];
    }

    private ArrayView<float> StepGates(ArrayView<float> gates, int t, int batch) => gates.SubView((long)t * batch * GateWidth, (long)batch * GateWidth);

    private void ProjectInputs(int layer, ArrayView<int> ids, ArrayView<float>? lowerOutputs, LstmStackBuffers buffers, ArrayView<float> gates, int rows)
    {
        var bias = store.Weight(ModelLayout.Bias(side, layer));
        var kernel = store.Weight(ModelLayout.Kernel(side, layer));
        if (layer == 0 && config.OneHot)
        {
            Ops.Gather(ids, kernel, bias, gates, rows, GateWidth, vocab);
            return;
        }

        ArrayView<float> input;
        int width;
        if (layer == 0)
        {
            width = config.EmbeddingSize;
            input = buffers.Embedded(rows, width);
            Ops.Gather(ids, store.Weight(ModelLayout.Embedding(side)), null, input, rows, width, vocab);
        }
        else
        {
            width = Hidden;
            input = lowerOutputs!.Value;
        }

        Ops.MatMul(input, kernel, bias, gates, new MatMulShape(rows, GateWidth, width, hasBias: true));
    }
}
