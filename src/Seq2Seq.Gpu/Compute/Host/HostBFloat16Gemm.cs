using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The host matrix product with a bfloat16 right operand, <c>C[M, N] (=|+=) A·op(B) (+ bias)</c>, accumulated in
/// FP32: the decoder's products (a few to a few dozen rows against a weight matrix) with half the weight bytes.
/// <para>
/// .NET exposes no AVX-512 BF16 dot-product instructions, so every instruction set takes the widening path: B is
/// packed once into column panels of NR = 2 vectors ([panel][K][NR] bfloat16, columns past N zero), each K step
/// loads one panel row, widens it exactly to two float vectors (<see cref="ISimd{TV}.LoadBFloat16Pair"/>) and
/// multiply-adds it into FP32 accumulators, six rows of A at a time (then one at a time for the rest). A product of
/// more rows (a decode batch) widens each panel once into an FP32 scratch panel instead and runs the FP32 GEMM's
/// micro-kernel over it (<see cref="RunWide"/>): the bytes read from memory are still the bfloat16 ones.
/// </para>
/// <para>
/// Every element of C sums its K products in an order fixed by the shape alone (in order for the rows of six-row
/// blocks and of wide products; four interleaved partial sums for the remaining rows), then adds C (when
/// accumulating) and the bias;
/// threads take whole panels, so the result does not depend on the number of threads.
/// </para>
/// </summary>
/// <typeparam name="TS">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
[SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "Specialised per instruction set.")]
internal static unsafe class HostBFloat16Gemm<TS, TV>
    where TS : struct, ISimd<TV>
    where TV : unmanaged
{
    /// <summary>Rows of A a block multiplies against one panel row (twelve accumulators).</summary>
    private const int BlockRows = 6;

    /// <summary>Products of more rows than this take the widened-panel path (<see cref="RunWide"/>).</summary>
    private const int NarrowRows = 8;

    /// <summary>Products below this many flops run on the calling thread.</summary>
    private const long ParallelFlops = 1L << 21;

    /// <summary>
    /// Products that read at least this many bytes of B run on all threads whatever their flops: a decode step at
    /// batch 1 reads its weights once, and two halves in two cores' caches come in faster than the whole in one.
    /// </summary>
    private const long ParallelBytes = 256 * 1024;

    /// <summary>Columns of a panel (two vectors).</summary>
    public static int Nr => 2 * TS.Width;

    /// <summary>bfloat16 values <see cref="PackRight"/> writes for a right operand of <paramref name="k"/> × <paramref name="n"/>.</summary>
    public static long PackedRightLength(int k, int n) => (long)((n + Nr - 1) / Nr) * k * Nr;

    /// <summary>
    /// Converts op(B) [K, N] (stored [K, N], or [N, K] when transposed) to bfloat16, rounding to nearest even, into
    /// panels at <paramref name="dst"/> (<see cref="PackedRightLength"/> values).
    /// </summary>
    public static void PackRight(float* b, int k, int n, bool transposed, ushort* dst)
    {
        int nr = Nr;
        int panels = (n + nr - 1) / nr;
        for (int p = 0; p < panels; p++)
        {
            ushort* panel = dst + ((nint)p * k * nr);
            for (int kk = 0; kk < k; kk++)
            {
                for (int j = 0; j < nr; j++)
                {
                    int column = (p * nr) + j;
                    float value = column >= n ? 0f : transposed ? b[((nint)column * k) + kk] : b[((nint)kk * n) + column];
                    panel[((nint)kk * nr) + j] = BFloat16.FromSingle(value);
                }
            }
        }
    }

    /// <summary>
    /// Computes the product (A not transposed, B packed by <see cref="PackRight"/> for the shape's K and N) on up to
    /// <paramref name="maxThreads"/> threads.
    /// </summary>
    public static void Run(float* a, ushort* packedB, float* bias, float* c, MatMulShape shape, int maxThreads)
    {
        int n = shape.N;
        int panels = (n + Nr - 1) / Nr;
        long flops = 2L * shape.M * n * shape.K;
        bool large = flops >= ParallelFlops || (long)shape.K * n * sizeof(ushort) >= ParallelBytes;
        int threads = large ? Math.Min(Math.Max(1, maxThreads), panels) : 1;
        if (shape.M > NarrowRows && shape.K > 0)
        {
            RunWide(a, packedB, bias, c, shape, threads, panels);
            return;
        }

        ForPanelRanges(panels, threads, fewRows: true, (p0, p1) => Panels(a, packedB, bias, c, shape, p0, p1));
    }

    /// <summary>
    /// Splits <paramref name="panels"/> into one contiguous range a thread: on <see cref="HostWorkers"/> for a product
    /// of a few rows (a decoding step's, microseconds long), else with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>.
    /// </summary>
    private static void ForPanelRanges(int panels, int threads, bool fewRows, Action<int, int> body)
    {
        if (threads <= 1)
        {
            body(0, panels);
            return;
        }

        int perTask = (panels + threads - 1) / threads;
        void RunRange(int task)
        {
            int p0 = task * perTask;
            body(p0, Math.Min(panels, p0 + perTask));
        }

        if (fewRows)
        {
            HostWorkers.Shared.For(threads, threads, RunRange);
        }
        else
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, RunRange);
        }
    }

    /// <summary>
    /// A product of many rows (a decode batch): widening a panel row for every six rows would cost as much as the
    /// multiply-adds, so each panel is widened once into an FP32 scratch panel ([K][NR], exact) and swept over every
    /// row block by the FP32 GEMM's micro-kernel (<see cref="HostGemm{TS, TV}.Micro"/>), A packed once into its
    /// [row block][K][6] layout (rows past M zero). Each element is the micro-kernel's: Σ over K in order from zero,
    /// then C and the bias added. Edge tiles go through a scratch tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunWide(float* a, ushort* packedB, float* bias, float* c, MatMulShape shape, int threads, int panels)
    {
        int m = shape.M, k = shape.K, mr = HostGemm<TS, TV>.Mr;
        int rowBlocks = (m + mr - 1) / mr;
        float[] rentedA = ArrayPool<float>.Shared.Rent(checked((rowBlocks * mr * k) + 16));
        try
        {
            fixed (float* pa = rentedA)
            {
                float* aPacked = HostGemm<TS, TV>.Align(pa);
                for (int rb = 0; rb < rowBlocks; rb++)
                {
                    float* block = aPacked + ((nint)rb * mr * k);
                    for (int kk = 0; kk < k; kk++)
                    {
                        for (int r = 0; r < mr; r++)
                        {
                            int row = (rb * mr) + r;
                            block[((nint)kk * mr) + r] = row < m ? a[((nint)row * k) + kk] : 0f;
                        }
                    }
                }

                ForPanelRanges(panels, threads, fewRows: false, (p0, p1) => WidePanels(aPacked, packedB, bias, c, shape, p0, p1));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rentedA);
        }
    }

    /// <summary>
    /// Panels [p0, p1) of <see cref="RunWide"/>. Compiled fully optimised at once, as the FP32 product's loops are: the
    /// tiered JIT's profile-guided recompilation of this loop ran a batch-64 greedy step in 892-901 µs against 379 µs
    /// with <c>DOTNET_TieredPGO=0</c> (keras-char, `bench --precision bf16,fp32`, 2-core EPYC).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WidePanels(float* aPacked, ushort* packedB, float* bias, float* c, MatMulShape shape, int p0, int p1)
    {
        int m = shape.M, n = shape.N, k = shape.K, nr = Nr, mr = HostGemm<TS, TV>.Mr;
        bool load = shape.Accumulate != 0;
        float[] rented = ArrayPool<float>.Shared.Rent((k * nr) + (mr * nr) + 32);
        try
        {
            fixed (float* scratch = rented)
            {
                float* widened = HostGemm<TS, TV>.Align(scratch);
                float* tile = HostGemm<TS, TV>.Align(widened + ((nint)k * nr));
                for (int p = p0; p < p1; p++)
                {
                    Widen(packedB + ((nint)p * k * nr), widened, k);
                    int column = p * nr;
                    int columns = Math.Min(nr, n - column);
                    for (int row = 0; row < m; row += mr)
                    {
                        float* aBlock = aPacked + ((nint)row * k);
                        float* cTile = c + ((nint)row * n) + column;
                        int rows = Math.Min(mr, m - row);
                        if (rows == mr && columns == nr)
                        {
                            HostGemm<TS, TV>.Micro(k, aBlock, widened, cTile, n, bias == null ? null : bias + column, load);
                            continue;
                        }

                        // An edge tile: C's part copied in when accumulating, the product, then the bias, as the
                        // micro-kernel orders them for a whole tile.
                        for (int r = 0; r < rows && load; r++)
                        {
                            new ReadOnlySpan<float>(cTile + ((nint)r * n), columns).CopyTo(new Span<float>(tile + (r * nr), columns));
                        }

                        HostGemm<TS, TV>.Micro(k, aBlock, widened, tile, nr, null, load);
                        for (int r = 0; r < rows; r++)
                        {
                            for (int j = 0; j < columns; j++)
                            {
                                float value = tile[(r * nr) + j];
                                cTile[((nint)r * n) + j] = bias != null ? value + bias[column + j] : value;
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Widens a panel of <paramref name="k"/> rows of NR bfloat16 values into floats (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen(ushort* panel, float* destination, int k)
    {
        int nr = Nr, w = TS.Width;
        for (int kk = 0; kk < k; kk++)
        {
            TS.LoadBFloat16Pair(panel + ((nint)kk * nr), out TV low, out TV high);
            TS.Store(destination + ((nint)kk * nr), low);
            TS.Store(destination + ((nint)kk * nr) + w, high);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panels(float* a, ushort* packedB, float* bias, float* c, MatMulShape shape, int p0, int p1)
    {
        int m = shape.M, n = shape.N, k = shape.K, nr = Nr;
        bool load = shape.Accumulate != 0;
        for (int p = p0; p < p1; p++)
        {
            ushort* panel = packedB + ((nint)p * k * nr);
            int column = p * nr;
            int columns = Math.Min(nr, n - column);
            int row = 0;
            for (; row + BlockRows <= m; row += BlockRows)
            {
                Block(k, a + ((nint)row * k), panel, c + ((nint)row * n) + column, n, bias == null ? null : bias + column, load, columns);
            }

            for (; row < m; row++)
            {
                Row(k, a + ((nint)row * k), panel, c + ((nint)row * n) + column, bias == null ? null : bias + column, load, columns);
            }
        }
    }

    /// <summary>Six rows of C × one panel: acc = Σ_k A(r, k)·B(k, :), then c = (load ? c + acc : acc) (+ bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(int k, float* a, ushort* panel, float* c, int n, float* bias, bool load, int columns)
    {
        int nr = Nr;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
        TV c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
        float* a0 = a, a1 = a + k, a2 = a + (2 * k), a3 = a + (3 * k), a4 = a + (4 * k), a5 = a + (5 * k);
        for (int kk = 0; kk < k; kk++)
        {
            TS.LoadBFloat16Pair(panel + ((nint)kk * nr), out TV b0, out TV b1);
            TV x = TS.Splat(a0[kk]);
            c00 = TS.MultiplyAdd(x, b0, c00);
            c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Splat(a1[kk]);
            c10 = TS.MultiplyAdd(x, b0, c10);
            c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Splat(a2[kk]);
            c20 = TS.MultiplyAdd(x, b0, c20);
            c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Splat(a3[kk]);
            c30 = TS.MultiplyAdd(x, b0, c30);
            c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Splat(a4[kk]);
            c40 = TS.MultiplyAdd(x, b0, c40);
            c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Splat(a5[kk]);
            c50 = TS.MultiplyAdd(x, b0, c50);
            c51 = TS.MultiplyAdd(x, b1, c51);
        }

        Finish(c, c00, c01, bias, load, columns);
        Finish(c + n, c10, c11, bias, load, columns);
        Finish(c + (2 * n), c20, c21, bias, load, columns);
        Finish(c + (3 * n), c30, c31, bias, load, columns);
        Finish(c + (4 * n), c40, c41, bias, load, columns);
        Finish(c + (5 * n), c50, c51, bias, load, columns);
    }

    /// <summary>
    /// One row of C × one panel. A single row has too little work to hide the multiply-add latency with one chain per
    /// vector, so four K steps a turn go into four pairs of accumulators, added pairwise at the end (a fixed order:
    /// the result depends on the shape only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(int k, float* a, ushort* panel, float* c, float* bias, bool load, int columns)
    {
        int nr = Nr;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero, c30 = TS.Zero, c31 = TS.Zero;
        int kk = 0;
        for (; kk + 4 <= k; kk += 4)
        {
            ushort* row = panel + ((nint)kk * nr);
            TS.LoadBFloat16Pair(row, out TV b00, out TV b01);
            TS.LoadBFloat16Pair(row + nr, out TV b10, out TV b11);
            TS.LoadBFloat16Pair(row + (2 * nr), out TV b20, out TV b21);
            TS.LoadBFloat16Pair(row + (3 * nr), out TV b30, out TV b31);
            TV x = TS.Splat(a[kk]);
            c00 = TS.MultiplyAdd(x, b00, c00);
            c01 = TS.MultiplyAdd(x, b01, c01);
            x = TS.Splat(a[kk + 1]);
            c10 = TS.MultiplyAdd(x, b10, c10);
            c11 = TS.MultiplyAdd(x, b11, c11);
            x = TS.Splat(a[kk + 2]);
            c20 = TS.MultiplyAdd(x, b20, c20);
            c21 = TS.MultiplyAdd(x, b21, c21);
            x = TS.Splat(a[kk + 3]);
            c30 = TS.MultiplyAdd(x, b30, c30);
            c31 = TS.MultiplyAdd(x, b31, c31);
        }

        for (; kk < k; kk++)
        {
            TS.LoadBFloat16Pair(panel + ((nint)kk * nr), out TV b0, out TV b1);
            TV x = TS.Splat(a[kk]);
            c00 = TS.MultiplyAdd(x, b0, c00);
            c01 = TS.MultiplyAdd(x, b1, c01);
        }

        Finish(c, TS.Add(TS.Add(c00, c10), TS.Add(c20, c30)), TS.Add(TS.Add(c01, c11), TS.Add(c21, c31)), bias, load, columns);
    }

    /// <summary>Stores a row of a tile: (load ? c + acc : acc) (+ bias), only <paramref name="columns"/> of it at the edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, TV acc0, TV acc1, float* bias, bool load, int columns)
    {
        int w = TS.Width;
        if (columns == 2 * w)
        {
            HostGemm<TS, TV>.Finish(c, acc0, acc1, bias, load);
            return;
        }

        // The edge panel: the same additions, one element at a time, through a tile on the stack.
        float* tile = stackalloc float[2 * w];
        TS.Store(tile, acc0);
        TS.Store(tile + w, acc1);
        for (int j = 0; j < columns; j++)
        {
            float value = load ? c[j] + tile[j] : tile[j];
            c[j] = bias != null ? value + bias[j] : value;
        }
    }
}
