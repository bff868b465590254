using ILGPU;

namespace Seq2Seq.Gpu.Cells;

/// <summary>A layer's recurrent kernel U [H, G·H] and bias, as weights or as their gradients.</summary>
/// <param name="RecurrentKernel">U [H, G·H].</param>
/// <param name="Bias">The whole bias (its shape is the cell's).</param>
internal readonly record struct CellWeights(ArrayView<float> RecurrentKernel, ArrayView<float> Bias);
