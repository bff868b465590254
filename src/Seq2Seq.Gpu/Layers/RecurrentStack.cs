using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// One side (encoder or decoder) of the model as its <see cref="StackDescription"/> says: embedding or one-hot input
/// projection and the stacked recurrent layers, forward over whole sequences (training) or one step (decoding), and
/// backward through time. Stateless apart from the description: the weights are read from, and the gradients
/// accumulated into, the model's <see cref="WeightStore"/> on every call.
/// <para>
/// Per layer, what every cell shares is here: the input projection of all T steps in one product (or one gather for
/// one-hot inputs), <c>x·W + b_input</c>; and after the cell's backward pass, for all steps at once,
/// <c>db_input += Σ dz</c>, <c>dW += xᵀ·dz</c> and <c>dx = dz·Wᵀ</c> for the layer below. The recurrence itself, forward
/// and backward, is the cell's (<see cref="IRecurrentCell"/>).
/// </para>
/// </summary>
internal sealed class RecurrentStack
{
    private readonly WeightStore store;
    private readonly StackDescription stack;
    private readonly int hidden;

    public RecurrentStack(WeightStore store, StackDescription stack, int hidden)
    {
        this.store = store;
        this.stack = stack;
        this.hidden = hidden;
        Cell = RecurrentCells.For(stack.Cell);
    }

    /// <summary>The cell of every layer.</summary>
    public IRecurrentCell Cell { get; }

    private DeviceOps Ops => store.Device.Ops;

    private int GateWidth => Cell.GateCount * hidden;

    /// <summary>
    /// Runs every layer over T steps. The initial state of each layer must already be in slot 0 of its state buffers.
    /// <paramref name="mask"/> is [T, B] or null. With <paramref name="dropout"/> (training), the embedding output and
    /// the outputs of every layer but the top one are dropped as they enter the next layer; pass the same to
    /// <see cref="Backward"/>.
    /// </summary>
    public void Forward(RecurrentStackBuffers buffers, ArrayView<int> ids, ArrayView<int>? mask, int steps, int batch, StackDropout? dropout = null)
    {
        int rows = steps * batch;
        for (int l = 0; l < stack.Layers.Count; l++)
        {
            var input = l == 0 && !stack.OneHot ? buffers.Embedded(rows, stack.EmbeddingSize) : default;
            ProjectInputs(l, ids, l == 0 ? null : LowerOutputs(buffers, l, steps, batch, dropout), input, buffers.Gates(l, steps, batch), rows, dropout);
            Cell.Forward(Ops, buffers.Sequence(l, Weights(l), steps, batch), mask, steps, batch, hidden);
        }
    }

    /// <summary>
    /// Back-propagates through time and accumulates every parameter gradient of this side.
    /// <paramref name="dhCarry"/> (and for cells with a cell state <paramref name="dcCarry"/>) hold per layer the
    /// gradient into the final state on entry and the gradient into the initial state on exit. <paramref name="dTop"/>
    /// [T, B, H] is the gradient into the top layer's outputs (null for the encoder, whose outputs are unused).
    /// <paramref name="dropout"/> is the forward pass's: the gradients into dropped inputs go through the same masks.
    /// </summary>
    public void Backward(
        RecurrentStackBuffers buffers,
        ArrayView<int> ids,
        ArrayView<int>? mask,
        int steps,
        int batch,
        ArrayView<float>? dTop,
        ArrayView<float>[] dhCarry,
        ArrayView<float>[] dcCarry,
        BackwardScratch scratch,
        StackDropout? dropout = null)
    {
        int rows = steps * batch;
        ArrayView<float>? dExternal = dTop;
        for (int l = stack.Layers.Count - 1; l >= 0; l--)
        {
            var layer = stack.Layers[l];
            var dGates = scratch.Gates(rows, GateWidth);
            var backward = new CellBackward(Gradients(l), dExternal, dhCarry[l], Cell.HasCellState ? dcCarry[l] : default, dGates, scratch.RecurrentGates(rows, GateWidth));
            Cell.Backward(Ops, buffers.Sequence(l, Weights(l), steps, batch), backward, mask, steps, batch, hidden);
            Ops.ColumnSum(dGates, Cell.InputBias(store.Gradient(layer.Bias), hidden), rows, GateWidth, accumulate: true);

            if (l == 0 && stack.OneHot)
            {
                Ops.ScatterAdd(ids, dGates, store.Gradient(layer.Kernel), rows, GateWidth, stack.VocabularySize);
                continue;
            }

            // The input as the forward pass saw it: the embedding output was dropped in place; the lower layer's
            // outputs are dropped again into the dropout scratch. dExternal (this layer's output gradient, in the
            // input-gradient scratch) was consumed by the cell's backward pass, so that scratch is free; the training
            // pass gives the dropout the same buffer, which dW's product reads before dInput's product overwrites it.
            int width = layer.InputWidth;
            var input = l == 0 ? buffers.Embedded(rows, width) : LowerOutputs(buffers, l, steps, batch, dropout);
            Ops.MatMul(input, dGates, null, store.Gradient(layer.Kernel), new MatMulShape(width, GateWidth, rows, transposeA: true, accumulate: true));

            var dInput = scratch.Inputs(rows, width);
            Ops.MatMul(dGates, store.Weight(layer.Kernel), null, dInput, new MatMulShape(rows, width, GateWidth, transposeB: true));
            if (dropout is not null)
            {
                // d(input) = d(dropped input)·mask/(1-p), in place.
                Ops.Dropout(dInput, dInput, (long)rows * width, dropout.Mask(l));
            }
            if (l == 0)
            {
                Ops.ScatterAdd(ids, dInput, store.Gradient(stack.Embedding!), rows, width, stack.VocabularySize);
            }
            else
            {
                dExternal = dInput;
            }
        }
    }

    /// <summary>Layer <paramref name="layer"/>'s recurrent kernel U [H, G·H], prepared for the per-step products of a decode.</summary>
    public PreparedRightOperand PrepareRecurrent(int layer) =>
        Ops.PrepareRight(store.Weight(stack.Layers[layer].RecurrentKernel), hidden, GateWidth, transposed: false);

    /// <summary>
    /// One decoding step for every layer: <paramref name="ids"/> [B] are the inputs, <paramref name="state"/> per layer
    /// the state [B, H], replaced by the new state. <paramref name="recurrent"/> holds each layer's U from
    /// <see cref="PrepareRecurrent"/>. <paramref name="gates"/> and <paramref name="recurrentGates"/> are scratch
    /// [B, G·H], <paramref name="embedded"/> scratch [B, E]. Returns the top layer's new h.
    /// </summary>
    public ArrayView<float> Step(ArrayView<int> ids, DecoderState state, PreparedRightOperand[] recurrent, ArrayView<float> gates, ArrayView<float> recurrentGates, ArrayView<float> embedded, int batch)
    {
        for (int l = 0; l < stack.Layers.Count; l++)
        {
            ProjectInputs(l, ids, l == 0 ? null : state.Hidden[l - 1], embedded, gates, batch, dropout: null);
            Cell.Step(Ops, new CellStep(recurrent[l], store.Weight(stack.Layers[l].Bias), gates, recurrentGates, state.Hidden[l], state.Cells[l], state.NextHidden[l], state.NextCells[l]), batch, hidden);
            state.Advance(l);
        }

        return state.Hidden[stack.Layers.Count - 1];
    }

    private CellWeights Weights(int layer) => new(store.Weight(stack.Layers[layer].RecurrentKernel), store.Weight(stack.Layers[layer].Bias));

    private CellWeights Gradients(int layer) => new(store.Gradient(stack.Layers[layer].RecurrentKernel), store.Gradient(stack.Layers[layer].Bias));

    /// <summary>
    /// The outputs [T·B, H] of layer <paramref name="layer"/> - 1 as layer <paramref name="layer"/> takes them: as they
    /// are, or with <paramref name="dropout"/> dropped into its scratch (the originals stay for the lower layer's backward pass).
    /// </summary>
    private ArrayView<float> LowerOutputs(RecurrentStackBuffers buffers, int layer, int steps, int batch, StackDropout? dropout)
    {
        var outputs = buffers.HRange(layer - 1, 1, steps, batch);
        if (dropout is null)
        {
            return outputs;
        }

        long count = (long)steps * batch * hidden;
        var dropped = dropout.Scratch(count);
        Ops.Dropout(outputs, dropped, count, dropout.Mask(layer));
        return dropped;
    }

    /// <summary>
    /// <c>gates = x·W + b_input</c> for <paramref name="rows"/> rows: a gather of W's rows for one-hot inputs (layer 0),
    /// else the embedding gather (layer 0, into <paramref name="embedded"/>, dropped there in place with
    /// <paramref name="dropout"/>) or the layer below's outputs, times W.
    /// </summary>
    private void ProjectInputs(int layer, ArrayView<int> ids, ArrayView<float>? lowerOutputs, ArrayView<float> embedded, ArrayView<float> gates, int rows, StackDropout? dropout)
    {
        var description = stack.Layers[layer];
        var bias = Cell.InputBias(store.Weight(description.Bias), hidden);
        var kernel = store.Weight(description.Kernel);
        if (layer == 0 && stack.OneHot)
        {
            Ops.Gather(ids, kernel, bias, gates, rows, GateWidth, stack.VocabularySize);
            return;
        }

        var input = lowerOutputs ?? embedded;
        if (layer == 0)
        {
            Ops.Gather(ids, store.Weight(stack.Embedding!), null, embedded, rows, stack.EmbeddingSize, stack.VocabularySize);
            if (dropout is not null)
            {
                Ops.Dropout(embedded, embedded, (long)rows * stack.EmbeddingSize, dropout.Mask(0));
            }
        }

        Ops.MatMul(input, kernel, bias, gates, new MatMulShape(rows, GateWidth, description.InputWidth, hasBias: true));
    }
}
