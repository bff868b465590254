using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// One product of <see cref="HostGemm{TS, TV}"/>: its operands, its partition into tasks of row blocks and panels, and
/// the packing of A and B those tasks share.
/// </summary>
internal sealed unsafe class HostGemmJob<TS, TV>
    where TS : struct, ISimd<TV>
    where TV : unmanaged
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
    private readonly bool rowBlocksOuter;
    private float* aPacked;
    private float* bPacked;
    private nint bPanelStride;

    /// <param name="a">A as the shape says.</param>
    /// <param name="b">B as the shape says (null when <paramref name="prePackedB"/> and never packed here).</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="c">C.</param>
    /// <param name="shape">Sizes and flags.</param>
    /// <param name="threads">Threads the tasks are made for.</param>
    /// <param name="prePackedB">Whether B comes packed (<see cref="SetPacked"/>).</param>
    /// <param name="rowBlocksOuter">
    /// Whether a task sweeps its tiles row block by row block (all its panels for one row block, then the next) rather
    /// than panel by panel. The results are the same to the bit; only the order of C's writes changes. A band of a
    /// recurrence takes it: the rows of C right after the band are another thread's, and with the panel-by-panel walk,
    /// which steps down C's rows at every panel, two threads writing neighbouring bands were 13-40 % slower than with
    /// each band in its own buffer, as if the hardware's stride prefetcher fetched the neighbour's rows (docs/benchmarks.md).
    /// </param>
    public HostGemmJob(float* a, float* b, float* bias, float* c, MatMulShape shape, int threads, bool prePackedB, bool rowBlocksOuter = false)
    {
        this.rowBlocksOuter = rowBlocksOuter;
        this.a = a;
        this.b = b;
        this.bias = bias;
        this.c = c;
        m = shape.M;
        n = shape.N;
        k = shape.K;
        transposeA = shape.TransposeA != 0;
        accumulate = shape.Accumulate != 0;
        Panels = Count(n, HostGemm<TS, TV>.Nr);
        RowBlocks = Count(m, HostGemm<TS, TV>.Mr);

        // Tasks as large as the cache blocking allows; split further (the larger side of a task first) until every
        // thread has at least two, then even out the groups. A B packed per task is packed again by every row
        // group, so then a task spans as many rows as an A block of HostGemm<TS, TV>.WideRowBytes allows, and columns are split first.
        bool packsBPerTask = !prePackedB && shape.TransposeB == 0;
        int maxRowBlocks = packsBPerTask ? Math.Max(HostGemm<TS, TV>.MaxRowBlocksPerTask, HostGemm<TS, TV>.WideRowBytes / (HostGemm<TS, TV>.Mr * HostGemm<TS, TV>.Kc * sizeof(float))) : HostGemm<TS, TV>.MaxRowBlocksPerTask;
        int rowGroups = Count(RowBlocks, maxRowBlocks);
        int columnGroups = Count(Panels, HostGemm<TS, TV>.MaxPanelsPerTask);
        while (threads > 1 && rowGroups * columnGroups < 2 * threads && (rowGroups < RowBlocks || columnGroups < Panels))
        {
            bool splitRows = columnGroups == Panels ||
                (rowGroups < RowBlocks && !packsBPerTask && Count(RowBlocks, rowGroups) * HostGemm<TS, TV>.Mr >= Count(Panels, columnGroups) * HostGemm<TS, TV>.Nr);
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
        bPanelStride = (nint)packedDepth * HostGemm<TS, TV>.Nr;
    }

    /// <summary>Packing unit u: a group of row blocks of A ([rb][K][6]) or of panels of a transposed B ([p][K][NR]).</summary>
    public void Pack(int unit)
    {
        if (unit < aPackUnits)
        {
            int rb0 = unit * RowBlocksPerPackUnit;
            int rb1 = Math.Min(RowBlocks, rb0 + RowBlocksPerPackUnit);
            PackA(aPacked + ((nint)rb0 * HostGemm<TS, TV>.Mr * k), rb0, rb1, 0, k);
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
        int nr = HostGemm<TS, TV>.Nr;
        int kcMax = HostGemm<TS, TV>.Kc;
        int rgIndex = task / panelGroups;
        int pgIndex = task - (rgIndex * panelGroups);
        int rb0 = rgIndex * rowsPerTask;
        int rb1 = Math.Min(RowBlocks, rb0 + rowsPerTask);
        int p0 = pgIndex * panelsPerTask;
        int p1 = Math.Min(Panels, p0 + panelsPerTask);

        float* tile = stackalloc float[HostGemm<TS, TV>.Mr * 32];
        int aLength = PacksAOnce ? 0 : rowsPerTask * HostGemm<TS, TV>.Mr * kcMax;
        int bLength = PacksBOnce ? 0 : panelsPerTask * kcMax * nr;
        float[] rented = ArrayPool<float>.Shared.Rent(aLength + bLength + 32);
        try
        {
            fixed (float* scratch = rented)
            {
                float* aBlock = HostGemm<TS, TV>.Align(scratch);
                float* bBlock = HostGemm<TS, TV>.Align(aBlock + aLength);
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

                    if (rowBlocksOuter)
                    {
                        for (int rb = rb0; rb < rb1; rb++)
                        {
                            for (int p = p0; p < p1; p++)
                            {
                                Tile(rb, p, k0, kc, aBlock, rb0, bBlock, p0, biasBlock, load, tile);
                            }
                        }
                    }
                    else
                    {
                        for (int p = p0; p < p1; p++)
                        {
                            for (int rb = rb0; rb < rb1; rb++)
                            {
                                Tile(rb, p, k0, kc, aBlock, rb0, bBlock, p0, biasBlock, load, tile);
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

    /// <summary>
    /// Tile (row block <paramref name="rb"/>, panel <paramref name="p"/>) of C over the K block [k0, k0 + kc): A's and
    /// B's micro-panels from the packed-once buffers or from the task's blocks (which start at row block
    /// <paramref name="rb0"/> and panel <paramref name="p0"/>); an edge tile goes through <paramref name="tile"/> [MR][NR].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Tile(int rb, int p, int k0, int kc, float* aBlock, int rb0, float* bBlock, int p0, float* biasBlock, bool load, float* tile)
    {
        int nr = HostGemm<TS, TV>.Nr;
        int n0 = p * nr;
        int cols = Math.Min(nr, n - n0);
        float* bp = PacksBOnce
            ? bPacked + (p * bPanelStride) + ((nint)k0 * nr)
            : bBlock + ((nint)(p - p0) * kc * nr);
        int m0 = rb * HostGemm<TS, TV>.Mr;
        int rows = Math.Min(HostGemm<TS, TV>.Mr, m - m0);
        float* ap = PacksAOnce
            ? aPacked + ((nint)rb * HostGemm<TS, TV>.Mr * k) + ((nint)k0 * HostGemm<TS, TV>.Mr)
            : aBlock + ((nint)(rb - rb0) * HostGemm<TS, TV>.Mr * kc);
        float* cp = c + ((nint)m0 * n) + n0;
        if (rows == HostGemm<TS, TV>.Mr && cols == nr)
        {
            HostGemm<TS, TV>.Micro(kc, ap, bp, cp, n, biasBlock == null ? null : biasBlock + n0, load);
            return;
        }

        // Edge tile: computed into a scratch tile, then only its valid part is stored.
        HostGemm<TS, TV>.Micro(kc, ap, bp, tile, nr, null, false);
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
            int m0 = rb * HostGemm<TS, TV>.Mr;
            int rows = Math.Min(HostGemm<TS, TV>.Mr, m - m0);
            float* panel = dst + ((nint)(rb - rb0) * HostGemm<TS, TV>.Mr * kc);
            if (rows == HostGemm<TS, TV>.Mr)
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
                    for (; kk + 4 <= kc; kk += 4, panel += 4 * HostGemm<TS, TV>.Mr)
                    {
                        Transposes.Sse6x4(s0 + kk, k, panel);
                    }
                }

                for (; kk < kc; kk++, panel += HostGemm<TS, TV>.Mr)
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
                for (int r = 0; r < HostGemm<TS, TV>.Mr; r++)
                {
                    float* src = a + ((nint)(m0 + r) * k) + k0;
                    for (int kk = 0; kk < kc; kk++)
                    {
                        panel[(kk * HostGemm<TS, TV>.Mr) + r] = r < rows ? src[kk] : 0f;
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
        int fullBlocks = Math.Min(rb1, m / HostGemm<TS, TV>.Mr);
        int span = Math.Min(m, rb1 * HostGemm<TS, TV>.Mr) - (rb0 * HostGemm<TS, TV>.Mr);
        int ahead = Math.Min(kc, k - k0 - HostGemm<TS, TV>.PrefetchRows);
        nint panelStride = (nint)HostGemm<TS, TV>.Mr * kc;
        float* row = a + ((nint)k0 * m) + (rb0 * HostGemm<TS, TV>.Mr);
        for (int kk = 0; kk < kc; kk++, row += m)
        {
            if (kk < ahead)
            {
                HostGemm<TS, TV>.Prefetch(row + ((nint)HostGemm<TS, TV>.PrefetchRows * m), span);
            }

            float* panel = dst + (kk * HostGemm<TS, TV>.Mr);
            float* src = row;
            int rb = rb0;
            for (; rb < fullBlocks; rb++, panel += panelStride, src += HostGemm<TS, TV>.Mr)
            {
                // Four floats as a vector, two as a long.
                Vector128.Store(Vector128.Load(src), panel);
                *(long*)(panel + 4) = *(long*)(src + 4);
            }

            if (rb < rb1)
            {
                // The last block, past the end of M.
                int rows = m - (rb * HostGemm<TS, TV>.Mr);
                for (int r = 0; r < HostGemm<TS, TV>.Mr; r++)
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
            PackTransposedB(dst + ((nint)p * k * HostGemm<TS, TV>.Nr), p);
        }
    }

    /// <summary>Packs panel p of a transposed B (stored [N, K]) as [K][NR], zero columns past N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackTransposedB(float* dst, int p)
    {
        int nr = HostGemm<TS, TV>.Nr;
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
        int nr = HostGemm<TS, TV>.Nr;
        int w = TS.Width;
        int n0 = p0 * nr;
        int fullPanels = Math.Min(p1, n / nr) - p0;
        int panelStride = kc * nr;
        float* row = b + ((nint)k0 * n) + n0;
        int span = Math.Min(n, p1 * nr) - n0;
        int ahead = Math.Min(kc, k - k0 - HostGemm<TS, TV>.PrefetchRows);
        for (int kk = 0; kk < kc; kk++, row += n)
        {
            if (kk < ahead)
            {
                HostGemm<TS, TV>.Prefetch(row + ((nint)HostGemm<TS, TV>.PrefetchRows * n), span);
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
