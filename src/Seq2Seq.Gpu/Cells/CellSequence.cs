using ILGPU;

namespace Seq2Seq.Gpu.Cells;

/// <summary>One layer's activations over T steps of B rows, as a cell reads and writes them.</summary>
/// <param name="Weights">The layer's recurrent kernel and bias.</param>
/// <param name="Gates">[T, B, G·H]: in, x·W + b_input; out, what the cell keeps of its gates.</param>
/// <param name="Hidden">h, [T + 1, B, H] (slot 0: the initial state).</param>
/// <param name="Cells">c, [T + 1, B, H], for cells with a cell state; otherwise empty.</param>
/// <param name="RecurrentGates">[T, B, G·H] for cells that keep h·U + b; otherwise empty.</param>
internal readonly record struct CellSequence(CellWeights Weights, ArrayView<float> Gates, ArrayView<float> Hidden, ArrayView<float> Cells, ArrayView<float> RecurrentGates);
