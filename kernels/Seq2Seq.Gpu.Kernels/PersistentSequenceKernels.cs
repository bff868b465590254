using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// A whole layer's recurrence, forward or backward through time, in ONE launch: the groups loop over the steps
/// themselves and meet at a software grid barrier (<see cref="GridBarrier"/>) after each, so T steps cost one launch
/// and T barriers instead of T launches. Each step is exactly the work of <see cref="LstmStepKernels"/> (same tiles,
/// same cell code): the gate tiles of U units by R rows (<see cref="GateTile"/>) are spread over a 1D grid of groups
/// that must all be resident at once (one a multiprocessor).
/// <para>
/// <see cref="Forward"/>: for t = 0..T-1, <c>gates_t = act(gates_t + h_t·U)</c>, <c>(c_{t+1}, h_{t+1}) = cell(…)</c>
/// with the mask inside the cell. Views: gates [T, B, 4H] (in: x·W + b; out: activations), recurrent U [H, 4H],
/// cells and hidden [T+1, B, H] (slot 0 in, slots 1..T out), mask [T, B] (read when HasMask is 1), sync [2] (zero).
/// </para>
/// <para>
/// <see cref="Backward"/>: for t = T-1..0, <c>dh = dhCarry + dGates_{t+1}·Uᵀ (+ dExternal_t)</c> (no recurrent part at
/// t = T-1), then the backward cell. Views: activations [T, B, 4H], recurrent U [H, 4H], cells [T+1, B, H],
/// dExternal [T, B, H] (read when HasExternal is 1), dhCarry and dcCarry [B, H] (in: gradients into the final state;
/// out: the bypass and dc into the initial state; the caller adds dGates_0·Uᵀ), dGates [T, B, 4H] (assigned), mask
/// [T, B], sync [2] (zero).
/// </para>
/// </summary>
internal static class PersistentSequenceKernels
{
    /// <summary>Forward through all steps of one layer.</summary>
    public static void Forward(
        ArrayView<float> gates,
        ArrayView<float> recurrent,
        ArrayView<float> cells,
        ArrayView<float> hidden,
        ArrayView<int> mask,
        ArrayView<int> sync,
        LstmSequenceShape shape)
    {
        var leftTile = SharedMemory.Allocate<float>(GateTile.LeftTileSize);
        var rightTile = SharedMemory.Allocate<float>(GateTile.RightTileSize);
        int batch = shape.Batch;
        int units = shape.Hidden;
        int gateWidth = LstmGates.Count * units;
        long state = (long)batch * units;
        int unitTiles = (units + Group.DimX - 1) / Group.DimX;
        int tiles = unitTiles * ((batch + Group.DimY - 1) / Group.DimY);
        for (int t = 0; t < shape.Steps; t++)
        {
            var hPrev = hidden.SubView(t * state, state);
            var cPrev = cells.SubView(t * state, state);
            var step = gates.SubView((long)t * batch * gateWidth, (long)batch * gateWidth);
            for (int tile = Grid.IdxX; tile < tiles; tile += Grid.DimX)
            {
                int unit0 = (tile % unitTiles) * Group.DimX;
                int row0 = (tile / unitTiles) * Group.DimY;
                var sums = GateTile.Accumulate(default, hPrev, mask, 0, batch, units, new Fp32Elements(recurrent), 0, gateWidth, units, units, row0, unit0, leftTile, rightTile);
                int b = row0 + Group.IdxY;
                int j = unit0 + Group.IdxX;
                if (b < batch && j < units)
                {
                    bool keep = shape.HasMask != 0 && mask[((long)t * batch) + b] == 0;
                    LstmCellKernels.ForwardUnit(step, sums, cPrev, hPrev, cells.SubView((t + 1) * state, state), hidden.SubView((t + 1) * state, state), b, j, units, keep, shape.Activation);
                }
            }

            GridBarrier.Wait(sync, Grid.DimX);
        }
    }

    /// <summary>Backward through all steps of one layer.</summary>
    public static void Backward(
        ArrayView<float> activations,
        ArrayView<float> recurrent,
        ArrayView<float> cells,
        ArrayView<float> dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int> mask,
        ArrayView<int> sync,
        LstmSequenceShape shape)
    {
        var leftTile = SharedMemory.Allocate<float>(GateTile.LeftTileSize);
        var rightTile = SharedMemory.Allocate<float>(GateTile.RightTileSize);
        int batch = shape.Batch;
        int units = shape.Hidden;
        int gateWidth = LstmGates.Count * units;
        long state = (long)batch * units;
        long stepGates = (long)batch * gateWidth;
        int unitTiles = (units + Group.DimX - 1) / Group.DimX;
        int tiles = unitTiles * ((batch + Group.DimY - 1) / Group.DimY);
        for (int t = shape.Steps - 1; t >= 0; t--)
        {
            for (int tile = Grid.IdxX; tile < tiles; tile += Grid.DimX)
            {
                int unit0 = (tile % unitTiles) * Group.DimX;
                int row0 = (tile / unitTiles) * Group.DimY;

                // t is the same for the whole grid, so every thread of a group reaches the helper's barriers or none does.
                float recurrentPart = t + 1 < shape.Steps
                    ? GateTile.AccumulateTransposed(dGates.SubView((t + 1) * stepGates, stepGates), batch, gateWidth, recurrent, units, row0, unit0, leftTile, rightTile)
                    : 0f;
                int b = row0 + Group.IdxY;
                int j = unit0 + Group.IdxX;
                if (b < batch && j < units)
                {
                    bool masked = shape.HasMask != 0 && mask[((long)t * batch) + b] == 0;
                    LstmCellKernels.BackwardUnitWithRecurrent(
                        activations.SubView(t * stepGates, stepGates), cells.SubView(t * state, state), cells.SubView((t + 1) * state, state),
                        shape.HasExternal != 0 ? dExternal.SubView(t * state, state) : dExternal, shape.HasExternal != 0, dhCarry, dcCarry,
                        dGates.SubView(t * stepGates, stepGates), b, j, units, masked, recurrentPart, shape.Activation);
                }
            }

            GridBarrier.Wait(sync, Grid.DimX);
        }
    }
}
