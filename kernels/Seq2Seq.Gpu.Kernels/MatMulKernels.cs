using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Matrix products <c>C[M, N] (=|+=) op(A)·op(B) (+ bias[N])</c> (see <see cref="MatMulShape"/>) and the column sum
/// that gives bias gradients.
/// <list type="bullet">
/// <item><see cref="MatMulRows"/>: implicitly grouped and barrier-free; one work item per element of C (flat index
/// m·N + n), each thread a chunk of consecutive items. The variant for ILGPU's CPU accelerator, where barriers cost
/// about 100 µs each.</item>
/// <item><see cref="MatMulTiled"/>: explicitly grouped, square groups of T×T threads (T = Group.DimX, at most
/// <see cref="MaxTile"/>); each group computes a T×T tile of C, staging T×T tiles of A and B through shared memory
/// with two barriers a step along K. The GPU variant. Grid: (ceil(N/T), ceil(M/T)).</item>
/// <item><see cref="ColumnSum"/>: <c>output[j] (=|+=) Σ_n input[n, j]</c>, one work item per column; input [rows, cols].</item>
/// </list>
/// Views: a, b as described by the shape, bias [N] (read only when HasBias), c [M, N].
/// </summary>
public static class MatMulKernels
{
    /// <summary>Largest tile side of <see cref="MatMulTiled"/>: its shared memory is sized for it (2·32·32 floats = 8 KB).</summary>
    public const int MaxTile = 32;

    /// <summary>Barrier-free product: each thread computes a chunk of consecutive elements of C.</summary>
    public static void MatMulRows(
        Index1D thread,
        ArrayView<float> a,
        ArrayView<float> b,
        ArrayView<float> bias,
        ArrayView<float> c,
        MatMulShape shape,
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, shape.M * shape.N);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int m = e / shape.N;
            int n = e - (m * shape.N);
            float sum = 0f;
            for (int k = 0; k < shape.K; k++)
            {
                sum += a[shape.IndexA(m, k)] * b[shape.IndexB(k, n)];
            }

            Store(c, bias, shape, e, n, sum);
        }
    }

    /// <summary>Shared-memory tiled product for GPUs; explicitly grouped with square groups.</summary>
    public static void MatMulTiled(
        ArrayView<float> a,
        ArrayView<float> b,
        ArrayView<float> bias,
        ArrayView<float> c,
        MatMulShape shape)
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
            tileB[(ty * tile) + tx] = kb < shape.K && col < shape.N ? b[shape.IndexB(kb, col)] : 0f;
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

    private static void Store(ArrayView<float> c, ArrayView<float> bias, MatMulShape shape, int index, int column, float sum)
    {
        if (shape.HasBias != 0)
        {
            sum += bias[column];
        }

        c[index] = shape.Accumulate != 0 ? c[index] + sum : sum;
    }
}
