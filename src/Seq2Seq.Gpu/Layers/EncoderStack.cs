using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Parameters;
using N = Seq2Seq.Gpu.Layers.EncoderBuffers.Names;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The encoder, unidirectional (one <see cref="RecurrentStack"/>) or bidirectional (OpenNMT's: a forward and a
/// backward stack of U = H/2 units each). The backward stack reads each source reversed over its true length (see
/// <see cref="SourceReversal"/>); layer l &gt; 0 of both reads [forward; backward] outputs of layer l − 1, H wide, in its
/// own time order; the decoder's initial state of layer l is [forward final; backward final], H wide. Reversal and
/// concatenation are row gathers by host-computed maps; their gradients are gathers by the inverse maps (the maps are
/// permutations), plus one scatter-add where two directions' gradients meet. Each direction's recurrence is the
/// cell's usual one (fused or persistent on GPUs): a reversed input is just another input.
/// </summary>
internal sealed class EncoderStack
{
    private readonly WeightStore store;
    private readonly StackDescription description;
    private readonly RecurrentStack forward;
    private readonly RecurrentStack? reverse;

    public EncoderStack(WeightStore store, StackDescription encoder)
    {
        this.store = store;
        description = encoder;
        forward = new RecurrentStack(store, encoder);
        reverse = encoder.Reverse is { } backward ? new RecurrentStack(store, backward) : null;
    }

    /// <summary>The cell of every layer.</summary>
    public IRecurrentCell Cell => forward.Cell;

    private DeviceOps Ops => store.Device.Ops;

    private int Units => description.Units;

    private int Layers => description.Layers.Count;

    /// <summary>
    /// Encodes T steps from zero states. <paramref name="ids"/> and <paramref name="mask"/> are on the device ([T·B];
    /// mask null in Keras-compatible mode); <paramref name="hostIds"/> and <paramref name="hostMask"/> are the same on
    /// the host (a bidirectional encoder computes its reversal maps from them). With <paramref name="dropout"/>
    /// (training), each direction's layer drops its inputs (the embedding output, or the concatenation below in its own
    /// time order) with the same masks, as <see cref="RecurrentStack.ForwardLayer"/> does; pass the same to
    /// <see cref="Backward"/>.
    /// </summary>
    public void Forward(
        EncoderBuffers buffers, ArrayView<int> ids, ArrayView<int>? mask, ReadOnlySpan<int> hostIds, ReadOnlySpan<int> hostMask, int steps, int batch, StackDropout? dropout = null)
    {
        ZeroInitialStates(buffers.Forward, batch);
        if (reverse is null)
        {
            forward.Forward(buffers.Forward, ids, mask, steps, batch, dropout);
            return;
        }

        var backward = buffers.Reverse!;
        ZeroInitialStates(backward, batch);
        int rows = steps * batch;
        var maps = SourceReversal.Create(hostIds, hostMask, mask is not null, steps, batch);
        buffers.Upload(N.ReversedIds, maps.ReversedIds);
        buffers.Upload(N.ConcatSource, maps.ConcatSource);
        buffers.Upload(N.ConcatReversed, maps.ConcatReversed);
        buffers.Upload(N.SplitSource, maps.SplitSource);
        buffers.Upload(N.Interleave, maps.Interleave);
        buffers.Upload(N.Split, maps.Split);
        var reversedIds = buffers.Ints(N.ReversedIds, rows);

        // The mask is a prefix mask, unchanged by prefix reversal: both directions take the same one.
        for (int l = 0; l < Layers; l++)
        {
            // With dropout, one direction's dropped inputs in the scratch are dead once its layer has projected them.
            forward.ForwardLayer(buffers.Forward, l, ids, l == 0 ? null : Outputs(buffers, l - 1, rows), mask, steps, batch, dropout);
            reverse.ForwardLayer(backward, l, reversedIds, l == 0 ? null : ReversedOutputs(buffers, l - 1, rows), mask, steps, batch, dropout);
            Concatenate(buffers, l, steps, batch);
        }
    }

    /// <summary>
    /// The top layer's outputs [T, B, H] in source order, after <see cref="Forward"/>: h_t of a unidirectional encoder,
    /// [forward_t; backward_t] of a bidirectional one (backward_t being the backward direction's output at source step
    /// t; on padding, where the mask says nothing is real, each direction's carried state).
    /// </summary>
    public ArrayView<float> TopOutputs(EncoderBuffers buffers, int steps, int batch) =>
        reverse is null ? buffers.Forward.HRange(Layers - 1, 1, steps, batch) : Outputs(buffers, Layers - 1, steps * batch);

    /// <summary>
    /// The decoder's initial state of layer <paramref name="layer"/> after <see cref="Forward"/>: h and (for cells with a
    /// cell state, else an empty view) c [B, H]. A bidirectional encoder builds [forward final; backward final] into one
    /// buffer that the next call reuses, so read each layer's before asking for the next.
    /// </summary>
    public (ArrayView<float> Hidden, ArrayView<float> Cells) FinalState(EncoderBuffers buffers, int layer, int steps, int batch)
    {
        var f = buffers.Forward;
        if (reverse is null)
        {
            return (f.HAt(layer, steps, batch), Cell.HasCellState ? f.CAt(layer, steps, batch) : default);
        }

        var r = buffers.Reverse!;
        var hidden = Interleave(buffers, f.HAt(layer, steps, batch), r.HAt(layer, steps, batch), N.FinalHidden, batch);
        var cells = Cell.HasCellState ? Interleave(buffers, f.CAt(layer, steps, batch), r.CAt(layer, steps, batch), N.FinalCells, batch) : default;
        return (hidden, cells);
    }

    /// <summary>
    /// Back-propagates from the gradients into the final states, <paramref name="dh"/> (and for cells with a cell state
    /// <paramref name="dc"/>) [B, H] per layer, and into the top outputs, <paramref name="dOutputs"/> [T, B, H] in source
    /// order (the attention's gradient into its memory; null without attention, whose model reads no encoder output),
    /// and accumulates every encoder parameter's gradient. The carries are consumed (their values on exit are
    /// unspecified: the encoder's initial states are constant zeros). <paramref name="dropout"/> is <see cref="Forward"/>'s.
    /// </summary>
    public void Backward(
        EncoderBuffers buffers,
        ArrayView<int> ids,
        ArrayView<int>? mask,
        int steps,
        int batch,
        ArrayView<float>[] dh,
        ArrayView<float>[] dc,
        BackwardScratch scratch,
        StackDropout? dropout = null,
        ArrayView<float>? dOutputs = null)
    {
        if (reverse is null)
        {
            forward.Backward(buffers.Forward, ids, mask, steps, batch, dOutputs, dh, dc, scratch, dropout);
            return;
        }

        int rows = steps * batch;
        long pair = 2L * rows * Units;
        long carry = (long)batch * Units;
        var reversedIds = buffers.Ints(N.ReversedIds, rows);
        ArrayView<float>? dForward = null;
        ArrayView<float>? dReverse = null;
        if (dOutputs is { } dTop)
        {
            // The top outputs are the pair gathered into source order, so their gradient goes back by the inverse map: the
            // forward direction's half in source order, the backward direction's in reversed order. Layer l of the loop
            // below reads the pair gradient of parity (l + 1) % 2 and writes that of parity l % 2, so the top layer's
            // input is the buffer of parity Layers % 2.
            var dPair = buffers.Floats(N.PairGradientOf(Layers % 2), pair);
            Ops.Gather(buffers.Ints(N.SplitSource, 2L * rows), dTop, null, dPair, 2 * rows, Units, 2 * rows);
            dForward = dPair.SubView(0, (long)rows * Units);
            dReverse = dPair.SubView((long)rows * Units, (long)rows * Units);
        }
        for (int l = Layers - 1; l >= 0; l--)
        {
            // dh of layer l [B, H] = [B·2, U] rows: row 2b the forward half, 2b + 1 the backward half; split into [2·B, U].
            var dhPair = Split(buffers, dh[l], N.CarryHidden, batch);
            var dcPair = Cell.HasCellState ? Split(buffers, dc[l], N.CarryCells, batch) : default;
            var lowerSource = l == 0 ? (ArrayView<float>?)null : Outputs(buffers, l - 1, rows);
            var lowerReversed = l == 0 ? (ArrayView<float>?)null : ReversedOutputs(buffers, l - 1, rows);
            var dInputForward = forward.BackwardLayer(
                buffers.Forward, l, ids, lowerSource, mask, steps, batch, dForward, dhPair.SubView(0, carry), Cell.HasCellState ? dcPair.SubView(0, carry) : default, scratch, dropout);
            if (l == 0)
            {
                reverse.BackwardLayer(
                    buffers.Reverse!, l, reversedIds, null, mask, steps, batch, dReverse, dhPair.SubView(carry, carry), Cell.HasCellState ? dcPair.SubView(carry, carry) : default, scratch, dropout);
                break;
            }

            // The gradient into layer l − 1's pair [2·T·B, U]: the forward direction's input gradient [T·B, H] (source
            // order) by the inverse of the source-order concatenation, then (the scratch input buffer, also the dropout's
            // scratch, is reused by the backward direction) plus the backward direction's, through the reversed-order concatenation's adjoint.
            // Two pair-gradient buffers alternate: layer l reads the one layer l + 1 wrote while it writes the other.
            var dPair = buffers.Floats(N.PairGradientOf(l % 2), pair);
            Ops.Gather(buffers.Ints(N.SplitSource, 2L * rows), dInputForward!.Value, null, dPair, 2 * rows, Units, 2 * rows);
            var dInputReverse = reverse.BackwardLayer(
                buffers.Reverse!, l, reversedIds, lowerReversed, mask, steps, batch, dReverse, dhPair.SubView(carry, carry), Cell.HasCellState ? dcPair.SubView(carry, carry) : default, scratch, dropout);
            Ops.ScatterAdd(buffers.Ints(N.ConcatReversed, 2L * rows), dInputReverse!.Value, dPair, 2 * rows, Units, 2 * rows);
            dForward = dPair.SubView(0, (long)rows * Units);
            dReverse = dPair.SubView((long)rows * Units, (long)rows * Units);
        }
    }

    private static void ZeroInitialStates(RecurrentStackBuffers buffers, int batch)
    {
        for (int l = 0; l < buffers.Layers; l++)
        {
            buffers.HAt(l, 0, batch).MemSetToZero();
            if (buffers.Cell.HasCellState)
            {
                buffers.CAt(l, 0, batch).MemSetToZero();
            }
        }
    }

    private static ArrayView<float> Outputs(EncoderBuffers buffers, int layer, int rows) => buffers.Floats(N.Outputs(layer), (long)rows * 2 * buffers.Forward.Hidden);

    private static ArrayView<float> ReversedOutputs(EncoderBuffers buffers, int layer, int rows) => buffers.Floats(N.ReversedOutputs(layer), (long)rows * 2 * buffers.Forward.Hidden);

    /// <summary>
    /// Layer l's outputs as the model reads them: the pair [forward (source order); backward (reversed order)] gathered
    /// into [T, B, H] in source order (the layer above's forward input, and the encoder's outputs at the top) and, below
    /// the top, into reversed order (the layer above's backward input).
    /// </summary>
    private void Concatenate(EncoderBuffers buffers, int layer, int steps, int batch)
    {
        int rows = steps * batch;
        long half = (long)rows * Units;
        var pair = buffers.Floats(N.Pair, 2 * half);
        buffers.Forward.HRange(layer, 1, steps, batch).CopyTo(pair.SubView(0, half));
        buffers.Reverse!.HRange(layer, 1, steps, batch).CopyTo(pair.SubView(half, half));
        Ops.Gather(buffers.Ints(N.ConcatSource, 2L * rows), pair, null, Outputs(buffers, layer, rows), 2 * rows, Units, 2 * rows);
        if (layer < Layers - 1)
        {
            Ops.Gather(buffers.Ints(N.ConcatReversed, 2L * rows), pair, null, ReversedOutputs(buffers, layer, rows), 2 * rows, Units, 2 * rows);
        }
    }

    /// <summary>[forward; backward] [B, 2U] of two final states [B, U] (through the pair table [2·B, U]).</summary>
    private ArrayView<float> Interleave(EncoderBuffers buffers, ArrayView<float> forwardState, ArrayView<float> backwardState, string output, int batch)
    {
        long state = (long)batch * Units;
        var pair = buffers.Floats(N.Pair, 2 * state);
        forwardState.CopyTo(pair.SubView(0, state));
        backwardState.CopyTo(pair.SubView(state, state));
        var result = buffers.Floats(output, 2 * state);
        Ops.Gather(buffers.Ints(N.Interleave, 2L * batch), pair, null, result, 2 * batch, Units, 2 * batch);
        return result;
    }

    /// <summary>A state gradient [B, 2U] split into the two directions' [2·B, U] (forward rows first).</summary>
    private ArrayView<float> Split(EncoderBuffers buffers, ArrayView<float> gradient, string output, int batch)
    {
        var result = buffers.Floats(output, 2L * batch * Units);
        Ops.Gather(buffers.Ints(N.Split, 2L * batch), gradient, null, result, 2 * batch, Units, 2 * batch);
        return result;
    }
}
