using ILGPU;

namespace Seq2Seq.Gpu.Cells;

/// <summary>What a cell's backward pass reads and writes besides the forward activations.</summary>
/// <param name="Gradients">Where the gradients of U and the bias accumulate.</param>
/// <param name="DExternal">Gradient into each step's output h from above, [T, B, H], or null (an encoder's top layer).</param>
/// <param name="DhCarry">[B, H]: in, the gradient into the final h; out, into the initial h.</param>
/// <param name="DcCarry">[B, H] likewise for c (cells with a cell state; otherwise empty).</param>
/// <param name="DInputGates">[T, B, G·H], assigned: the gradient of x·W + b_input.</param>
/// <param name="DRecurrentGates">[T, B, G·H] scratch for cells whose recurrent gradient differs from the input one; otherwise empty.</param>
internal readonly record struct CellBackward(
    CellWeights Gradients, ArrayView<float>? DExternal, ArrayView<float> DhCarry, ArrayView<float> DcCarry, ArrayView<float> DInputGates, ArrayView<float> DRecurrentGates);
