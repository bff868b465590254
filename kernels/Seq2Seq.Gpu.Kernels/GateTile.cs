using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The tile products of the fused recurrent kernels, for explicitly grouped launches with groups of
/// <c>U = Group.DimX</c> units by <c>R = Group.DimY</c> rows (U, R ≤ <see cref="MaxSide"/>). Thread (x, y) of a group owns
/// row <c>row0 + y</c> and unit <c>unit0 + x</c>, and accumulates the four columns of that unit (the four gates i, f,
/// g, o of an LSTM unit, or four columns of an output tile) in registers: the gate pre-activations never go through
/// global memory. The reduced dimension is walked in steps of U, staging the left rows and the right columns through
/// shared memory (two barriers a step). Every thread of the group must call these helpers, in or out of range.
/// </summary>
internal static class GateTile
{
    /// <summary>Largest group side: 32 units by 32 rows.</summary>
    public const int MaxSide = 32;

    /// <summary>Shared floats for the left tile [R, U].</summary>
    public const int LeftTileSize = MaxSide * MaxSide;

    /// <summary>Shared floats for the right tile: [U, 4·U] for <see cref="Accumulate{TRight}"/>, [U, U + 1] for <see cref="AccumulateTransposed"/>.</summary>
    public const int RightTileSize = MaxSide * LstmGates.Count * MaxSide;

    /// <summary>
    /// <c>sums.S_g += Σ_k left[r, k] · right[k, g·stride + u]</c> for the thread's row r = row0 + y and unit u = unit0 + x,
    /// g = 0..3. Left: [rows, k] at <c>left[r·k]</c>, or, when <paramref name="gatherLeft"/> is 1, row leftRows[r] of a
    /// table [*, k] (embedding lookup fused into the product). Right: [k, n] from element <paramref name="rightOffset"/>
    /// of <paramref name="right"/> (FP32 or bfloat16, see <see cref="IMatrixElements"/>). Columns with u ≥ units or at n
    /// or beyond contribute zero.
    /// </summary>
    public static FourSums Accumulate<TRight>(
        FourSums sums,
        ArrayView<float> left,
        ArrayView<int> leftRows,
        int gatherLeft,
        int rows,
        int k,
        TRight right,
        long rightOffset,
        int n,
        int stride,
        int units,
        int row0,
        int unit0,
        ArrayView<float> leftTile,
        ArrayView<float> rightTile)
        where TRight : struct, IMatrixElements
    {
        int width = Group.DimX;
        int x = Group.IdxX;
        int y = Group.IdxY;
        int linear = (y * width) + x;
        int groupSize = width * Group.DimY;
        int tileWidth = LstmGates.Count * width;
        int row = row0 + y;
        long leftBase = row < rows ? (gatherLeft != 0 ? (long)leftRows[row] * k : (long)row * k) : -1;

        for (int k0 = 0; k0 < k; k0 += width)
        {
            int kl = k0 + x;
            leftTile[(y * width) + x] = leftBase >= 0 && kl < k ? left[leftBase + kl] : 0f;

            // [U, 4U] of right, coalesced along each gate's units.
            for (int index = linear; index < width * tileWidth; index += groupSize)
            {
                int kk = index / tileWidth;
                int rest = index - (kk * tileWidth);
                int gate = rest / width;
                int unit = unit0 + rest - (gate * width);
                int column = (gate * stride) + unit;
                int kr = k0 + kk;
                rightTile[index] = kr < k && unit < units && column < n ? right.Load(rightOffset + ((long)kr * n) + column) : 0f;
            }

            Group.Barrier();
            int depth = k - k0 < width ? k - k0 : width;
            for (int kk = 0; kk < depth; kk++)
            {
                float a = leftTile[(y * width) + kk];
                int at = (kk * tileWidth) + x;
                sums.S0 += a * rightTile[at];
                sums.S1 += a * rightTile[at + width];
                sums.S2 += a * rightTile[at + (2 * width)];
                sums.S3 += a * rightTile[at + (3 * width)];
            }

            Group.Barrier();
        }

        return sums;
    }

    /// <summary>
    /// <c>Σ_c left[r, c] · right[u, c]</c> for the thread's row r = row0 + y and unit u = unit0 + x: a product with the
    /// transpose of right [units, n] (the dh = dz·Uᵀ of the backward step, U being [H, 4H]). Left: [rows, n].
    /// </summary>
    public static float AccumulateTransposed(
        ArrayView<float> left,
        int rows,
        int n,
        ArrayView<float> right,
        int units,
        int row0,
        int unit0,
        ArrayView<float> leftTile,
        ArrayView<float> rightTile)
    {
        int width = Group.DimX;
        int x = Group.IdxX;
        int y = Group.IdxY;
        int linear = (y * width) + x;
        int groupSize = width * Group.DimY;
        int row = row0 + y;

        // The right tile is stored [U, U + 1]: the padding puts the U threads of a warp on distinct banks.
        int pitch = width + 1;
        float sum = 0f;
        for (int c0 = 0; c0 < n; c0 += width)
        {
            int cl = c0 + x;
            leftTile[(y * width) + x] = row < rows && cl < n ? left[((long)row * n) + cl] : 0f;
            for (int index = linear; index < width * width; index += groupSize)
            {
                int uu = index / width;
                int cc = index - (uu * width);
                int unit = unit0 + uu;
                int column = c0 + cc;
                rightTile[(uu * pitch) + cc] = unit < units && column < n ? right[((long)unit * n) + column] : 0f;
            }

            Group.Barrier();
            int depth = n - c0 < width ? n - c0 : width;
            for (int cc = 0; cc < depth; cc++)
            {
                sum += leftTile[(y * width) + cc] * rightTile[(x * pitch) + cc];
            }

            Group.Barrier();
        }

        return sum;
    }
}
