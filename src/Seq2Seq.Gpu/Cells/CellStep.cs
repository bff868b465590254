using ILGPU;
using Seq2Seq.Gpu.Compute;

namespace Seq2Seq.Gpu.Cells;

/// <summary>The views of one decoding step of one layer (B rows).</summary>
/// <param name="Recurrent">U [H, G·H], prepared once per decode.</param>
/// <param name="Bias">The layer's whole bias.</param>
/// <param name="Gates">[B, G·H]: in, x·W + b_input; scratch after.</param>
/// <param name="RecurrentGates">[B, G·H] scratch for cells that keep h·U + b; otherwise empty.</param>
/// <param name="Hidden">h [B, H], read.</param>
/// <param name="Cells">c [B, H], read (cells with a cell state; otherwise empty).</param>
/// <param name="NextHidden">h' [B, H], assigned; must not overlap h.</param>
/// <param name="NextCells">c' [B, H], assigned (or empty).</param>
internal readonly record struct CellStep(
    PreparedRightOperand Recurrent, ArrayView<float> Bias, ArrayView<float> Gates, ArrayView<float> RecurrentGates, ArrayView<float> Hidden, ArrayView<float> Cells, ArrayView<float> NextHidden, ArrayView<float> NextCells);
