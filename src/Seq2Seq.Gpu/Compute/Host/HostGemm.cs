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
/// Work is split into tasks of (row-block group × panel group), run with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>.
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
internal static unsafe class HostGemm<TS, TV>
    where TS : struct, ISimd<TV>
    where TV : unmanaged
{
    /// <summary>Rows of the micro-tile.</summary>
    public const int Mr = 6;

    /// <summary>Most row blocks in a task (96 rows).</summary>
    private const int MaxRowBlocksPerTask = 16;

    /// <summary>Largest packed A block (rows × KC floats) of a task whose B is packed per task.</summary>
    private const int WideRowBytes = 327680;

    /// <summary>Most panels in a task: a packed B block of 16 × KC × NR floats is 256 KB.</summary>
    private const int MaxPanelsPerTask = 16;

    /// <summary>Products of at most this many rows (greedy decoding of a few sentences) stream B instead of packing it.</summary>
    private const int NarrowRows = 8;

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
    private const int PrefetchRows = 3;

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
        var job = new GemmJob(null, b, null, null, shape, 1, prePackedB: false);
        job.PackWhole(dst);
    }

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
        if (m <= NarrowRows && shape.TransposeB == 0)
        {
            RunNarrow(a, b, bias, c, shape, threads);
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
    private static void RunJob(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads, float* packedB, int packedDepth)
    {
        int m = shape.M;
        int n = shape.N;
        int k = shape.K;
        var job = new GemmJob(a, b, bias, c, shape, threads, prePackedB: packedB != null);
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

    /// <summary>
    /// A product with few rows, B as stored ([K, N]): each row of C is a sum of B's rows scaled by that row of A, so B
    /// is read once, in order, and never packed (packing a 256 × 1024 recurrent kernel on every decoding step cost
    /// more than the product). Threads split the columns; every element sums over k in order, whatever the split.
    /// </summary>
    private static void RunNarrow(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads)
    {
        int n = shape.N;
        int width = Vector<float>.Count;
        int chunks = threads > 1 ? Math.Clamp(n / (8 * width), 1, threads) : 1;
        int perChunk = (((n + chunks - 1) / chunks) + width - 1) / width * width;
        if (chunks == 1)
        {
            NarrowColumns(a, b, bias, c, shape, 0, n);
            return;
        }

        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
        {
            int n0 = chunk * perChunk;
            NarrowColumns(a, b, bias, c, shape, n0, Math.Min(n, n0 + perChunk));
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowColumns(float* a, float* b, float* bias, float* c, MatMulShape shape, int n0, int n1)
    {
        int m = shape.M, n = shape.N, k = shape.K;
        if (n0 >= n1)
        {
            return;
        }

        int width = Vector<float>.Count;
        bool transposeA = shape.TransposeA != 0;
        if (shape.Accumulate == 0)
        {
            for (int row = 0; row < m; row++)
            {
                new Span<float>(c + ((nint)row * n) + n0, n1 - n0).Clear();
            }
        }

        for (int kk = 0; kk < k; kk++)
        {
            float* bRow = b + ((nint)kk * n);
            for (int row = 0; row < m; row++)
            {
                float scale = transposeA ? a[((nint)kk * m) + row] : a[((nint)row * k) + kk];
                var scaleVector = new Vector<float>(scale);
                float* cRow = c + ((nint)row * n);
                int j = n0;
                for (; j + width <= n1; j += width)
                {
                    var sum = Unsafe.ReadUnaligned<Vector<float>>(cRow + j) + (scaleVector * Unsafe.ReadUnaligned<Vector<float>>(bRow + j));
                    Unsafe.WriteUnaligned(cRow + j, sum);
                }

                for (; j < n1; j++)
                {
                    cRow[j] += scale * bRow[j];
                }
            }
        }

        if (bias != null)
        {
            for (int row = 0; row < m; row++)
            {
                float* cRow = c + ((nint)row * n);
                for (int j = n0; j < n1; j++)
                {
                    cRow[j] += bias[j];
                }
            }
        }
    }

    private static float* Align(float* pointer) => pointer == null ? null : (float*)(((nint)pointer + 63) & ~(nint)63);

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
    private static void Micro(int kc, float* a, float* b, float* c, nint ldc, float* bias, bool load)
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
    private static void Prefetch(float* source, int count)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, TV acc0, TV acc1, float* bias, bool load)
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

    /// <summary>One product's operands and its partition into tasks.</summary>
    private sealed class GemmJob
    {
        /// <summary>Row blocks a packing unit of A covers.</summary>
        private const int RowBlocksPerPackUnit = 4;

        /// <summary>Panels a packing unit of B covers.</summary>
        private const int PanelsPerPackUnit = 4;

        private readonly float* a;
        private readonly float* b;
        private readonly float* bias;
        private readonly float* c;
        private readonly int m;
        private readonly int n;
        private readonly int k;
        private readonly bool transposeA;
        private readonly bool accumulate;
        private readonly int rowsPerTask;
        private readonly int panelsPerTask;
        private readonly int panelGroups;
        private readonly int aPackUnits;
        private readonly bool transposeB;
        private float* aPacked;
        private float* bPacked;
        private nint bPanelStride;

        public GemmJob(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads, bool prePackedB)
        {
            this.a = a;
            this.b = b;
            this.bias = bias;
            this.c = c;
            m = shape.M;
            n = shape.N;
            k = shape.K;
            transposeA = shape.TransposeA != 0;
            accumulate = shape.Accumulate != 0;
            Panels = Count(n, Nr);
            RowBlocks = Count(m, Mr);

            // Tasks as large as the cache blocking allows; split further (the larger side of a task first) until every
            // thread has at least two, then even out the groups. A B packed per task is packed again by every row
            // group, so then a task spans as many rows as an A block of WideRowBytes allows, and columns are split first.
            bool packsBPerTask = !prePackedB && shape.TransposeB == 0;
            int maxRowBlocks = packsBPerTask ? Math.Max(MaxRowBlocksPerTask, WideRowBytes / (Mr * Kc * sizeof(float))) : MaxRowBlocksPerTask;
            int rowGroups = Count(RowBlocks, maxRowBlocks);
            int columnGroups = Count(Panels, MaxPanelsPerTask);
            while (threads > 1 && rowGroups * columnGroups < 2 * threads && (rowGroups < RowBlocks || columnGroups < Panels))
            {
                bool splitRows = columnGroups == Panels ||
                    (rowGroups < RowBlocks && !packsBPerTask && Count(RowBlocks, rowGroups) * Mr >= Count(Panels, columnGroups) * Nr);
                if (splitRows)
                {
                    rowGroups++;
                }
                else
                {
                    columnGroups++;
                }
            }

            int rg = Count(RowBlocks, rowGroups);
            int pg = Count(Panels, columnGroups);
            rowsPerTask = rg;
            panelsPerTask = pg;
            panelGroups = Count(Panels, pg);
            TaskCount = Count(RowBlocks, rg) * panelGroups;
            PacksAOnce = panelGroups > 1;
            PacksBOnce = prePackedB || shape.TransposeB != 0;
            transposeB = shape.TransposeB != 0;
            aPackUnits = PacksAOnce ? Count(RowBlocks, RowBlocksPerPackUnit) : 0;
            PackUnits = aPackUnits + (PacksBOnce && !prePackedB ? Count(Panels, PanelsPerPackUnit) : 0);
        }

        public int Panels { get; }

        public int RowBlocks { get; }

        public int TaskCount { get; }

        /// <summary>Whether A is packed once for the whole product (several tasks share its rows).</summary>
        public bool PacksAOnce { get; }

        /// <summary>Whether B is packed once for the whole product (it is transposed).</summary>
        public bool PacksBOnce { get; }

        /// <summary>Units of the packing phase.</summary>
        public int PackUnits { get; }

        /// <summary>Sets the buffers of A and B packed once; B's panels are <paramref name="packedDepth"/> rows of NR apart.</summary>
        public void SetPacked(float* packedA, float* packedB, int packedDepth)
        {
            aPacked = packedA;
            bPacked = packedB;
            bPanelStride = (nint)packedDepth * Nr;
        }

        /// <summary>Packing unit u: a group of row blocks of A ([rb][K][6]) or of panels of a transposed B ([p][K][NR]).</summary>
        public void Pack(int unit)
        {
            if (unit < aPackUnits)
            {
                int rb0 = unit * RowBlocksPerPackUnit;
                int rb1 = Math.Min(RowBlocks, rb0 + RowBlocksPerPackUnit);
                PackA(aPacked + ((nint)rb0 * Mr * k), rb0, rb1, 0, k);
                return;
            }

            int p0 = (unit - aPackUnits) * PanelsPerPackUnit;
            int p1 = Math.Min(Panels, p0 + PanelsPerPackUnit);
            for (int p = p0; p < p1; p++)
            {
                PackTransposedB(bPacked + (p * bPanelStride), p);
            }
        }

        /// <summary>Computes one task's tiles of C.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        [SkipLocalsInit]
        public void RunTask(int task)
        {
            int nr = Nr;
            int kcMax = Kc;
            int rgIndex = task / panelGroups;
            int pgIndex = task - (rgIndex * panelGroups);
            int rb0 = rgIndex * rowsPerTask;
            int rb1 = Math.Min(RowBlocks, rb0 + rowsPerTask);
            int p0 = pgIndex * panelsPerTask;
            int p1 = Math.Min(Panels, p0 + panelsPerTask);

            float* tile = stackalloc float[Mr * 32];
            int aLength = PacksAOnce ? 0 : rowsPerTask * Mr * kcMax;
            int bLength = PacksBOnce ? 0 : panelsPerTask * kcMax * nr;
            float[] rented = ArrayPool<float>.Shared.Rent(aLength + bLength + 32);
            try
            {
                fixed (float* scratch = rented)
                {
                    float* aBlock = Align(scratch);
                    float* bBlock = Align(aBlock + aLength);
                    for (int k0 = 0; k0 < k; k0 += kcMax)
                    {
                        int kc = Math.Min(kcMax, k - k0);
                        bool first = k0 == 0;
                        bool load = accumulate || !first;
                        float* biasBlock = first ? bias : null;
                        if (!PacksAOnce)
                        {
                            PackA(aBlock, rb0, rb1, k0, kc);
                        }

                        if (!PacksBOnce)
                        {
                            PackBBlock(bBlock, p0, p1, k0, kc);
                        }

                        for (int p = p0; p < p1; p++)
                        {
                            int n0 = p * nr;
                            int cols = Math.Min(nr, n - n0);
                            float* bp = PacksBOnce
                                ? bPacked + (p * bPanelStride) + ((nint)k0 * nr)
                                : bBlock + ((nint)(p - p0) * kc * nr);
                            for (int rb = rb0; rb < rb1; rb++)
                            {
                                int m0 = rb * Mr;
                                int rows = Math.Min(Mr, m - m0);
                                float* ap = PacksAOnce
                                    ? aPacked + ((nint)rb * Mr * k) + ((nint)k0 * Mr)
                                    : aBlock + ((nint)(rb - rb0) * Mr * kc);
                                float* cp = c + ((nint)m0 * n) + n0;
                                if (rows == Mr && cols == nr)
                                {
                                    Micro(kc, ap, bp, cp, n, biasBlock == null ? null : biasBlock + n0, load);
                                    continue;
                                }

                                // Edge tile: computed into a scratch tile, then only its valid part is stored.
                                Micro(kc, ap, bp, tile, nr, null, false);
                                for (int i = 0; i < rows; i++)
                                {
                                    float* crow = cp + ((nint)i * n);
                                    float* trow = tile + (i * nr);
                                    for (int j = 0; j < cols; j++)
                                    {
                                        float value = load ? crow[j] + trow[j] : trow[j];
                                        crow[j] = biasBlock != null ? value + biasBlock[n0 + j] : value;
                                    }
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

        private static int Count(int items, int group) => (items + group - 1) / group;

        /// <summary>
        /// Packs row blocks [rb0, rb1) × columns [k0, k0 + kc) of op(A) as consecutive micro-panels [kc][6] (the block of
        /// rb at dst + (rb - rb0)·6·kc), rows past M zero.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackA(float* dst, int rb0, int rb1, int k0, int kc)
        {
            if (transposeA)
            {
                PackTransposedA(dst, rb0, rb1, k0, kc);
                return;
            }

            for (int rb = rb0; rb < rb1; rb++)
            {
                int m0 = rb * Mr;
                int rows = Math.Min(Mr, m - m0);
                float* panel = dst + ((nint)(rb - rb0) * Mr * kc);
                if (rows == Mr)
                {
                    float* s0 = a + ((nint)m0 * k) + k0;
                    float* s1 = s0 + k;
                    float* s2 = s1 + k;
                    float* s3 = s2 + k;
                    float* s4 = s3 + k;
                    float* s5 = s4 + k;
                    int kk = 0;
                    if (Sse.IsSupported)
                    {
                        for (; kk + 4 <= kc; kk += 4, panel += 4 * Mr)
                        {
                            Transposes.Sse6x4(s0 + kk, k, panel);
                        }
                    }

                    for (; kk < kc; kk++, panel += Mr)
                    {
                        panel[0] = s0[kk];
                        panel[1] = s1[kk];
                        panel[2] = s2[kk];
                        panel[3] = s3[kk];
                        panel[4] = s4[kk];
                        panel[5] = s5[kk];
                    }
                }
                else
                {
                    for (int r = 0; r < Mr; r++)
                    {
                        float* src = a + ((nint)(m0 + r) * k) + k0;
                        for (int kk = 0; kk < kc; kk++)
                        {
                            panel[(kk * Mr) + r] = r < rows ? src[kk] : 0f;
                        }
                    }
                }
            }
        }

        /// <summary>
        /// <see cref="PackA"/> for A stored [K, M], where the rows of the row blocks at one k are contiguous: k by k, each
        /// row segment read once, in order, and split between the blocks' micro-panels.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackTransposedA(float* dst, int rb0, int rb1, int k0, int kc)
        {
            int fullBlocks = Math.Min(rb1, m / Mr);
            int span = Math.Min(m, rb1 * Mr) - (rb0 * Mr);
            int ahead = Math.Min(kc, k - k0 - PrefetchRows);
            nint panelStride = (nint)Mr * kc;
            float* row = a + ((nint)k0 * m) + (rb0 * Mr);
            for (int kk = 0; kk < kc; kk++, row += m)
            {
                if (kk < ahead)
                {
                    Prefetch(row + ((nint)PrefetchRows * m), span);
                }

                float* panel = dst + (kk * Mr);
                float* src = row;
                int rb = rb0;
                for (; rb < fullBlocks; rb++, panel += panelStride, src += Mr)
                {
                    // Four floats as a vector, two as a long.
                    Vector128.Store(Vector128.Load(src), panel);
                    *(long*)(panel + 4) = *(long*)(src + 4);
                }

                if (rb < rb1)
                {
                    // The last block, past the end of M.
                    int rows = m - (rb * Mr);
                    for (int r = 0; r < Mr; r++)
                    {
                        panel[r] = r < rows ? src[r] : 0f;
                    }
                }
            }
        }

        /// <summary>
        /// Packs all of op(B) as panels [K][NR] one after the other at <paramref name="dst"/>, whichever way B is
        /// stored (a B stored [K, N] is read row by row, each row once).
        /// </summary>
        public void PackWhole(float* dst)
        {
            if (!transposeB)
            {
                PackBBlock(dst, 0, Panels, 0, k);
                return;
            }

            for (int p = 0; p < Panels; p++)
            {
                PackTransposedB(dst + ((nint)p * k * Nr), p);
            }
        }

        /// <summary>Packs panel p of a transposed B (stored [N, K]) as [K][NR], zero columns past N.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackTransposedB(float* dst, int p)
        {
            int nr = Nr;
            int n0 = p * nr;
            int cols = Math.Min(nr, n - n0);
            for (int j0 = 0; j0 < nr; j0 += 8)
            {
                if (j0 + 8 <= cols)
                {
                    // Column j of the panel is row n0 + j of B, contiguous in k: 8×8 block transposes.
                    float* src = b + ((nint)(n0 + j0) * k);
                    int kk = 0;
                    for (; kk + 8 <= k; kk += 8)
                    {
                        TS.Transpose8x8(src + kk, k, dst + ((nint)kk * nr) + j0, nr);
                    }

                    for (; kk < k; kk++)
                    {
                        for (int j = 0; j < 8; j++)
                        {
                            dst[((nint)kk * nr) + j0 + j] = src[((nint)j * k) + kk];
                        }
                    }

                    continue;
                }

                for (int j = j0; j < j0 + 8; j++)
                {
                    float* src = b + ((nint)(n0 + j) * k);
                    for (int kk = 0; kk < k; kk++)
                    {
                        dst[((nint)kk * nr) + j] = j < cols ? src[kk] : 0f;
                    }
                }
            }
        }

        /// <summary>
        /// Packs rows [k0, k0 + kc) of panels [p0, p1) of a non-transposed B as consecutive micro-panels [kc][NR] (panel p
        /// at dst + (p - p0)·kc·NR), zero columns past N; each row of B is read as one contiguous segment.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackBBlock(float* dst, int p0, int p1, int k0, int kc)
        {
            int nr = Nr;
            int w = TS.Width;
            int n0 = p0 * nr;
            int fullPanels = Math.Min(p1, n / nr) - p0;
            int panelStride = kc * nr;
            float* row = b + ((nint)k0 * n) + n0;
            int span = Math.Min(n, p1 * nr) - n0;
            int ahead = Math.Min(kc, k - k0 - PrefetchRows);
            for (int kk = 0; kk < kc; kk++, row += n)
            {
                if (kk < ahead)
                {
                    Prefetch(row + ((nint)PrefetchRows * n), span);
                }

                float* d = dst + ((nint)kk * nr);
                int p = 0;
                for (; p < fullPanels; p++, d += panelStride)
                {
                    float* s = row + (p * nr);
                    TS.Store(d, TS.Load(s));
                    TS.Store(d + w, TS.Load(s + w));
                }

                if (p < p1 - p0)
                {
                    // The last panel, past the end of N.
                    int cols = n - n0 - (p * nr);
                    float* s = row + (p * nr);
                    for (int j = 0; j < nr; j++)
                    {
                        d[j] = j < cols ? s[j] : 0f;
                    }
                }
            }
        }
    }
}
