using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Matrix products <c>C[M, N] (=|+=) op(A)·op(B) (+ bias[N])</c> (see <see cref="MatMulShape"/>) and the column sum
/// that gives bias gradients.
/// <list type="bullet">
/// <item><see cref="MatMulRows{TB}"/>: implicitly grouped and barrier-free; one work item per element of C (flat index
/// m·N + n), each thread a chunk of consecutive items. The variant for ILGPU's CPU accelerator, where barriers cost
/// about 100 µs each.</item>
/// <item><see cref="MatMulTiled{TB}"/>: explicitly grouped, square groups of T×T threads (T = Group.DimX, at most
/// <see cref="MaxTile"/>); each group computes a T×T tile of C, staging T×T tiles of A and B through shared memory
/// with two barriers a step along K. The GPU variant. Grid: (ceil(N/T), ceil(M/T)).</item>
/// <item><see cref="MatMulRegisterBlocked{TB}"/>: explicitly grouped, DimX×DimY threads (each side at most
/// <see cref="MaxBlockedGroupSide"/>, read from <c>Group</c> at run time); each thread accumulates a
/// <see cref="RegisterBlock"/>×<see cref="RegisterBlock"/> block of C in registers, so a group computes a
/// (DimY·R)×(DimX·R) tile of C (64×64 with 16×16 threads), staging <see cref="BlockedTileK"/>-deep slices of op(A) and
/// op(B) through shared memory, two barriers a slice. Thread (x, y) owns rows y + i·DimY and columns x + j·DimX of
/// the tile (i, j &lt; R): neighbouring threads read neighbouring shared words and store neighbouring columns of C.
/// The GPU variant for large products. Grid: (ceil(N/(DimX·R)), ceil(M/(DimY·R))).</item>
/// <item><see cref="AddBias"/>: <c>c[m, n] += bias[n]</c>, one work item per element of c [rows, cols] (the bias
/// step after a library GEMM, which has none).</item>
/// <item><see cref="ColumnSum"/>: <c>output[j] (=|+=) Σ_n input[n, j]</c>, one work item per column; input [rows, cols].</item>
/// </list>
/// Views: a, b as described by the shape (b FP32, or a bfloat16 weight copy: see <see cref="IMatrixElements"/>),
/// bias [N] (read only when HasBias), c [M, N].
/// </summary>
internal static class MatMulKernels
{
    /// <summary>Largest tile side of <see cref="MatMulTiled{TB}"/>: its shared memory is sized for it (2·32·32 floats = 8 KB).</summary>
    public const int MaxTile = 32;

    /// <summary>Rows and columns of C each thread of <see cref="MatMulRegisterBlocked{TB}"/> accumulates in registers (R).</summary>
    public const int RegisterBlock = 4;

    /// <summary>Largest DimX and DimY of <see cref="MatMulRegisterBlocked{TB}"/>: its shared memory is sized for them.</summary>
    public const int MaxBlockedGroupSide = 16;

    /// <summary>Depth along K of the slices of op(A) and op(B) that <see cref="MatMulRegisterBlocked{TB}"/> stages.</summary>
    public const int BlockedTileK = 16;

    /// <summary>
    /// Shared memory of <see cref="MatMulRegisterBlocked{TB}"/> in bytes: two slices of <see cref="BlockedTileK"/> rows of
    /// up to 64 floats, each row padded by one float so that column-wise stores hit distinct banks (8,320 bytes).
    /// </summary>
    public const int RegisterBlockedSharedBytes = 2 * BlockedTileK * (MaxBlockedTileSide + 1) * sizeof(float);

    private const int MaxBlockedTileSide = MaxBlockedGroupSide * RegisterBlock;

    /// <summary>Barrier-free product: each thread computes a chunk of consecutive elements of C.</summary>
    public static void MatMulRows<TB>(
        Index1D thread,
        ArrayView<float> a,
        TB b,
        ArrayView<float> bias,
        ArrayView<float> c,
        MatMulShape shape,
        int chunk)
        where TB : struct, IMatrixElements
    {
        int end = LaunchChunk.End(thread, chunk, shape.M * shape.N);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int m = e / shape.N;
            int n = e - (m * shape.N);
            float sum = 0f;
            for (int k = 0; k < shape.K; k++)
            {
                sum += a[shape.IndexA(m, k)] * b.Load(shape.IndexB(k, n));
            }

            Store(c, bias, shape, e, n, sum);
        }
    }

    /// <summary>Shared-memory tiled product for GPUs; explicitly grouped with square groups.</summary>
    public static void MatMulTiled<TB>(
        ArrayView<float> a,
        TB b,
        ArrayView<float> bias,
        ArrayView<float> c,
        MatMulShape shape)
        where TB : struct, IMatrixElements
    {
        var tileA = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<float>(MaxTile * MaxTile);
        int tile = Group.DimX;
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int row = (Grid.IdxY * tile) + ty;
        int col = (Grid.IdxX * tile) + tx;

        float sum = 0f;
        for (int k0 = 0; k0 < shape.K; k0 += tile)
        {
            // Every thread reaches both barriers; out-of-range elements load as zero.
            int ka = k0 + tx;
            tileA[(ty * tile) + tx] = row < shape.M && ka < shape.K ? a[shape.IndexA(row, ka)] : 0f;
            int kb = k0 + ty;
            tileB[(ty * tile) + tx] = kb < shape.K && col < shape.N ? b.Load(shape.IndexB(kb, col)) : 0f;
            Group.Barrier();

            for (int kk = 0; kk < tile; kk++)
            {
                sum += tileA[(ty * tile) + kk] * tileB[(kk * tile) + tx];
            }

            Group.Barrier();
        }

        if (row < shape.M && col < shape.N)
        {
            Store(c, bias, shape, (row * shape.N) + col, col, sum);
        }
    }

    /// <summary>
    /// Register-blocked shared-memory product for GPUs; explicitly grouped, DimX and DimY each at most
    /// <see cref="MaxBlockedGroupSide"/> (any shape, square or not, any warp size).
    /// </summary>
    public static void MatMulRegisterBlocked<TB>(
        ArrayView<float> a,
        TB b,
        ArrayView<float> bias,
        ArrayView<float> c,
        MatMulShape shape)
        where TB : struct, IMatrixElements
    {
        // Slices stored k-major: tileA[kk * strideA + mm] = op(A)(row0 + mm, k0 + kk), tileB[kk * strideB + nn] =
        // op(B)(k0 + kk, col0 + nn); zero outside the matrices, so the inner loop needs no bounds checks.
        var tileA = SharedMemory.Allocate<float>(BlockedTileK * (MaxBlockedTileSide + 1));
        var tileB = SharedMemory.Allocate<float>(BlockedTileK * (MaxBlockedTileSide + 1));
        int dimX = Group.DimX;
        int dimY = Group.DimY;
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int tileM = dimY * RegisterBlock;
        int tileN = dimX * RegisterBlock;
        int strideA = tileM + 1;
        int strideB = tileN + 1;
        int row0 = Grid.IdxY * tileM;
        int col0 = Grid.IdxX * tileN;

        // The 4×4 block: c{i}{j} is C(row0 + ty + i·dimY, col0 + tx + j·dimX).
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = 0; k0 < shape.K; k0 += BlockedTileK)
        {
            // Every thread reaches both barriers. Threads along x walk the stored-contiguous index of each operand
            // (k of A [M, K], m of A stored [K, M], n of B [K, N], k of B stored [N, K]), so global loads coalesce.
            StageSlice(new Fp32Elements(a), tileA, shape, operandA: true, row0, k0, tileM, strideA, kOuter: shape.TransposeA != 0);
            StageSlice(b, tileB, shape, operandA: false, col0, k0, tileN, strideB, kOuter: shape.TransposeB == 0);
            Group.Barrier();

            // The same bound for the whole group (the last slice may be shallower than BlockedTileK).
            int depth = shape.K - k0 < BlockedTileK ? shape.K - k0 : BlockedTileK;
            int ra = ty;
            int rb = tx;
            for (int kk = 0; kk < depth; kk++, ra += strideA, rb += strideB)
            {
                float a0 = tileA[ra];
                float a1 = tileA[ra + dimY];
                float a2 = tileA[ra + (2 * dimY)];
                float a3 = tileA[ra + (3 * dimY)];
                float b0 = tileB[rb];
                float b1 = tileB[rb + dimX];
                float b2 = tileB[rb + (2 * dimX)];
                float b3 = tileB[rb + (3 * dimX)];
                c00 += a0 * b0;
                c01 += a0 * b1;
                c02 += a0 * b2;
                c03 += a0 * b3;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c12 += a1 * b2;
                c13 += a1 * b3;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c22 += a2 * b2;
                c23 += a2 * b3;
                c30 += a3 * b0;
                c31 += a3 * b1;
                c32 += a3 * b2;
                c33 += a3 * b3;
            }

            Group.Barrier();
        }

        int col = col0 + tx;
        StoreBlockRow(c, bias, shape, row0 + ty, col, dimX, c00, c01, c02, c03);
        StoreBlockRow(c, bias, shape, row0 + ty + dimY, col, dimX, c10, c11, c12, c13);
        StoreBlockRow(c, bias, shape, row0 + ty + (2 * dimY), col, dimX, c20, c21, c22, c23);
        StoreBlockRow(c, bias, shape, row0 + ty + (3 * dimY), col, dimX, c30, c31, c32, c33);
    }

    /// <summary>Adds <paramref name="bias"/> [cols] to every row of <paramref name="c"/> [rows, cols].</summary>
    public static void AddBias(Index1D thread, ArrayView<float> c, ArrayView<float> bias, int rows, int cols, int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, rows * cols);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            c[e] += bias[e % cols];
        }
    }

    /// <summary>Sums the rows of <paramref name="input"/> [rows, cols] into <paramref name="output"/> [cols].</summary>
    public static void ColumnSum(
        Index1D thread,
        ArrayView<float> input,
        ArrayView<float> output,
        int rows,
        int cols,
        int accumulate,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, cols);
        for (int j = LaunchChunk.Begin(thread, chunk); j < end; j++)
        {
            float sum = 0f;
            for (int n = 0; n < rows; n++)
            {
                sum += input[((long)n * cols) + j];
            }

            output[j] = accumulate != 0 ? output[j] + sum : sum;
        }
    }

    /// <summary>
    /// Stages op(A)(origin + i, k0 + kk) (or op(B)(k0 + kk, origin + i)) at tile[kk·stride + i], i &lt; extent,
    /// kk &lt; <see cref="BlockedTileK"/>, zero outside the matrix; the group's threads walk kk along Y and i along X
    /// when <paramref name="kOuter"/>, the other way round otherwise.
    /// </summary>
    private static void StageSlice<TSource>(
        TSource source, ArrayView<float> tile, MatMulShape shape, bool operandA, int origin, int k0, int extent, int stride, bool kOuter)
        where TSource : struct, IMatrixElements
    {
        int outerEnd = kOuter ? BlockedTileK : extent;
        int innerEnd = kOuter ? extent : BlockedTileK;
        for (int outer = Group.IdxY; outer < outerEnd; outer += Group.DimY)
        {
            for (int inner = Group.IdxX; inner < innerEnd; inner += Group.DimX)
            {
                int kk = kOuter ? outer : inner;
                int i = kOuter ? inner : outer;
                tile[(kk * stride) + i] = operandA ? LoadA(source, shape, origin + i, k0 + kk) : LoadB(source, shape, k0 + kk, origin + i);
            }
        }
    }

    private static float LoadA<TA>(TA a, MatMulShape shape, int m, int k)
        where TA : struct, IMatrixElements =>
        m < shape.M && k < shape.K ? a.Load(shape.IndexA(m, k)) : 0f;

    private static float LoadB<TB>(TB b, MatMulShape shape, int k, int n)
        where TB : struct, IMatrixElements =>
        k < shape.K && n < shape.N ? b.Load(shape.IndexB(k, n)) : 0f;

    /// <summary>Stores one row of a thread's register block: columns col + j·step, j &lt; 4, where inside C.</summary>
    private static void StoreBlockRow(
        ArrayView<float> c, ArrayView<float> bias, MatMulShape shape, int row, int col, int step, float v0, float v1, float v2, float v3)
    {
        if (row >= shape.M)
        {
            return;
        }

        int index = row * shape.N;
        if (col < shape.N)
        {
            Store(c, bias, shape, index + col, col, v0);
        }

        if (col + step < shape.N)
        {
            Store(c, bias, shape, index + col + step, col + step, v1);
        }

        if (col + (2 * step) < shape.N)
        {
            Store(c, bias, shape, index + col + (2 * step), col + (2 * step), v2);
        }

        if (col + (3 * step) < shape.N)
        {
            Store(c, bias, shape, index + col + (3 * step), col + (3 * step), v3);
        }
    }

    private static void Store(ArrayView<float> c, ArrayView<float> bias, MatMulShape shape, int index, int column, float sum)
    {
        if (shape.HasBias != 0)
        {
            sum += bias[column];
        }

        c[index] = shape.Accumulate != 0 ? c[index] + sum : sum;
    }
}
