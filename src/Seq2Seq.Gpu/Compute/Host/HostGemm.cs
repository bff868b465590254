using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The host matrix product <c>C[M, N] (=|+=) op(A)·op(B) (+ bias)</c> (see <see cref="MatMulShape"/>).
/// <para>
/// A register-blocked micro-kernel computes a tile of <see cref="Mr"/> rows × two vectors of columns of C with twelve
/// FMA accumulators, broadcasting elements of a packed A micro-panel ([KC][6], contiguous) and loading rows of a packed
/// B micro-panel ([KC][NR], contiguous). The reduced dimension is blocked by <see cref="Kc"/> so that a B micro-panel
/// (16 KB) stays in L1 while it is swept over a task's row blocks.
/// </para>
/// <para>
/// Packing handles every layout, so the micro-kernel sees one: A is packed per task and K block when the task spans all
/// of N, otherwise once for the whole product (so that tasks splitting N do not pack it again); a transposed B is
/// packed once with 8×8 block transposes; a non-transposed B is packed per task and K block, reading whole row
/// segments (rows N floats apart are often 4 KB apart, which defeats both the L1 and the prefetchers when read in
/// place), and such tasks span many rows so that B is packed about once. Rows past M and columns past N are
/// zero-padded, and edge tiles are stored through a scratch tile.
/// </para>
/// <para>
/// Work is split into tasks of (row-block group × panel group), run with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>;
/// products of a few rows split their columns on <see cref="HostWorkers"/> and stream B as stored (<c>HostGemm.Narrow.cs</c>).
/// Every element of C is computed by exactly the same sequence of operations whatever the partition, so the result
/// does not depend on the number of threads (no atomics; the one K split, of weight-gradient products with a small C,
/// is chosen from the shape alone: see <see cref="SplitDepth"/>).
/// </para>
/// <para>
/// The loops are compiled fully optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>): tiered
/// compilation would run them unoptimised, then as on-stack replacement code, for the first steps of a run.
/// </para>
/// </summary>
/// <typeparam name="TS">The instruction set.</typeparam>
/// <typeparam name="TV">Its vector type.</typeparam>
[SuppressMessage("Design", "CA1000:Do not declare static members on generic types", Justification = "Specialised per instruction set.")]
internal static unsafe partial class HostGemm<TS, TV>
    where TS : struct, ISimd<TV>
    where TV : unmanaged
{
    /// <summary>Rows of the micro-tile.</summary>
    public const int Mr = 6;

    /// <summary>Most row blocks in a task (96 rows).</summary>
    internal const int MaxRowBlocksPerTask = 16;

    /// <summary>Largest packed A block (rows × KC floats) of a task whose B is packed per task.</summary>
    internal const int WideRowBytes = 327680;

    /// <summary>Most panels in a task: a packed B block of 16 × KC × NR floats is 256 KB.</summary>
    internal const int MaxPanelsPerTask = 16;

    /// <summary>Products below this many flops run on the calling thread.</summary>
    private const long ParallelFlops = 1L << 21;

    /// <summary>K blocks of the shortest chunk a product is split into (see <see cref="SplitDepth"/>).</summary>
    private const int SplitBlocks = 4;

    /// <summary>Most chunks a product is split into.</summary>
    private const int MaxSplits = 8;

    /// <summary>Largest C (elements) of a product split along K.</summary>
    private const int SplitMaxOutputs = 1 << 16;

    /// <summary>Elements of C a range of the split product's reduction covers.</summary>
    private const int ReduceGrain = 1 << 13;

    /// <summary>Rows ahead that packing an operand read a row segment at a time (B stored [K, N], A stored [K, M]) prefetches.</summary>
    internal const int PrefetchRows = 3;

    /// <summary>Columns of the micro-tile (two vectors).</summary>
    public static int Nr => 2 * TS.Width;

    /// <summary>Depth of a K block: a B micro-panel of KC × NR floats is 16 KB.</summary>
    public static int Kc => 2048 / TS.Width;

    /// <summary>Floats <see cref="PackRight"/> writes for a right operand of <paramref name="k"/> × <paramref name="n"/>.</summary>
    public static long PackedRightLength(int k, int n) => (long)((n + Nr - 1) / Nr) * k * Nr;

    /// <summary>
    /// Packs a whole right operand op(B) [K, N] into the micro-panel layout the products read ([panel][K][NR], columns past
    /// N zero), once, for products that reuse it (the recurrent kernel at every step); <paramref name="dst"/> is
    /// 64-byte aligned and holds <see cref="PackedRightLength"/> floats.
    /// </summary>
    public static void PackRight(float* b, MatMulShape shape, float* dst)
    {
        var job = new HostGemmJob<TS, TV>(null, b, null, null, shape, 1, prePackedB: false);
        job.PackWhole(dst);
    }

    /// <summary>Whether <see cref="Run"/> streams B as stored for this shape (a few rows, B not transposed), never reading packed panels.</summary>
    public static bool StreamsRight(MatMulShape shape) => shape.M <= NarrowRows && shape.TransposeB == 0;

    /// <summary>Computes the product on up to <paramref name="maxThreads"/> threads.</summary>
    /// <param name="a">A as the shape says.</param>
    /// <param name="b">B as the shape says (read directly by products of a few rows).</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="c">C.</param>
    /// <param name="shape">Sizes and flags.</param>
    /// <param name="maxThreads">Most threads.</param>
    /// <param name="packedB">B already packed by <see cref="PackRight"/> for this shape's K, N and transposition, or null.</param>
    public static void Run(float* a, float* b, float* bias, float* c, MatMulShape shape, int maxThreads, float* packedB = null)
    {
        int m = shape.M;
        int n = shape.N;
        int k = shape.K;
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            InitializeWithoutProduct(bias, c, shape);
            return;
        }

        long flops = 2L * m * n * k;
        int threads = flops < ParallelFlops ? 1 : Math.Max(1, maxThreads);
        if (StreamsRight(shape))
        {
            RunNarrow(a, b, bias, c, shape, (long)k * n * sizeof(float) >= NarrowParallelBytes ? Math.Max(1, maxThreads) : threads);
            return;
        }

        int chunkDepth = SplitDepth(shape);
        if (chunkDepth < k)
        {
            RunSplit(a, b, bias, c, shape, threads, packedB, chunkDepth);
            return;
        }

        RunJob(a, b, bias, c, shape, threads, packedB, k);
    }

    /// <summary>
    /// A band of rows of a recurrent step's product, <c>C (=|+=) A·op(B)</c> with B packed by <see cref="PackRight"/>, on
    /// the calling thread: always the packed tiles (never <see cref="RunNarrow"/>, whatever the band's rows), walked row
    /// block by row block. A band that starts at a multiple of <see cref="Mr"/> rows gets every element of C bit for
    /// bit as <see cref="Run"/> computes it for the whole product of more than a few rows: the tiles are the same, and
    /// so are the K blocks that each element is summed over.
    /// </summary>
    public static void RunBand(float* a, float* c, MatMulShape shape, float* packedB)
    {
        if (shape.M == 0 || shape.N == 0 || shape.K == 0 || shape.TransposeA != 0 || shape.HasBias != 0)
        {
            throw new ArgumentException($"a band's product has rows, columns and depth, a plain A and no bias: {shape}", nameof(shape));
        }

        RunJob(a, null, null, c, shape, 1, packedB, shape.K, rowBlocksOuter: true);
    }

    /// <summary>
    /// Depth of the K chunks a product is split into, or K when it is not split: a product of a transposed A (the
    /// weight gradients, summed over every row of a batch) whose C is small and K long would keep at most a few
    /// tasks busy; its K is cut into chunks of whole K blocks, from the shape alone, so that the result does not
    /// depend on the number of threads.
    /// </summary>
    private static int SplitDepth(MatMulShape shape)
    {
        int k = shape.K;
        int depth = SplitBlocks * Kc;
        if (shape.TransposeA == 0 || shape.TransposeB != 0 || (long)shape.M * shape.N > SplitMaxOutputs || k < 2 * depth)
        {
            return k;
        }

        int blocks = (k + Kc - 1) / Kc;
        return Math.Max(depth, Kc * ((blocks + MaxSplits - 1) / MaxSplits));
    }

    /// <summary>
    /// The product as K chunks of <paramref name="chunkDepth"/>, each computed (on one thread) into its own partial C,
    /// then C (=|+=) partial 0 + partial 1 + … (+ bias), added in chunk order.
    /// </summary>
    private static void RunSplit(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads, float* packedB, int chunkDepth)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        int chunks = (k + chunkDepth - 1) / chunkDepth;
        int size = m * n;
        float[] rented = ArrayPool<float>.Shared.Rent(checked((chunks * size) + 16));
        try
        {
            fixed (float* pp = rented)
            {
                float* partials = Align(pp);
                RunTasks(chunks, threads, chunk =>
                {
                    int k0 = chunk * chunkDepth;
                    var part = new MatMulShape(m, n, Math.Min(chunkDepth, k - k0), transposeA: true);
                    RunJob(a + ((nint)k0 * m), b + ((nint)k0 * n), null, partials + ((nint)chunk * size), part, 1, packedB == null ? null : packedB + ((nint)k0 * Nr), k);
                });

                bool accumulate = shape.Accumulate != 0;
                int rowsPerRange = Math.Max(1, ReduceGrain / n);
                RunTasks((m + rowsPerRange - 1) / rowsPerRange, threads, range =>
                {
                    int row1 = Math.Min(m, (range + 1) * rowsPerRange);
                    for (int row = range * rowsPerRange; row < row1; row++)
                    {
                        AddPartials(c + ((nint)row * n), partials + ((nint)row * n), size, chunks, n, bias, accumulate);
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>One row of <see cref="RunSplit"/>'s reduction: c = (accumulate ? c : 0) + p[0] + p[1] + … (+ bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPartials(float* c, float* partial, int partialStride, int chunks, int n, float* bias, bool accumulate)
    {
        int w = TS.Width;
        int j = 0;
        for (; j + w <= n; j += w)
        {
            TV sum = accumulate ? TS.Add(TS.Load(c + j), TS.Load(partial + j)) : TS.Load(partial + j);
            for (int chunk = 1; chunk < chunks; chunk++)
            {
                sum = TS.Add(sum, TS.Load(partial + ((nint)chunk * partialStride) + j));
            }

            TS.Store(c + j, bias != null ? TS.Add(sum, TS.Load(bias + j)) : sum);
        }

        for (; j < n; j++)
        {
            float sum = accumulate ? c[j] + partial[j] : partial[j];
            for (int chunk = 1; chunk < chunks; chunk++)
            {
                sum += partial[((nint)chunk * partialStride) + j];
            }

            c[j] = bias != null ? sum + bias[j] : sum;
        }
    }

    /// <summary>
    /// Runs the product as one job of tasks; a pre-packed B holds its panels <paramref name="packedDepth"/> rows apart
    /// (the K of the whole product when this is one chunk of it).
    /// </summary>
    private static void RunJob(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads, float* packedB, int packedDepth, bool rowBlocksOuter = false)
    {
        int m = shape.M;
        int n = shape.N;
        int k = shape.K;
        var job = new HostGemmJob<TS, TV>(a, b, bias, c, shape, threads, prePackedB: packedB != null, rowBlocksOuter);
        float[]? rentedA = null;
        float[]? rentedB = null;
        try
        {
            if (job.PacksAOnce)
            {
                rentedA = ArrayPool<float>.Shared.Rent(checked((job.RowBlocks * Mr * k) + 16));
            }

            if (job.PacksBOnce && packedB == null)
            {
                rentedB = ArrayPool<float>.Shared.Rent(checked((job.Panels * Nr * k) + 16));
            }

            fixed (float* pa = rentedA, pb = rentedB)
            {
                job.SetPacked(Align(pa), packedB != null ? packedB : Align(pb), packedB != null ? packedDepth : k);
                long packed = (job.PacksAOnce ? (long)m * k : 0) + (job.PacksBOnce && packedB == null ? (long)n * k : 0);
                RunTasks(job.PackUnits, packed >= 1 << 16 ? threads : 1, job.Pack);
                RunTasks(job.TaskCount, threads, job.RunTask);
            }
        }
        finally
        {
            if (rentedA is not null)
            {
                ArrayPool<float>.Shared.Return(rentedA);
            }

            if (rentedB is not null)
            {
                ArrayPool<float>.Shared.Return(rentedB);
            }
        }
    }

    internal static float* Align(float* pointer) => pointer == null ? null : (float*)(((nint)pointer + 63) & ~(nint)63);

    private static void RunTasks(int count, int threads, Action<int> body)
    {
        if (threads <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }

    private static void InitializeWithoutProduct(float* bias, float* c, MatMulShape shape)
    {
        for (int i = 0; i < shape.M; i++)
        {
            float* row = c + ((nint)i * shape.N);
            for (int j = 0; j < shape.N; j++)
            {
                float value = shape.Accumulate != 0 ? row[j] : 0f;
                row[j] = bias != null ? value + bias[j] : value;
            }
        }
    }

    /// <summary>
    /// C[6, 2W] tile: acc = Σ_k A(r, k)·B(k, :) over <paramref name="kc"/> steps, then c = (load ? c + acc : acc) (+ bias).
    /// A is a packed micro-panel [kc][6], B a packed micro-panel [kc][2W].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Micro(int kc, float* a, float* b, float* c, nint ldc, float* bias, bool load)
    {
        int w = TS.Width;
        int nr = 2 * w;
        TV c00 = TS.Zero, c01 = TS.Zero, c10 = TS.Zero, c11 = TS.Zero, c20 = TS.Zero, c21 = TS.Zero;
        TV c30 = TS.Zero, c31 = TS.Zero, c40 = TS.Zero, c41 = TS.Zero, c50 = TS.Zero, c51 = TS.Zero;
        if (load)
        {
            // The tile of C is read after the loop: fetched meanwhile (its rows are often 4 KB apart, in other pages).
            for (int r = 0; r < Mr; r++)
            {
                Prefetch(c + (r * ldc), nr);
            }
        }

        for (int kk = 0; kk < kc; kk++)
        {
            TV b0 = TS.Load(b);
            TV b1 = TS.Load(b + w);
            TV x = TS.Splat(a[0]);
            c00 = TS.MultiplyAdd(x, b0, c00);
            c01 = TS.MultiplyAdd(x, b1, c01);
            x = TS.Splat(a[1]);
            c10 = TS.MultiplyAdd(x, b0, c10);
            c11 = TS.MultiplyAdd(x, b1, c11);
            x = TS.Splat(a[2]);
            c20 = TS.MultiplyAdd(x, b0, c20);
            c21 = TS.MultiplyAdd(x, b1, c21);
            x = TS.Splat(a[3]);
            c30 = TS.MultiplyAdd(x, b0, c30);
            c31 = TS.MultiplyAdd(x, b1, c31);
            x = TS.Splat(a[4]);
            c40 = TS.MultiplyAdd(x, b0, c40);
            c41 = TS.MultiplyAdd(x, b1, c41);
            x = TS.Splat(a[5]);
            c50 = TS.MultiplyAdd(x, b0, c50);
            c51 = TS.MultiplyAdd(x, b1, c51);
            a += Mr;
            b += nr;
        }

        Finish(c, c00, c01, bias, load);
        Finish(c + ldc, c10, c11, bias, load);
        Finish(c + (2 * ldc), c20, c21, bias, load);
        Finish(c + (3 * ldc), c30, c31, bias, load);
        Finish(c + (4 * ldc), c40, c41, bias, load);
        Finish(c + (5 * ldc), c50, c51, bias, load);
    }

    /// <summary>
    /// Prefetches <paramref name="count"/> floats from <paramref name="source"/> into the cache (x64), for a row segment
    /// of an operand read a segment per row: rows in other pages, where the hardware prefetchers stop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(float* source, int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int j = 0; j < count; j += 16)
        {
            Sse.Prefetch0(source + j);
        }

        Sse.Prefetch0(source + count - 1);
    }

    /// <summary>Stores a row of a tile: c = (load ? c + acc : acc) (+ bias), two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Finish(float* c, TV acc0, TV acc1, float* bias, bool load)
    {
        int w = TS.Width;
        if (load)
        {
            acc0 = TS.Add(TS.Load(c), acc0);
            acc1 = TS.Add(TS.Load(c + w), acc1);
        }

        if (bias != null)
        {
            acc0 = TS.Add(acc0, TS.Load(bias));
            acc1 = TS.Add(acc1, TS.Load(bias + w));
        }

        TS.Store(c, acc0);
        TS.Store(c + w, acc1);
    }
}
