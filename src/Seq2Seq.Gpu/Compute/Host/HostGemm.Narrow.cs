using System.Runtime.CompilerServices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// Products of at most eight rows (decoding a few sentences): B read as stored, never packed, the sums in registers
/// over all of K, or over K blocks when B is large; every element the in-order float sum, whatever the split.
/// </summary>
internal static unsafe partial class HostGemm<TS, TV>
{
    /// <summary>Products of at most this many rows (greedy decoding of a few sentences) stream B instead of packing it.</summary>
    private const int NarrowRows = 8;

    /// <summary>
    /// Narrow products that stream at least this many bytes of B split it over the threads whatever their flops: one
    /// core's L2 (1 MiB on the development machine) does not hold a 256 × 1024 recurrent kernel beside everything
    /// else, so one thread streams it from L3 at every step (about 21 µs), while two halves stay in two L2s.
    /// </summary>
    private const long NarrowParallelBytes = 256 * 1024;

    /// <summary>
    /// Narrow products whose B is at least this large run in K blocks (<see cref="NarrowBlocked"/>). Measured on the
    /// 2-core EPYC (two threads, medians of 200), B kept in L3 by repeating one product: at 8 MiB the row kernels were
    /// faster (4 × 512 × 4096: 264-288 against 372-377 µs), at 16 MiB three to six times slower (4 × 512 × 8000: 3,071
    /// against 516-550 µs; 4 × 1024 × 4096: 2,960 against 882 in blocks of 32 rows), which fits the reach of Zen 4's second-level TLB (3,072 pages
    /// of 4 KB, 12 MiB): past it every step down K of a two-vector strip walks the page tables. With B coming from DRAM
    /// (several such products in turn, 64 MB together) blocks were faster from 4 MiB up (5 × 512 × 2048: 224-232
    /// against 806-888 µs), but B of 4-12 MiB stay with the row kernels: whether B is in L3 depends on the rest of the
    /// step, not on the shape. Recurrent kernels (1 MB at H = 256) stay with the row kernels, whose sums stay in
    /// registers over all of K.
    /// </summary>
    private const long NarrowBlockedBytes = 12L << 20;

    /// <summary>
    /// <see cref="NarrowBlockedBytes"/> for a product of one row (greedy decoding of one sentence), whose row kernel reads
    /// eight-vector strips. Same harness, two rounds: with B in L3 the blocks were as fast at 2 and 4 MiB (1 × 512 × 1024:
    /// 21-26 against 23-25 µs; 1 × 512 × 2048: 39-40 against 44-81); from DRAM faster at 4 MiB in both rounds (126 and 228
    /// against 300 and 452 µs), at 2 MiB in one (87 against 179; 146 against 145).
    /// </summary>
    private const long NarrowBlockedBytesOneRow = 4L << 20;

    /// <summary>
    /// Rows of B in a K block of <see cref="NarrowBlocked"/> (a segment's block is 4 KB with AVX-512). Over four
    /// 512 × 8000 products in turn (64 MB, so B comes from DRAM, as in a word-level decode step), two threads,
    /// medians of 200: one row 497-699 µs in blocks of 8, 810-932 in blocks of 32, 1,083-1,345 with the row kernel; two
    /// rows 651-708 against 894-1,181; fewer rows of B at a time are fewer concurrent streams for the prefetchers.
    /// </summary>
    private const int NarrowKBlock = 8;

    /// <summary>
    /// A product with few rows, B as stored ([K, N]): each row of C is a sum of B's rows scaled by that row of A, so B
    /// is read as stored, in order, and never packed (packing a 256 × 1024 recurrent kernel on every decoding step cost
    /// more than the product). Threads split the columns (whole vectors).
    /// </summary>
    private static void RunNarrow(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads)
    {
        int n = shape.N;
        int width = TS.Width;
        int chunks = threads > 1 ? Math.Clamp(n / (8 * width), 1, threads) : 1;
        int perChunk = (((n + chunks - 1) / chunks) + width - 1) / width * width;
        if (chunks == 1)
        {
            NarrowColumns(a, b, bias, c, shape, 0, n);
            return;
        }

        HostWorkers.Shared.For(chunks, threads, chunk =>
        {
            int n0 = chunk * perChunk;
            NarrowColumns(a, b, bias, c, shape, n0, Math.Min(n, n0 + perChunk));
        });
    }

    /// <summary>
    /// Columns [n0, n1) of a narrow product: over a large B, K blocks first (<see cref="NarrowBlocked"/>); then (all of
    /// a smaller B's columns, or the few past the blocks' last segment) the sums held in registers over the whole of K: four rows × two vectors
    /// of columns at a time, then the remaining rows one at a time × eight vectors, then four, then one (a decode step
    /// at batch 1 reads its 1 MB of U in 8-vector rows with eight independent sums). Every element is the same
    /// sequence of operations:
    /// c (or 0), then + a(row, k)·b(k, j) for k in order, rounded after the multiply and after the add (no fused
    /// multiply-add), then + bias(j); so the result depends neither on the split nor on the blocking.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowColumns(float* a, float* b, float* bias, float* c, MatMulShape shape, int n0, int n1)
    {
        if (n0 >= n1)
        {
            return;
        }

        var rows = new NarrowLeft(a, shape);
        int m = shape.M;
        if ((long)shape.K * shape.N * sizeof(float) >= (m == 1 ? NarrowBlockedBytesOneRow : NarrowBlockedBytes))
        {
            n0 = NarrowBlocked(rows, b, bias, c, shape, n0, n1);
        }

        int row = 0;
        for (; row + 4 <= m; row += 4)
        {
            NarrowFourRows(rows, row, b, bias, c, shape, n0, n1);
        }

        for (; row < m; row++)
        {
            NarrowOneRow(rows, row, b, bias, c, shape, n0, n1);
        }
    }

    /// <summary>
    /// Columns [n0, end) of a narrow product over a large B (<see cref="NarrowBlockedBytes"/>), in segments of eight
    /// vectors, returning end (the columns after it, fewer than eight vectors, are left to the row kernels). The
    /// four-row kernel reads B in two-vector strips down all of K, a row N floats apart at each step; over a
    /// 512 × 8,000 output projection (a word vocabulary) that ran at about 5 GB/s against 66 for one row's eight-vector
    /// strips (2-core EPYC), and one row's strips from DRAM at 12-16 GB/s. Here K is cut into blocks of
    /// <see cref="NarrowKBlock"/> rows: each segment's block of B (4 KB with AVX-512) is read from memory for the first
    /// row and from L1 for the others, and each row's partial sums go back to C between blocks. Every element is still c (or 0), then + a(row, k)·b(k, j) in the order of k, each rounded,
    /// then + bias: a stored partial sum is the same float the registers held, so the result is that of the row kernels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int NarrowBlocked(NarrowLeft rows, float* b, float* bias, float* c, MatMulShape shape, int n0, int n1)
    {
        int m = shape.M, n = shape.N, k = shape.K, w = TS.Width;
        int segment = 8 * w;
        int end = n0 + ((n1 - n0) / segment * segment);
        nint step = rows.Step;
        for (int k0 = 0; k0 < k; k0 += NarrowKBlock)
        {
            int k1 = Math.Min(k, k0 + NarrowKBlock);
            bool load = k0 > 0 || shape.Accumulate != 0;
            float* blockBias = k1 == k ? bias : null;
            for (int j = n0; j < end; j += segment)
            {
                for (int r = 0; r < m; r++)
                {
                    EightVectors(rows.Row(r), step, b + ((nint)k0 * n) + j, n, k0, k1, c + ((nint)r * n) + j, blockBias == null ? null : blockBias + j, load);
                }
            }
        }

        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowOneRow(NarrowLeft rows, int row, float* b, float* bias, float* c, MatMulShape shape, int n0, int n1)
    {
        int n = shape.N, k = shape.K, w = TS.Width;
        bool load = shape.Accumulate != 0;
        float* ap = rows.Row(row);
        nint step = rows.Step;
        float* cRow = c + ((nint)row * n);
        int full = n0 + ((n1 - n0) / w * w);

        // A partial last vector is computed as the full vector ending at n1 (its lanes are independent sums, so the
        // lanes it shares with the vector before come out the same), before anything is stored: C is read first.
        bool overlap = full < n1 && n1 - n0 >= w;
        TV tail = TS.Zero;
        if (overlap)
        {
            tail = OneRowVector(ap, step, b + n1 - w, bias == null ? null : bias + n1 - w, cRow + n1 - w, n, k, load);
        }

        int j = n0;
        for (; j + (8 * w) <= full; j += 8 * w)
        {
            EightVectors(ap, step, b + j, n, 0, k, cRow + j, bias == null ? null : bias + j, load);
        }

        if (j + (4 * w) <= full)
        {
            // Four independent sums (a 93-column output kernel would otherwise be six chains one after another). The
            // 8-vector block above is kept separate: its longer row segments made 1 × 256 × 1024 1.5x faster than 4-vector
            // blocks alone (19 against 29 µs on one thread, 2-core EPYC).
            TV s0 = load ? TS.Load(cRow + j) : TS.Zero;
            TV s1 = load ? TS.Load(cRow + j + w) : TS.Zero;
            TV s2 = load ? TS.Load(cRow + j + (2 * w)) : TS.Zero;
            TV s3 = load ? TS.Load(cRow + j + (3 * w)) : TS.Zero;
            float* bp = b + j;
            for (int kk = 0; kk < k; kk++, bp += n)
            {
                TV x = TS.Splat(ap[kk * step]);
                s0 = TS.Add(s0, TS.Multiply(x, TS.Load(bp)));
                s1 = TS.Add(s1, TS.Multiply(x, TS.Load(bp + w)));
                s2 = TS.Add(s2, TS.Multiply(x, TS.Load(bp + (2 * w))));
                s3 = TS.Add(s3, TS.Multiply(x, TS.Load(bp + (3 * w))));
            }

            if (bias != null)
            {
                s0 = TS.Add(s0, TS.Load(bias + j));
                s1 = TS.Add(s1, TS.Load(bias + j + w));
                s2 = TS.Add(s2, TS.Load(bias + j + (2 * w)));
                s3 = TS.Add(s3, TS.Load(bias + j + (3 * w)));
            }

            TS.Store(cRow + j, s0);
            TS.Store(cRow + j + w, s1);
            TS.Store(cRow + j + (2 * w), s2);
            TS.Store(cRow + j + (3 * w), s3);
            j += 4 * w;
        }

        for (; j < full; j += w)
        {
            TS.Store(cRow + j, OneRowVector(ap, step, b + j, bias == null ? null : bias + j, cRow + j, n, k, load));
        }

        if (overlap)
        {
            TS.Store(cRow + n1 - w, tail);
        }
        else
        {
            for (; j < n1; j++)
            {
                float sum = load ? cRow[j] : 0f;
                float* bp = b + j;
                for (int kk = 0; kk < k; kk++, bp += n)
                {
                    sum += ap[kk * step] * *bp;
                }

                cRow[j] = bias != null ? sum + bias[j] : sum;
            }
        }
    }

    /// <summary>One vector of one row's columns: (c or 0) + Σ_k a(k)·b(k, :) in order, + bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV OneRowVector(float* ap, nint step, float* bp, float* bias, float* cp, int n, int k, bool load)
    {
        TV sum = load ? TS.Load(cp) : TS.Zero;
        for (int kk = 0; kk < k; kk++, bp += n)
        {
            sum = TS.Add(sum, TS.Multiply(TS.Splat(ap[kk * step]), TS.Load(bp)));
        }

        return bias != null ? TS.Add(sum, TS.Load(bias)) : sum;
    }

    /// <summary>
    /// Eight vectors of one row's columns at <paramref name="cp"/>: (c or 0) + a(k)·b(k, :) for k in [k0, k1) in order,
    /// each rounded, + bias; <paramref name="bp"/> points at B's row k0 in these columns, rows <paramref name="n"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void EightVectors(float* ap, nint step, float* bp, int n, int k0, int k1, float* cp, float* bias, bool load)
    {
        int w = TS.Width;
        TV s0 = load ? TS.Load(cp) : TS.Zero;
        TV s1 = load ? TS.Load(cp + w) : TS.Zero;
        TV s2 = load ? TS.Load(cp + (2 * w)) : TS.Zero;
        TV s3 = load ? TS.Load(cp + (3 * w)) : TS.Zero;
        TV s4 = load ? TS.Load(cp + (4 * w)) : TS.Zero;
        TV s5 = load ? TS.Load(cp + (5 * w)) : TS.Zero;
        TV s6 = load ? TS.Load(cp + (6 * w)) : TS.Zero;
        TV s7 = load ? TS.Load(cp + (7 * w)) : TS.Zero;
        for (int kk = k0; kk < k1; kk++, bp += n)
        {
            TV x = TS.Splat(ap[kk * step]);
            s0 = TS.Add(s0, TS.Multiply(x, TS.Load(bp)));
            s1 = TS.Add(s1, TS.Multiply(x, TS.Load(bp + w)));
            s2 = TS.Add(s2, TS.Multiply(x, TS.Load(bp + (2 * w))));
            s3 = TS.Add(s3, TS.Multiply(x, TS.Load(bp + (3 * w))));
            s4 = TS.Add(s4, TS.Multiply(x, TS.Load(bp + (4 * w))));
            s5 = TS.Add(s5, TS.Multiply(x, TS.Load(bp + (5 * w))));
            s6 = TS.Add(s6, TS.Multiply(x, TS.Load(bp + (6 * w))));
            s7 = TS.Add(s7, TS.Multiply(x, TS.Load(bp + (7 * w))));
        }

        if (bias != null)
        {
            s0 = TS.Add(s0, TS.Load(bias));
            s1 = TS.Add(s1, TS.Load(bias + w));
            s2 = TS.Add(s2, TS.Load(bias + (2 * w)));
            s3 = TS.Add(s3, TS.Load(bias + (3 * w)));
            s4 = TS.Add(s4, TS.Load(bias + (4 * w)));
            s5 = TS.Add(s5, TS.Load(bias + (5 * w)));
            s6 = TS.Add(s6, TS.Load(bias + (6 * w)));
            s7 = TS.Add(s7, TS.Load(bias + (7 * w)));
        }

        TS.Store(cp, s0);
        TS.Store(cp + w, s1);
        TS.Store(cp + (2 * w), s2);
        TS.Store(cp + (3 * w), s3);
        TS.Store(cp + (4 * w), s4);
        TS.Store(cp + (5 * w), s5);
        TS.Store(cp + (6 * w), s6);
        TS.Store(cp + (7 * w), s7);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowFourRows(NarrowLeft rows, int row, float* b, float* bias, float* c, MatMulShape shape, int n0, int n1)
    {
        int n = shape.N, k = shape.K, w = TS.Width;
        bool load = shape.Accumulate != 0;
        float* a0 = rows.Row(row), a1 = rows.Row(row + 1), a2 = rows.Row(row + 2), a3 = rows.Row(row + 3);
        nint step = rows.Step;
        float* c0 = c + ((nint)row * n), c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        int full = n0 + ((n1 - n0) / w * w);
        int j = n0;
        for (; j + (2 * w) <= full; j += 2 * w)
        {
            TV s00 = load ? TS.Load(c0 + j) : TS.Zero, s01 = load ? TS.Load(c0 + j + w) : TS.Zero;
            TV s10 = load ? TS.Load(c1 + j) : TS.Zero, s11 = load ? TS.Load(c1 + j + w) : TS.Zero;
            TV s20 = load ? TS.Load(c2 + j) : TS.Zero, s21 = load ? TS.Load(c2 + j + w) : TS.Zero;
            TV s30 = load ? TS.Load(c3 + j) : TS.Zero, s31 = load ? TS.Load(c3 + j + w) : TS.Zero;
            float* bp = b + j;
            for (int kk = 0; kk < k; kk++, bp += n)
            {
                TV b0 = TS.Load(bp), b1 = TS.Load(bp + w);
                nint at = kk * step;
                TV x = TS.Splat(a0[at]);
                s00 = TS.Add(s00, TS.Multiply(x, b0));
                s01 = TS.Add(s01, TS.Multiply(x, b1));
                x = TS.Splat(a1[at]);
                s10 = TS.Add(s10, TS.Multiply(x, b0));
                s11 = TS.Add(s11, TS.Multiply(x, b1));
                x = TS.Splat(a2[at]);
                s20 = TS.Add(s20, TS.Multiply(x, b0));
                s21 = TS.Add(s21, TS.Multiply(x, b1));
                x = TS.Splat(a3[at]);
                s30 = TS.Add(s30, TS.Multiply(x, b0));
                s31 = TS.Add(s31, TS.Multiply(x, b1));
            }

            if (bias != null)
            {
                TV bias0 = TS.Load(bias + j), bias1 = TS.Load(bias + j + w);
                s00 = TS.Add(s00, bias0);
                s01 = TS.Add(s01, bias1);
                s10 = TS.Add(s10, bias0);
                s11 = TS.Add(s11, bias1);
                s20 = TS.Add(s20, bias0);
                s21 = TS.Add(s21, bias1);
                s30 = TS.Add(s30, bias0);
                s31 = TS.Add(s31, bias1);
            }

            TS.Store(c0 + j, s00);
            TS.Store(c0 + j + w, s01);
            TS.Store(c1 + j, s10);
            TS.Store(c1 + j + w, s11);
            TS.Store(c2 + j, s20);
            TS.Store(c2 + j + w, s21);
            TS.Store(c3 + j, s30);
            TS.Store(c3 + j + w, s31);
        }

        if (j < n1)
        {
            // The last vector and the partial one (rare: N not a multiple of two vectors), row by row.
            for (int r = row; r < row + 4; r++)
            {
                NarrowOneRow(rows, r, b, bias, c, shape, j, n1);
            }
        }
    }

    /// <summary>Where row r of op(A) starts and how far apart its K elements are.</summary>
    private readonly struct NarrowLeft(float* a, MatMulShape shape)
    {
        private readonly float* a = a;
        private readonly bool transposed = shape.TransposeA != 0;
        private readonly int m = shape.M;
        private readonly int k = shape.K;

        /// <summary>Distance between A(r, k) and A(r, k + 1).</summary>
        public nint Step => transposed ? m : 1;

        /// <summary>A(r, 0).</summary>
        public float* Row(int r) => transposed ? a + r : a + ((nint)r * k);
    }
}
