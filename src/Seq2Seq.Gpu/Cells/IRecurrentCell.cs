using ILGPU;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Parameters;

namespace Seq2Seq.Gpu.Cells;

/// <summary>
/// A recurrent cell: what it adds to a layer's parameters, what state it carries, and its step math over whole
/// sequences (training) and one step (decoding), written once against <see cref="DeviceOps"/> so that it runs on every
/// backend. The layer stack (<c>RecurrentStack</c>) owns what every cell shares: the input projection
/// <c>x·W + b_input</c> of all T steps in one product (or a gather for one-hot inputs), its gradients, and the buffers.
/// With G gates (<see cref="GateCount"/>) a layer's parameters are <c>kernel</c> [in, G·H], <c>recurrent_kernel</c>
/// [H, G·H] and <c>bias</c> (<see cref="BiasShape"/>).
/// </summary>
internal interface IRecurrentCell
{
    /// <summary>Which cell this is.</summary>
    CellKind Kind { get; }

    /// <summary>The cell's word in parameter names (<c>decoder.lstm.0.kernel</c>).</summary>
    string Name { get; }

    /// <summary>Gates G: the kernels are [in, G·H] and [H, G·H].</summary>
    int GateCount { get; }

    /// <summary>Whether the state has a cell part c beside h (LSTM), kept [T + 1, B, H] like h.</summary>
    bool HasCellState { get; }

    /// <summary>Whether the forward pass keeps each step's recurrent pre-activations <c>h·U + b</c> [T, B, G·H] for the backward pass (GRU).</summary>
    bool KeepsRecurrentGates { get; }

    /// <summary>Whether the persistent greedy decoder (<see cref="Kernels.PersistentDecodeKernels"/>) implements this cell.</summary>
    bool HasPersistentDecoder { get; }

    /// <summary>How the bias is initialised.</summary>
    ParameterInit BiasInit { get; }

    /// <summary>The bias's shape for H units.</summary>
    int[] BiasShape(int hidden);

    /// <summary>The part of the bias added with the input projection x·W, [G·H], as a view of the whole bias.</summary>
    ArrayView<float> InputBias(ArrayView<float> bias, int hidden);

    /// <summary>
    /// Runs the recurrence over T steps. On entry <see cref="CellSequence.Gates"/> holds <c>x·W + b_input</c> and slot 0
    /// of the states the initial state; on exit the gates hold what <see cref="Backward"/> needs and slots 1..T the states.
    /// </summary>
    void Forward(DeviceOps ops, in CellSequence sequence, ArrayView<int>? mask, int steps, int batch, int hidden);

    /// <summary>
    /// Back-propagates through the T steps of a <see cref="Forward"/>: writes the gradient of <c>x·W + b_input</c> into
    /// <see cref="CellBackward.DInputGates"/>, accumulates the gradients of the recurrent kernel and of the rest of the
    /// bias, and turns the carries (gradient into the final state on entry) into the gradient into the initial state.
    /// </summary>
    void Backward(DeviceOps ops, in CellSequence sequence, in CellBackward backward, ArrayView<int>? mask, int steps, int batch, int hidden);

    /// <summary>One decoding step: <see cref="CellStep.Gates"/> holds <c>x·W + b_input</c>; writes the next state.</summary>
    void Step(DeviceOps ops, in CellStep step, int batch, int hidden);
}
