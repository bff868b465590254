using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Seq2Seq.Gpu.Compute.Host;

namespace Seq2Seq.Gpu.Benchmarking;

/// <summary>
/// Measures this machine's limits with the instruction set the engine's host kernels use
/// (<see cref="HostKernels.BestSupported"/>): FMA throughput from a loop of 12 independent vector accumulators (enough
/// to cover a fused multiply-add's latency of about 4 cycles on two pipes), and read bandwidth from a summing stream
/// over buffers sized to sit in L2, L3 and DRAM. Each figure is the best of <c>repeats</c> runs of <c>runTime</c>,
/// on one dedicated thread per logical processor (each with its own work and, for bandwidth, its own buffer), so
/// the thread pool's scheduling plays no part. Threads are not pinned to cores (.NET has no portable affinity for a
/// thread); the operating system spreads busy threads over idle cores.
/// </summary>
internal static class PeakMeasurement
{
    private const int Accumulators = 12;
    private const int FmaChunk = 1 << 14;
    private const int StreamAccumulators = 8;

    /// <summary>Floats one call of the read stream sums (64 KiB; a multiple of 8 vectors of every width).</summary>
    private const long SegmentFloats = 16 * 1024;

    /// <summary>Where each thread leaves its loops' results, so the JIT cannot drop them.</summary>
    [ThreadStatic]
    private static float sink;

    /// <summary>Measures every figure of <see cref="MachinePeaks"/>.</summary>
    /// <param name="runTime">Length of one run (100 ms gives stable figures; a millisecond is enough to test the plumbing).</param>
    /// <param name="repeats">Runs of each figure; the best is kept.</param>
    /// <param name="caches">Cache sizes to size the buffers by; null reads them with <see cref="CacheSizes.ReadSystem"/>.</param>
    public static MachinePeaks Measure(TimeSpan runTime, int repeats = 5, CacheSizes? caches = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(runTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        caches ??= CacheSizes.ReadSystem();
        var set = HostKernels.BestSupported;
        int threads = Environment.ProcessorCount;
        int l3Instances = Math.Max(1, (threads + caches.L3SharedBy - 1) / caches.L3SharedBy);

        // Per-thread buffer bytes: half a private L2; half of the thread's share of an L3 (at least twice its L2, so
        // it is not served by the L2); for DRAM, four times all L3s together over the threads (at least 16 MiB).
        long l2 = caches.L2Bytes / 2;
        long l3 = Math.Max(caches.L3Bytes / caches.L3SharedBy / 2, 2 * caches.L2Bytes);
        long dram = Math.Max(4 * caches.L3Bytes * l3Instances / threads, 16L << 20);
        return new MachinePeaks(
            set,
            threads,
            Best(repeats, () => Fma(set, threads, runTime)),
            Best(repeats, () => Fma(set, 1, runTime)),
            caches,
            ReadBandwidth(set, threads, l2, runTime, repeats),
            ReadBandwidth(set, threads, l3, runTime, repeats),
            ReadBandwidth(set, threads, dram, runTime, repeats));
    }

    /// <summary>Floats a vector of <paramref name="set"/> holds.</summary>
    private static int Width(HostInstructionSet set) => set switch
    {
        HostInstructionSet.Avx512 => Vector512<float>.Count,
        HostInstructionSet.Avx2 => Vector256<float>.Count,
        _ => Vector128<float>.Count,
    };

    private static double Best(int repeats, Func<double> run)
    {
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            best = Math.Max(best, run());
        }

        return best;
    }

    /// <summary>GFLOP/s of <paramref name="threads"/> threads each running the FMA loop for <paramref name="runTime"/>.</summary>
    private static double Fma(HostInstructionSet set, int threads, TimeSpan runTime)
    {
        // FLOPs of one chunk: iterations x accumulators x lanes x 2 (a multiply and an add).
        int width = Width(set);
        double chunkFlops = 2.0 * FmaChunk * Accumulators * width;
        Func<float, float> chunk = set switch
        {
            HostInstructionSet.Avx512 => FmaLoop<SimdAvx512, Vector512<float>>,
            HostInstructionSet.Avx2 => FmaLoop<SimdAvx2, Vector256<float>>,
            _ => FmaLoop<SimdPortable, Vector128<float>>,
        };
        return OnThreads(threads, runTime, t => () =>
        {
            sink += chunk(1f + t);
            return chunkFlops;
        }) / 1e9;
    }

    /// <summary>GB/s of every thread summing its own buffer of <paramref name="bytesPerThread"/>, best of <paramref name="repeats"/>.</summary>
    private static unsafe double ReadBandwidth(HostInstructionSet set, int threads, long bytesPerThread, TimeSpan runTime, int repeats)
    {
        long floats = Math.Max(1, bytesPerThread / sizeof(float) / SegmentFloats) * SegmentFloats;
        var buffers = new nint[threads];
        delegate*<float*, long, float> sum = set switch
        {
            HostInstructionSet.Avx512 => &SumStream<SimdAvx512, Vector512<float>>,
            HostInstructionSet.Avx2 => &SumStream<SimdAvx2, Vector256<float>>,
            _ => &SumStream<SimdPortable, Vector128<float>>,
        };
        try
        {
            // Each thread allocates and first touches its own buffer (its pages then sit near its core).
            OnThreads(threads, TimeSpan.Zero, t => () =>
            {
                var p = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
                buffers[t] = (nint)p;
                new Span<float>(p, checked((int)floats)).Fill(1f);
                return 0;
            });
            // A call sums one segment, the next call the next one, cycling through the buffer: a run of any length
            // reads whole segments, and a long run passes over the whole buffer many times.
            var next = new long[threads];
            return Best(repeats, () => OnThreads(threads, runTime, t => () =>
            {
                sink += sum((float*)buffers[t] + next[t], SegmentFloats);
                next[t] = next[t] + SegmentFloats >= floats ? 0 : next[t] + SegmentFloats;
                return SegmentFloats * sizeof(float);
            }) / 1e9);
        }
        finally
        {
            foreach (var p in buffers)
            {
                NativeMemory.AlignedFree((void*)p);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>(thread) repeatedly on <paramref name="threads"/> dedicated threads released
    /// together, each until <paramref name="runTime"/> has passed (once when it is zero); returns the units of work
    /// (each call returns its count) of all threads over the longest thread's time, per second.
    /// </summary>
    private static double OnThreads(int threads, TimeSpan runTime, Func<int, Func<double>> work)
    {
        var done = new double[threads];
        var seconds = new double[threads];
        Exception? failure = null;
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var step = work(t);
                start.SignalAndWait();
                long begin = Stopwatch.GetTimestamp();
                double units = 0;
                do
                {
                    units += step();
                }
                while (Stopwatch.GetElapsedTime(begin) < runTime);
                seconds[t] = Stopwatch.GetElapsedTime(begin).TotalSeconds;
                done[t] = units;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = $"peak {t}" }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        if (failure is not null)
        {
            throw new InvalidOperationException($"peak measurement failed: {failure.Message}", failure);
        }

        return done.Sum() / Math.Max(seconds.Max(), 1e-9);
    }

    /// <summary>
    /// <see cref="FmaChunk"/> iterations of 12 independent fused multiply-adds <c>acc = acc·m + c</c> (m just under
    /// 1, so values stay normal); the sum is returned so the loop is not removed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float FmaLoop<TSimd, TV>(float seed)
        where TSimd : ISimd<TV>
        where TV : unmanaged
    {
        TV m = TSimd.Splat(0.9999999f), c = TSimd.Splat(seed * 1e-7f);
        TV a0 = TSimd.Splat(seed), a1 = TSimd.Splat(seed + 1), a2 = TSimd.Splat(seed + 2), a3 = TSimd.Splat(seed + 3);
        TV a4 = TSimd.Splat(seed + 4), a5 = TSimd.Splat(seed + 5), a6 = TSimd.Splat(seed + 6), a7 = TSimd.Splat(seed + 7);
        TV a8 = TSimd.Splat(seed + 8), a9 = TSimd.Splat(seed + 9), a10 = TSimd.Splat(seed + 10), a11 = TSimd.Splat(seed + 11);
        for (int i = 0; i < FmaChunk; i++)
        {
            a0 = TSimd.MultiplyAdd(a0, m, c);
            a1 = TSimd.MultiplyAdd(a1, m, c);
            a2 = TSimd.MultiplyAdd(a2, m, c);
            a3 = TSimd.MultiplyAdd(a3, m, c);
            a4 = TSimd.MultiplyAdd(a4, m, c);
            a5 = TSimd.MultiplyAdd(a5, m, c);
            a6 = TSimd.MultiplyAdd(a6, m, c);
            a7 = TSimd.MultiplyAdd(a7, m, c);
            a8 = TSimd.MultiplyAdd(a8, m, c);
            a9 = TSimd.MultiplyAdd(a9, m, c);
            a10 = TSimd.MultiplyAdd(a10, m, c);
            a11 = TSimd.MultiplyAdd(a11, m, c);
        }

        TV s = TSimd.Add(TSimd.Add(TSimd.Add(a0, a1), TSimd.Add(a2, a3)), TSimd.Add(TSimd.Add(a4, a5), TSimd.Add(a6, a7)));
        return TSimd.SumAcross(TSimd.Add(s, TSimd.Add(TSimd.Add(a8, a9), TSimd.Add(a10, a11))));
    }

    /// <summary>Sums <paramref name="count"/> floats (a multiple of 8 vectors) with 8 vector accumulators, so loads, not adds, bound it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float SumStream<TSimd, TV>(float* source, long count)
        where TSimd : ISimd<TV>
        where TV : unmanaged
    {
        int w = TSimd.Width;
        TV s0 = TSimd.Zero, s1 = TSimd.Zero, s2 = TSimd.Zero, s3 = TSimd.Zero, s4 = TSimd.Zero, s5 = TSimd.Zero, s6 = TSimd.Zero, s7 = TSimd.Zero;
        for (long i = 0; i < count; i += StreamAccumulators * w)
        {
            float* p = source + i;
            s0 = TSimd.Add(s0, TSimd.Load(p));
            s1 = TSimd.Add(s1, TSimd.Load(p + w));
            s2 = TSimd.Add(s2, TSimd.Load(p + (2 * w)));
            s3 = TSimd.Add(s3, TSimd.Load(p + (3 * w)));
            s4 = TSimd.Add(s4, TSimd.Load(p + (4 * w)));
            s5 = TSimd.Add(s5, TSimd.Load(p + (5 * w)));
            s6 = TSimd.Add(s6, TSimd.Load(p + (6 * w)));
            s7 = TSimd.Add(s7, TSimd.Load(p + (7 * w)));
        }

        return TSimd.SumAcross(TSimd.Add(TSimd.Add(TSimd.Add(s0, s1), TSimd.Add(s2, s3)), TSimd.Add(TSimd.Add(s4, s5), TSimd.Add(s6, s7))));
    }
}
