using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// One recurrent step of an LSTM layer in one launch: the recurrent product and the cell together. Explicitly
/// grouped, groups of U units (Group.DimX) by R rows (Group.DimY), U and R ≤ 32; grid (ceil(H / U), ceil(B / R)).
/// Each group owns U hidden units for all four gates of R batch rows, so the gate pre-activations stay in registers
/// (see <see cref="GateTile"/>): the per-step cost is one read of U's slice per group instead of a product that
/// writes [B, 4H] to global memory and a second kernel that reads it back. The GPU path; the cell arithmetic is
/// the one of <see cref="LstmCellKernels"/>, so both paths agree up to the order of the recurrent sum.
/// <para>
/// <see cref="FusedForward{TRecurrent}"/>: <c>z = gates + hPrev·U; gates = act(z); (cNext, hNext) = cell(z, cPrev)</c> with the mask
/// inside the cell (a row with mask[b] = 0 keeps its state). Views: gates [B, 4H] (in: x·W + b for this step; out:
/// activations, kept for the backward pass), recurrent U [H, 4H] (FP32, or the decoder's bfloat16 copy: see
/// <see cref="IMatrixElements"/>), cPrev, hPrev [B, H] (read), cNext, hNext [B, H]
/// (assigned), mask [B] (read when HasMask is 1; see <see cref="LstmStepShape"/>).
/// </para>
/// <para>
/// <see cref="FusedBackward"/>: the backward cell of step t fused with the recurrent part of its dh:
/// <c>dh = dhCarry + dGatesNext·Uᵀ (+ dhExternal)</c>, where dGatesNext is step t+1's gate gradient (absent for the
/// last step). The cell backward then proceeds as <see cref="LstmCellKernels.Backward"/>. Views: activations [B, 4H],
/// recurrent U [H, 4H], cPrev, cNext [B, H], dhExternal [B, H] (read when HasExternal is 1), dhCarry [B, H] (in: the
/// masked bypass of step t+1; out: that of step t), dcCarry [B, H] (in: dc from t+1; out: dc_prev), dGatesNext
/// [B, 4H] (read when HasNext is 1), dGates [B, 4H] (assigned), mask [B]. After the first step the caller still adds
/// <c>dGates_0·Uᵀ</c> into dhCarry for the gradient into the initial state.
/// </para>
/// </summary>
internal static class LstmStepKernels
{
    /// <summary>Largest group side (units and rows): the shared tiles are sized for 32 by 32.</summary>
    public const int MaxGroupSide = GateTile.MaxSide;

    /// <summary>Shared memory one group of these kernels (and of the persistent decoder's tiles) uses, in bytes.</summary>
    public const int SharedBytes = (GateTile.LeftTileSize + GateTile.RightTileSize) * sizeof(float);

    /// <summary>Recurrent product and cell of one forward step.</summary>
    public static void FusedForward<TRecurrent>(
        ArrayView<float> gates,
        TRecurrent recurrent,
        ArrayView<float> cPrev,
        ArrayView<float> hPrev,
        ArrayView<float> cNext,
        ArrayView<float> hNext,
        ArrayView<int> mask,
        LstmStepShape shape)
        where TRecurrent : struct, IMatrixElements
    {
        int batch = shape.Batch;
        int hidden = shape.Hidden;
        var leftTile = SharedMemory.Allocate<float>(GateTile.LeftTileSize);
        var rightTile = SharedMemory.Allocate<float>(GateTile.RightTileSize);
        int unit0 = Grid.IdxX * Group.DimX;
        int row0 = Grid.IdxY * Group.DimY;

        // hPrev's rows are not gathered: the ids view is a placeholder (the mask view).
        var sums = GateTile.Accumulate(
            default, hPrev, mask, 0, batch, hidden, recurrent, 0, LstmGates.Count * hidden, hidden, hidden, row0, unit0, leftTile, rightTile);

        int b = row0 + Group.IdxY;
        int j = unit0 + Group.IdxX;
        if (b < batch && j < hidden)
        {
            LstmCellKernels.ForwardUnit(gates, sums, cPrev, hPrev, cNext, hNext, b, j, hidden, shape.HasMask != 0 && mask[b] == 0, shape.Activation);
        }
    }

    /// <summary>Backward cell of one step with dh's recurrent part (from step t+1) computed in the same launch.</summary>
    public static void FusedBackward(
        ArrayView<float> activations,
        ArrayView<float> recurrent,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float> dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int> mask,
        LstmStepShape shape)
    {
        int batch = shape.Batch;
        int hidden = shape.Hidden;
        var leftTile = SharedMemory.Allocate<float>(GateTile.LeftTileSize);
        var rightTile = SharedMemory.Allocate<float>(GateTile.RightTileSize);
        int unit0 = Grid.IdxX * Group.DimX;
        int row0 = Grid.IdxY * Group.DimY;

        // HasNext is the same for the whole grid, so every thread of a group reaches the helper's barriers or none does.
        float recurrentPart = shape.HasNext != 0
            ? GateTile.AccumulateTransposed(dGatesNext, batch, LstmGates.Count * hidden, recurrent, hidden, row0, unit0, leftTile, rightTile)
            : 0f;

        int b = row0 + Group.IdxY;
        int j = unit0 + Group.IdxX;
        if (b < batch && j < hidden)
        {
            LstmCellKernels.BackwardUnitWithRecurrent(
                activations, cPrev, cNext, dhExternal, shape.HasExternal != 0, dhCarry, dcCarry, dGates, b, j, hidden, shape.HasMask != 0 && mask[b] == 0, recurrentPart, shape.Activation);
        }
    }
}
