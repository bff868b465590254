using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Numerics;
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

    public RecurrentStack(WeightStore store, StackDescription stack)
    {
        this.store = store;
        this.stack = stack;
        hidden = stack.Units;
        Cell = RecurrentCells.For(stack.Cell, stack.Activation);
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
        for (int l = 0; l < stack.Layers.Count; l++)
        {
            ForwardLayer(buffers, l, ids, l == 0 ? null : buffers.HRange(l - 1, 1, steps, batch), mask, steps, batch, dropout);
        }
    }

    /// <summary>
    /// Runs layer <paramref name="layer"/> over T steps from its initial state in slot 0: layer 0 reads
    /// <paramref name="ids"/> [T·B], a layer above reads <paramref name="lowerOutputs"/> [T·B, InputWidth] (the layer
    /// below's outputs, or a bidirectional encoder's concatenated ones). With <paramref name="dropout"/>, the embedding
    /// output (in place) or <paramref name="lowerOutputs"/> (into the dropout's scratch; the originals stay) are dropped
    /// as the layer reads them; pass the same to <see cref="BackwardLayer"/>.
    /// </summary>
    public void ForwardLayer(
        RecurrentStackBuffers buffers, int layer, ArrayView<int> ids, ArrayView<float>? lowerOutputs, ArrayView<int>? mask, int steps, int batch, StackDropout? dropout = null)
    {
        int rows = steps * batch;
        var input = layer == 0 && !stack.OneHot ? buffers.Embedded(rows, stack.EmbeddingSize) : default;
        ProjectInputs(layer, ids, lowerOutputs is { } lower && layer > 0 ? Dropped(layer, lower, rows, dropout) : lowerOutputs, input, buffers.Gates(layer, steps, batch), rows, dropout);
        Cell.Forward(Ops, buffers.Sequence(layer, Weights(layer), steps, batch), mask, steps, batch, hidden);
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
        ArrayView<float>? dExternal = dTop;
        for (int l = stack.Layers.Count - 1; l >= 0; l--)
        {
            dExternal = BackwardLayer(buffers, l, ids, l == 0 ? null : buffers.HRange(l - 1, 1, steps, batch), mask, steps, batch, dExternal, dhCarry[l], Cell.HasCellState ? dcCarry[l] : default, scratch, dropout);
        }
    }

    /// <summary>
    /// Back-propagates layer <paramref name="layer"/> (see <see cref="Backward"/>) given the inputs it read forward,
    /// <paramref name="lowerOutputs"/> [T·B, InputWidth] above layer 0, and <paramref name="dExternal"/> [T·B, units]
    /// (or null), the gradient into its outputs. Returns the gradient into <paramref name="lowerOutputs"/>,
    /// [T·B, InputWidth] in <paramref name="scratch"/>'s input buffer (valid until the next layer's backward pass), or
    /// null at layer 0, whose input gradient goes into the embedding or the one-hot kernel. <paramref name="dropout"/> is
    /// <see cref="ForwardLayer"/>'s: the input gradient goes through the same mask.
    /// </summary>
    public ArrayView<float>? BackwardLayer(
        RecurrentStackBuffers buffers,
        int layer,
        ArrayView<int> ids,
        ArrayView<float>? lowerOutputs,
        ArrayView<int>? mask,
        int steps,
        int batch,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        BackwardScratch scratch,
        StackDropout? dropout = null)
    {
        int rows = steps * batch;
        int l = layer;
        var description = stack.Layers[l];
        var dGates = scratch.Gates(rows, GateWidth);
        var backward = new CellBackward(Gradients(l), dExternal, dhCarry, Cell.HasCellState ? dcCarry : default, dGates, scratch.RecurrentGates(rows, GateWidth));
        Cell.Backward(Ops, buffers.Sequence(l, Weights(l), steps, batch), backward, mask, steps, batch, hidden);
        Ops.ColumnSum(dGates, Cell.InputBias(store.Gradient(description.Bias), hidden), rows, GateWidth, accumulate: true);

        if (l == 0 && stack.OneHot)
        {
            Ops.ScatterAdd(ids, dGates, store.Gradient(description.Kernel), rows, GateWidth, stack.VocabularySize);
            return null;
        }

        // The input as the forward pass saw it: the embedding output was dropped in place; the lower layer's outputs are
        // dropped again into the dropout scratch. dExternal (this layer's output gradient; in the input-gradient scratch
        // unless a bidirectional encoder gave its own buffer) was consumed by the cell's backward pass, so that scratch is
        // free; the training pass gives the dropout the same buffer, which dW's product reads before dInput's product
        // overwrites it.
        int width = description.InputWidth;
        var input = l == 0 ? buffers.Embedded(rows, width) : Dropped(l, lowerOutputs ?? throw new ArgumentNullException(nameof(lowerOutputs)), rows, dropout);
        Ops.MatMul(input, dGates, null, store.Gradient(description.Kernel), new MatMulShape(width, GateWidth, rows, transposeA: true, accumulate: true));

        var dInput = scratch.Inputs(rows, width);
        Ops.MatMul(dGates, store.Weight(description.Kernel), null, dInput, new MatMulShape(rows, width, GateWidth, transposeB: true));
        if (dropout is not null)
        {
            // d(input) = d(dropped input)·mask/(1-p), in place.
            Ops.Dropout(dInput, dInput, (long)rows * width, dropout.Mask(l));
        }

        if (l == 0)
        {
            Ops.ScatterAdd(ids, dInput, store.Gradient(stack.Embedding!), rows, width, stack.VocabularySize);
            return null;
        }

        return dInput;
    }

    /// <summary>Layer <paramref name="layer"/>'s recurrent kernel U [H, G·H], as the per-step products of a decode read it (to prepare).</summary>
    public RightOperandSource RecurrentSource(int layer) =>
        new(store.Weight(stack.Layers[layer].RecurrentKernel), hidden, GateWidth, Transposed: false);

    /// <summary>
    /// Layer <paramref name="layer"/>'s input kernel W [input, G·H], as the per-step products of a decode read it (to
    /// prepare), or null for a one-hot layer 0 (its input projection is a gather of W's rows, one row a token).
    /// </summary>
    public RightOperandSource? InputSource(int layer) =>
        layer == 0 && stack.OneHot ? null : new(store.Weight(stack.Layers[layer].Kernel), stack.Layers[layer].InputWidth, GateWidth, Transposed: false);

    /// <summary>
    /// One decoding step for every layer: <paramref name="ids"/> [B] are the inputs, <paramref name="state"/> per layer
    /// the state [B, H], replaced by the new state. <paramref name="recurrent"/> holds each layer's U from
    /// <see cref="RecurrentSource"/>, <paramref name="inputs"/> each layer's W from <see cref="InputSource"/> or null
    /// (the products then read W from the store). <paramref name="gates"/> and <paramref name="recurrentGates"/> are
    /// scratch [B, G·H], <paramref name="embedded"/> scratch [B, E]. Returns the top layer's new h.
    /// </summary>
    public ArrayView<float> Step(
        ArrayView<int> ids, DecoderState state, PreparedRightOperand[] recurrent, PreparedRightOperand?[] inputs, ArrayView<float> gates, ArrayView<float> recurrentGates, ArrayView<float> embedded, int batch)
    {
        for (int l = 0; l < stack.Layers.Count; l++)
        {
            ProjectInputs(l, ids, l == 0 ? null : state.Hidden[l - 1], embedded, gates, batch, dropout: null, l < inputs.Length ? inputs[l] : null);
            Cell.Step(Ops, new CellStep(recurrent[l], store.Weight(stack.Layers[l].Bias), gates, recurrentGates, state.Hidden[l], state.Cells[l], state.NextHidden[l], state.NextCells[l]), batch, hidden);
            state.Advance(l);
        }

        return state.Hidden[stack.Layers.Count - 1];
    }

    private CellWeights Weights(int layer) => new(store.Weight(stack.Layers[layer].RecurrentKernel), store.Weight(stack.Layers[layer].Bias));

    private CellWeights Gradients(int layer) => new(store.Gradient(stack.Layers[layer].RecurrentKernel), store.Gradient(stack.Layers[layer].Bias));

    /// <summary>
    /// The inputs <paramref name="lowerOutputs"/> [T·B, InputWidth] of layer <paramref name="layer"/> &gt; 0 as it takes
    /// them: as they are, or with <paramref name="dropout"/> dropped into its scratch (the originals stay for the lower
    /// layer's backward pass).
    /// </summary>
    private ArrayView<float> Dropped(int layer, ArrayView<float> lowerOutputs, int rows, StackDropout? dropout)
    {
        if (dropout is null)
        {
            return lowerOutputs;
        }

        long count = (long)rows * stack.Layers[layer].InputWidth;
        var dropped = dropout.Scratch(count);
        Ops.Dropout(lowerOutputs, dropped, count, dropout.Mask(layer));
        return dropped;
    }

    /// <summary>
    /// <c>gates = x·W + b_input</c> for <paramref name="rows"/> rows: a gather of W's rows for one-hot inputs (layer 0),
    /// else the embedding gather (layer 0, into <paramref name="embedded"/>, dropped there in place with
    /// <paramref name="dropout"/>) or the layer below's outputs, times W (<paramref name="preparedKernel"/> when given).
    /// </summary>
    private void ProjectInputs(
        int layer, ArrayView<int> ids, ArrayView<float>? lowerOutputs, ArrayView<float> embedded, ArrayView<float> gates, int rows, StackDropout? dropout, PreparedRightOperand? preparedKernel = null)
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

        var shape = new MatMulShape(rows, GateWidth, description.InputWidth, hasBias: true);
        if (preparedKernel is not null)
        {
            Ops.MatMul(input, preparedKernel, bias, gates, shape);
            return;
        }

        Ops.MatMul(input, kernel, bias, gates, shape);
    }
}
