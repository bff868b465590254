using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// Typed launches of the engine's kernels on one device: checks every view against the shape it is given (a
/// mismatch is a <see cref="ShapeException"/>, never an out-of-bounds kernel), picks the kernel variant and the
/// work per thread for the device, and launches asynchronously on the device's default stream. Only
/// <see cref="Sum"/> waits, because it returns a scalar to the host. On ILGPU's CPU accelerator (unless the device
/// was opened with <see cref="CpuKernels.Ilgpu"/>) the same operations run as host SIMD kernels
/// (<see cref="HostKernels"/>) directly on the accelerator's buffers, which are host memory: same buffers, same
/// semantics, one to two orders of magnitude faster.
/// </summary>
public sealed class DeviceOps : IDisposable
{
    /// <summary>Threads a launch aims for on ILGPU's CPU accelerator, where each thread costs about a microsecond.</summary>
    private const int CpuThreadsPerLaunch = 64;

    private readonly ComputeDevice device;
    private readonly KernelCache kernels;
    private readonly DeviceBuffer<float> noFloats;
    private readonly DeviceBuffer<int> noInts;
    private readonly DeviceBuffer<float> partials;
    private readonly DeviceBuffer<int> gridSync;
    private readonly Dictionary<(Delegate Kernel, int GroupSize), bool> residency = [];
    private readonly Lock sumLock = new();
    private readonly HostKernels? host;
    private readonly Lock gemmLock = new();
    private CuBlasGemm? cuBlas;
    private string gemmBackend = OwnGemm;

    internal DeviceOps(ComputeDevice device)
    {
        this.device = device;
        kernels = new KernelCache(device.Accelerator);
        host = device.IsCpu && device.CpuKernels == CpuKernels.Simd ? new HostKernels() : null;
        noFloats = device.Allocate<float>(1, "placeholder view");
        noInts = device.Allocate<int>(1, "placeholder view");
        partials = device.Allocate<float>(2 * MaxPartials, "reduction partials");
        // Fused steps on any GPU with the shared memory for their tiles; persistent kernels only on CUDA, where one
        // group a multiprocessor is known to be resident (OpenCL promises no progress between work-groups, and its
        // compute-unit count is not a count of co-resident groups).
        FusedRecurrentSteps = !device.IsCpu && device.Info.MaxSharedMemoryPerGroup >= LstmStepKernels.SharedBytes;
        PersistentSequences = device.Info.Kind == DeviceKind.Cuda && FusedRecurrentSteps;
        gridSync = device.Allocate<int>(PersistentDecodeKernels.SyncLength, "grid barrier");
        PersistentDecode = device.Info.Kind == DeviceKind.Cuda && device.Info.MaxSharedMemoryPerGroup >= PersistentDecodeKernels.SharedBytes;
    }

    /// <summary>
    /// What runs the operations: <c>gpu (…)</c> (ILGPU kernels on a GPU) or, on the CPU accelerator, <c>simd (…)</c> (host
    /// kernels) or <c>ilgpu (…)</c>; for ILGPU kernels, whether recurrent steps are fused, greedy decoding persistent, and
    /// what computes the matrix products (<see cref="GemmBackend"/>).
    /// </summary>
    public string Backend => host is not null
        ? $"simd ({host.InstructionSet}, {host.MaxDegreeOfParallelism} threads)"
        : $"{(device.IsCpu ? "ilgpu" : "gpu")} ({(FusedRecurrentSteps ? PersistentSequences ? "persistent recurrences" : "fused steps" : "per-operation steps")}, {(PersistentDecode ? "persistent decode" : "per-step decode")}, products: {GemmBackend})";

    /// <summary>
    /// Whether a recurrent step (h·U and the cell, forward; the cell and dz·Uᵀ, backward) runs as one fused kernel
    /// (<see cref="LstmStepKernels"/>) rather than a product and a cell kernel. On by default on GPUs; off on the CPU
    /// accelerator, where the fused kernels' barriers are ruinous (set it there only to test them); the host SIMD
    /// kernels ignore it. Switching it off on a GPU measures the per-operation path.
    /// </summary>
    public bool FusedRecurrentSteps { get; set; }

    /// <summary>
    /// Whether a layer's whole recurrence (all T steps, forward or backward) runs as one persistent kernel
    /// (<see cref="PersistentSequenceKernels"/>) rather than one launch a step; needs <see cref="FusedRecurrentSteps"/>.
    /// On by default on GPUs, off on the CPU accelerator (set it there only to test the kernels).
    /// </summary>
    public bool PersistentSequences { get; set; }

    /// <summary>
    /// Whether greedy decoding runs as one persistent kernel for the whole batch
    /// (<see cref="PersistentDecodeKernels.GreedyDecode"/>) rather than a few launches per step. On by default on GPUs;
    /// off on the CPU accelerator (set it there only to test the kernel); the host SIMD kernels ignore it.
    /// </summary>
    public bool PersistentDecode { get; set; }

    /// <summary>Kernels compiled and loaded so far on this device (each at most once).</summary>
    public int LoadedKernelCount => kernels.LoadedCount;

    /// <summary>
    /// Side of the square thread groups of the tiled matrix product: the largest power of two up to 16 whose square
    /// fits the device's group size (16 on GPUs and the NVIDIA-shaped CPU accelerator, 4 on the default one).
    /// </summary>
    public int TileSize
    {
        get
        {
            int tile = 16;
            while (tile > 1 && tile * tile > device.Info.MaxThreadsPerGroup)
            {
                tile /= 2;
            }

            return tile;
        }
    }

    /// <summary>
    /// Thread group of the register-blocked matrix product (X columns, Y rows of threads, each thread a 4×4 block of
    /// C): from 16×16, the larger side halved until the group fits the device's <see cref="DeviceInfo.MaxThreadsPerGroup"/>
    /// (16×16 on GPUs and the NVIDIA-shaped CPU accelerator, giving 64×64 tiles; 4×4 on the default CPU accelerator).
    /// </summary>
    public Index2D RegisterBlockedGroup => RegisterBlockedGroupFor(device.Info.MaxThreadsPerGroup);

    /// <summary>
    /// What computes the matrix products of <see cref="MatMulAlgorithm.Auto"/> on this device: <c>cublas 12.x.y</c>,
    /// <c>own kernels</c>, or <c>own kernels (cuBLAS unavailable: why)</c> after <see cref="UseGemm"/> asked for cuBLAS
    /// and could not have it.
    /// </summary>
    public string GemmBackend
    {
        get
        {
            lock (gemmLock)
            {
                return gemmBackend;
            }
        }
    }

    private static string OwnGemm => "own kernels";

    private static int MaxPartials => 1024;

    /// <summary>
    /// Most threads in a group of the step kernels: 256 threads fit one multiprocessor even at the 255 registers a
    /// thread ptxas may give them (64K registers an SM), so a launch is never refused for its registers and a
    /// persistent grid of one group a multiprocessor is always resident.
    /// </summary>
    private static int MaxStepGroupThreads => 256;

    private Accelerator Accelerator => device.Accelerator;

    /// <summary>Work items per thread for a launch over <paramref name="count"/> items.</summary>
    public int ChunkFor(int count) =>
        device.IsCpu ? Math.Max(1, (count + CpuThreadsPerLaunch - 1) / CpuThreadsPerLaunch) : 1;

    /// <summary><c>output[n, :] = table[ids[n], :] (+ bias)</c>: embedding lookup, or the one-hot input projection.</summary>
    public void Gather(ArrayView<int> ids, ArrayView<float> table, ArrayView<float>? bias, ArrayView<float> output, int rows, int width, int tableRows)
    {
        Require(ids, rows, "gather ids");
        Require(table, (long)tableRows * width, "gather table");
        Require(output, (long)rows * width, "gather output");
        if (bias is { } b)
        {
            Require(b, width, "gather bias");
        }

        if (host is not null)
        {
            host.Gather(S(ids), S(table), bias is { } hb ? S(hb) : default, S(output), rows, width);
            return;
        }

        int count = rows * width;
        int chunk = ChunkFor(count);
        kernels.GatherRows.Value(LaunchChunk.Threads(count, chunk), ids, table, bias ?? noFloats.View, output, rows, width, bias is null ? 0 : 1, chunk);
    }

    /// <summary><c>gradTable[ids[n], :] += gradOutput[n, :]</c>, correct for repeated ids.</summary>
    public void ScatterAdd(ArrayView<int> ids, ArrayView<float> gradOutput, ArrayView<float> gradTable, int rows, int width, int tableRows)
    {
        Require(ids, rows, "scatter ids");
        Require(gradOutput, (long)rows * width, "scatter gradient");
        Require(gradTable, (long)tableRows * width, "scatter table gradient");
        if (host is not null)
        {
            host.ScatterAdd(S(ids), S(gradOutput), S(gradTable), rows, width);
            return;
        }

        int chunk = ChunkFor(width);
        kernels.ScatterAddRows.Value(LaunchChunk.Threads(width, chunk), ids, gradOutput, gradTable, rows, width, chunk);
    }

    /// <summary><c>C (=|+=) op(A)·op(B) (+ bias)</c> as described by <paramref name="shape"/>.</summary>
    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm = MatMulAlgorithm.Auto)
    {
        if (shape.M < 0 || shape.N < 0 || shape.K < 0)
        {
            throw new ShapeException($"matrix product with negative size: {shape}");
        }

        Require(a, (long)shape.M * shape.K, $"A of {shape}");
        Require(b, (long)shape.K * shape.N, $"B of {shape}");
        Require(c, (long)shape.M * shape.N, $"C of {shape}");
        if (bias is { } bv)
        {
            Require(bv, shape.N, $"bias of {shape}");
        }

        if ((bias is null) == (shape.HasBias != 0))
        {
            throw new ShapeException($"{shape}: a bias view must be given exactly when the shape says HasBias");
        }

        if (shape.M == 0 || shape.N == 0)
        {
            return;
        }

        if (host is not null && algorithm == MatMulAlgorithm.Auto)
        {
            host.MatMul(S(a), S(b), bias is { } hb ? S(hb) : default, S(c), shape);
            return;
        }

        var library = algorithm == MatMulAlgorithm.Auto ? Volatile.Read(ref cuBlas) : null;
        if (library is not null)
        {
            // cuBLAS has no bias: the product (beta 1 when accumulating), then the bias rows, in stream order.
            library.Run(a, b, c, shape);
            if (bias is { } lb)
            {
                AddBiasRows(c, lb, shape.M, shape.N);
            }

            return;
        }

        var biasView = bias ?? noFloats.View;
        switch (algorithm == MatMulAlgorithm.Auto ? ChooseKernel(shape, device.Info) : algorithm)
        {
            case MatMulAlgorithm.Tiled:
                int tile = TileSize;
                var grid = new Index2D((shape.N + tile - 1) / tile, (shape.M + tile - 1) / tile);
                kernels.MatMulTiled.Value(new KernelConfig(grid, new Index2D(tile, tile)), a, b, biasView, c, shape);
                break;
            case MatMulAlgorithm.RegisterBlocked:
                MatMulRegisterBlocked(a, b, biasView, c, shape, RegisterBlockedGroup);
                break;
            default:
                int count = shape.M * shape.N;
                int chunk = ChunkFor(count);
                kernels.MatMulRows.Value(LaunchChunk.Threads(count, chunk), a, b, biasView, c, shape, chunk);
                break;
        }
    }

    /// <summary>
    /// Asks for <paramref name="gemm"/> to compute the <see cref="MatMulAlgorithm.Auto"/> matrix products of this device.
    /// cuBLAS is tried here, not at each product (CUDA devices only; the library is loaded at run time, never required);
    /// where it cannot be had the own kernels keep running and <see cref="GemmBackend"/> records why. Returns whether the
    /// request was met. Call it between launches (from the thread that holds the device), not while products run.
    /// </summary>
    public bool UseGemm(GpuGemm gemm)
    {
        lock (gemmLock)
        {
            if (gemm == GpuGemm.Own)
            {
                Interlocked.Exchange(ref cuBlas, null)?.Dispose();
                gemmBackend = OwnGemm;
                return true;
            }

            if (cuBlas is null)
            {
                var created = CuBlasGemm.TryCreate(Accelerator, out string status);
                gemmBackend = created is null ? $"{OwnGemm} (cuBLAS unavailable: {status})" : status;
                Volatile.Write(ref cuBlas, created);
            }

            return cuBlas is not null;
        }
    }

    /// <summary><c>c[m, n] += bias[n]</c> over c [rows, cols] with the ILGPU kernel (the bias step after cuBLAS).</summary>
    internal void AddBiasRows(ArrayView<float> c, ArrayView<float> bias, int rows, int cols)
    {
        int count = rows * cols;
        int chunk = ChunkFor(count);
        kernels.AddBias.Value(LaunchChunk.Threads(count, chunk), c, bias, rows, cols, chunk);
    }

    /// <summary>Launches the register-blocked product with a given thread group (each side at most 16; tests try several).</summary>
    internal void MatMulRegisterBlocked(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, MatMulShape shape, Index2D group)
    {
        kernels.MatMulRegisterBlocked.Value(new KernelConfig(RegisterBlockedGrid(shape, group), group), a, b, bias, c, shape);
    }

    /// <summary>Prepares op(B) [K, N] (stored [K, N], or [N, K] when <paramref name="transposed"/>) for many products in one pass.</summary>
    public PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed)
    {
        Require(b, (long)k * n, "prepared right operand");
        return new PreparedRightOperand(b, k, n, transposed, host?.PackRight(S(b), k, n, transposed));
    }

    /// <summary>The product with a prepared right operand; the shape's K, N and transposition must be the operand's.</summary>
    public void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.K != shape.K || b.N != shape.N || b.Transposed != (shape.TransposeB != 0))
        {
            throw new ShapeException($"{shape}: the prepared right operand is {b.K}x{b.N}{(b.Transposed ? ", transposed" : string.Empty)}");
        }

        if (host is null || b.Packed is null)
        {
            MatMul(a, b.View, bias, c, shape);
            return;
        }

        Require(a, (long)shape.M * shape.K, $"A of {shape}");
        Require(c, (long)shape.M * shape.N, $"C of {shape}");
        if (bias is { } bv)
        {
            Require(bv, shape.N, $"bias of {shape}");
        }

        if ((bias is null) == (shape.HasBias != 0))
        {
            throw new ShapeException($"{shape}: a bias view must be given exactly when the shape says HasBias");
        }

        if (shape.M == 0 || shape.N == 0)
        {
            return;
        }

        host.MatMul(S(a), S(b.View), b.Packed, bias is { } hb ? S(hb) : default, S(c), shape);
    }

    /// <summary><c>output[j] (=|+=) Σ_n input[n, j]</c> (bias gradients).</summary>
    public void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate)
    {
        Require(input, (long)rows * cols, "column-sum input");
        Require(output, cols, "column-sum output");
        if (host is not null)
        {
            host.ColumnSum(S(input), S(output), rows, cols, accumulate);
            return;
        }

        int chunk = ChunkFor(cols);
        kernels.ColumnSum.Value(LaunchChunk.Threads(cols, chunk), input, output, rows, cols, accumulate ? 1 : 0, chunk);
    }

    /// <summary>One fused LSTM step (see <see cref="LstmCellKernels.Forward"/>); <paramref name="mask"/> [B] or null.</summary>
    public void LstmForward(
        ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        RequireStepState(gates, cPrev, cNext, mask, batch, hidden, "LSTM gates");
        Require(hPrev, (long)batch * hidden, "LSTM h_prev");
        Require(hNext, (long)batch * hidden, "LSTM h_next");

        if (host is not null)
        {
            host.LstmForward(S(gates), S(cPrev), S(hPrev), S(cNext), S(hNext), mask is { } hm ? S(hm) : default, batch, hidden);
            return;
        }

        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmForward.Value(LaunchChunk.Threads(count, chunk), gates, cPrev, hPrev, cNext, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk);
    }

    /// <summary>
    /// One recurrent step: <c>gates += hPrev·U</c>, then the cell (see <see cref="LstmCellKernels.Forward"/>); one fused
    /// kernel when <see cref="FusedRecurrentSteps"/> is on (GPUs), a product and the cell kernel otherwise.
    /// <paramref name="recurrent"/> is U [H, 4H] from <see cref="PrepareRight"/> (K = H, N = 4H). hPrev and hNext must
    /// not overlap (the fused kernel's groups read all of hPrev while others write hNext). <paramref name="fused"/>
    /// forces one path or the other (tests).
    /// </summary>
    public void LstmForwardStep(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, bool? fused = null)
    {
        ArgumentNullException.ThrowIfNull(recurrent);
        var shape = new MatMulShape(batch, LstmGates.Count * hidden, hidden, accumulate: true);
        if (!UseFusedStep(fused))
        {
            MatMul(hPrev, recurrent, null, gates, shape);
            LstmForward(gates, cPrev, hPrev, cNext, hNext, mask, batch, hidden);
            return;
        }

        RequireRecurrent(recurrent, hidden, transposed: false);
        RequireStepState(gates, cPrev, cNext, mask, batch, hidden, "LSTM gates");
        Require(hPrev, (long)batch * hidden, "LSTM h_prev");
        Require(hNext, (long)batch * hidden, "LSTM h_next");

        if (batch == 0 || hidden == 0)
        {
            return;
        }

        kernels.LstmFusedForward.Value(StepLaunch(batch, hidden), gates, recurrent.View, cPrev, hPrev, cNext, hNext, mask ?? noInts.View, new LstmStepShape(batch, hidden, mask is not null));
    }

    /// <summary>
    /// One recurrent backward step: <c>dhCarry += dGatesNext·Uᵀ</c> (step t+1's gate gradients; null for the last
    /// step), then the backward cell (see <see cref="LstmCellKernels.Backward"/>); one fused kernel when
    /// <see cref="FusedRecurrentSteps"/> is on. <paramref name="recurrentTransposed"/> is U [H, 4H] prepared as Uᵀ
    /// (K = 4H, N = H, transposed). The caller adds <c>dGates_0·Uᵀ</c> after the first step. <paramref name="fused"/>
    /// forces one path or the other (tests).
    /// </summary>
    public void LstmBackwardStep(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float>? dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden,
        bool? fused = null)
    {
        ArgumentNullException.ThrowIfNull(recurrentTransposed);
        if (!UseFusedStep(fused))
        {
            if (dGatesNext is { } next)
            {
                MatMul(next, recurrentTransposed, null, dhCarry, new MatMulShape(batch, hidden, LstmGates.Count * hidden, transposeB: true, accumulate: true));
            }

            LstmBackward(activations, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGates, mask, batch, hidden);
            return;
        }

        RequireRecurrent(recurrentTransposed, hidden, transposed: true);
        RequireStepState(activations, cPrev, cNext, mask, batch, hidden, "LSTM activations");
        long state = (long)batch * hidden;
        Require(dhCarry, state, "LSTM dh carry");
        Require(dcCarry, state, "LSTM dc carry");
        Require(dGates, state * LstmGates.Count, "LSTM gate gradients");
        if (dhExternal is { } dx)
        {
            Require(dx, state, "LSTM external dh");
        }

        if (dGatesNext is { } dn)
        {
            Require(dn, state * LstmGates.Count, "LSTM next gate gradients");
        }

        if (batch == 0 || hidden == 0)
        {
            return;
        }

        kernels.LstmFusedBackward.Value(
            StepLaunch(batch, hidden), activations, recurrentTransposed.View, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGatesNext ?? noFloats.View, dGates,
            mask ?? noInts.View, new LstmStepShape(batch, hidden, mask is not null, dhExternal is not null, dGatesNext is not null));
    }

    /// <summary>
    /// A layer's recurrence over T steps: <c>gates_t += h_t·U</c> and the cell, for t = 0..T-1. One persistent launch
    /// when <see cref="PersistentSequences"/> and <see cref="FusedRecurrentSteps"/> are on (GPUs), otherwise
    /// <see cref="LstmForwardStep"/> per step. Views: gates [T, B, 4H] (in: x·W + b; out: activations), cells and hidden
    /// [T+1, B, H] (slot 0: the initial state), mask [T, B] or null, with H = <paramref name="units"/>;
    /// <paramref name="recurrent"/> as for a step.
    /// </summary>
    public void LstmForwardSequence(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, bool? persistent = null)
    {
        ArgumentNullException.ThrowIfNull(recurrent);
        RequireSizes(steps, batch, units);
        long state = (long)batch * units;
        long stepGates = state * LstmGates.Count;
        if (!UsePersistentSequence(persistent) || steps == 0)
        {
            for (int t = 0; t < steps; t++)
            {
                LstmForwardStep(
                    gates.SubView(t * stepGates, stepGates), recurrent, cells.SubView(t * state, state), hidden.SubView(t * state, state),
                    cells.SubView((t + 1) * state, state), hidden.SubView((t + 1) * state, state), mask?.SubView((long)t * batch, batch), batch, units);
            }

            return;
        }

        RequireRecurrent(recurrent, units, transposed: false);
        RequireSequence(gates, cells, mask, steps, batch, units, "LSTM gates");
        Require(hidden, (steps + 1) * state, "LSTM hidden states");
        if (state == 0)
        {
            return;
        }

        var launch = PersistentLaunch(batch, units, 0);
        if (!Resident(kernels.LstmForwardSequence.Value, launch))
        {
            LstmForwardSequence(gates, recurrent, cells, hidden, mask, steps, batch, units, persistent: false);
            return;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmForwardSequence.Value(launch, gates, recurrent.View, cells, hidden, mask ?? noInts.View, gridSync.View, new LstmSequenceShape(steps, batch, units, mask is not null));
    }

    /// <summary>
    /// A layer's backward recurrence over T steps (t = T-1..0): <c>dhCarry += dGates_{t+1}·Uᵀ</c> and the backward cell.
    /// One persistent launch when <see cref="PersistentSequences"/> and <see cref="FusedRecurrentSteps"/> are on,
    /// otherwise <see cref="LstmBackwardStep"/> per step. The caller adds <c>dGates_0·Uᵀ</c> afterwards. Views:
    /// activations and dGates [T, B, 4H], cells [T+1, B, H], dExternal [T, B, H] or null, dhCarry and dcCarry [B, H],
    /// mask [T, B] or null; <paramref name="recurrentTransposed"/> as for a step.
    /// </summary>
    public void LstmBackwardSequence(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cells,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int steps,
        int batch,
        int hidden,
        bool? persistent = null)
    {
        ArgumentNullException.ThrowIfNull(recurrentTransposed);
        RequireSizes(steps, batch, hidden);
        long state = (long)batch * hidden;
        long stepGates = state * LstmGates.Count;
        if (!UsePersistentSequence(persistent) || steps == 0)
        {
            for (int t = steps - 1; t >= 0; t--)
            {
                LstmBackwardStep(
                    activations.SubView(t * stepGates, stepGates), recurrentTransposed, cells.SubView(t * state, state), cells.SubView((t + 1) * state, state),
                    dExternal?.SubView(t * state, state), dhCarry, dcCarry, t + 1 < steps ? dGates.SubView((t + 1) * stepGates, stepGates) : null,
                    dGates.SubView(t * stepGates, stepGates), mask?.SubView((long)t * batch, batch), batch, hidden);
            }

            return;
        }

        RequireRecurrent(recurrentTransposed, hidden, transposed: true);
        RequireSequence(activations, cells, mask, steps, batch, hidden, "LSTM activations");
        Require(dGates, steps * stepGates, "LSTM gate gradients");
        Require(dhCarry, state, "LSTM dh carry");
        Require(dcCarry, state, "LSTM dc carry");
        if (dExternal is { } dx)
        {
            Require(dx, steps * state, "LSTM external dh");
        }

        if (state == 0)
        {
            return;
        }

        var launch = PersistentLaunch(batch, hidden, 0);
        if (!Resident(kernels.LstmBackwardSequence.Value, launch))
        {
            LstmBackwardSequence(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, persistent: false);
            return;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmBackwardSequence.Value(
            launch, activations, recurrentTransposed.View, cells, dExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View, gridSync.View,
            new LstmSequenceShape(steps, batch, hidden, mask is not null, dExternal is not null));
    }

    /// <summary>
    /// Group shape (units U, rows R) of the fused step and persistent kernels, from the device's properties: U is the
    /// largest power of two up to 32 that fits a group and is not more than twice H; R the largest up to 32 that fits
    /// U·R into a group of at most <see cref="MaxStepGroupThreads"/> threads and is not more than twice B, then halved
    /// while twice the grid would still fit one group a multiprocessor (so small batches spread over the device, large
    /// ones keep U's slice reused by many rows).
    /// </summary>
    public (int Units, int Rows) StepGroup(int batch, int hidden)
    {
        int maxThreads = Math.Min(device.Info.MaxThreadsPerGroup, MaxStepGroupThreads);
        int units = LstmStepKernels.MaxGroupSide;
        while (units > 1 && (units > maxThreads || units / 2 >= hidden))
        {
            units /= 2;
        }

        int rows = LstmStepKernels.MaxGroupSide;
        while (rows > 1 && (units * rows > maxThreads || rows / 2 >= batch))
        {
            rows /= 2;
        }

        long unitGroups = (hidden + units - 1) / units;
        while (rows > 1 && 2 * unitGroups * ((batch + rows - 1) / rows) <= device.Info.Multiprocessors)
        {
            rows /= 2;
        }

        return (units, rows);
    }

    /// <summary>One fused LSTM backward step (see <see cref="LstmCellKernels.Backward"/>).</summary>
    public void LstmBackward(
        ArrayView<float> activations,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden)
    {
        RequireStepState(activations, cPrev, cNext, mask, batch, hidden, "LSTM activations");
        long state = (long)batch * hidden;
        Require(dhCarry, state, "LSTM dh carry");
        Require(dcCarry, state, "LSTM dc carry");
        Require(dGates, state * LstmGates.Count, "LSTM gate gradients");
        if (dhExternal is { } dx)
        {
            Require(dx, state, "LSTM external dh");
        }

        if (host is not null)
        {
            host.LstmBackward(S(activations), S(cPrev), S(cNext), dhExternal is { } hx ? S(hx) : default, S(dhCarry), S(dcCarry), S(dGates), mask is { } hm ? S(hm) : default, batch, hidden);
            return;
        }

        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk);
    }

    /// <summary>
    /// One fused GRU step (see <see cref="GruCellKernels.Forward"/>): inputGates [B, 3H] in: x·W + b_input, out: the
    /// activations r, z, n; recurrentGates [B, 3H] (h_prev·U + b_recurrent, kept for the backward pass) and hPrev [B, H]
    /// read; hNext [B, H] assigned; <paramref name="mask"/> [B] or null.
    /// </summary>
    public void GruForward(
        ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        RequireGruStep(inputGates, recurrentGates, hPrev, mask, batch, hidden, "GRU input gates");
        Require(hNext, (long)batch * hidden, "GRU h_next");

        if (host is not null)
        {
            host.GruForward(S(inputGates), S(recurrentGates), S(hPrev), S(hNext), mask is { } hm ? S(hm) : default, batch, hidden);
            return;
        }

        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruForward.Value(LaunchChunk.Threads(count, chunk), inputGates, recurrentGates, hPrev, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk);
    }

    /// <summary>
    /// One fused GRU backward step (see <see cref="GruCellKernels.Backward"/>): activations (r, z, n) and recurrentGates
    /// [B, 3H], hPrev [B, H] read; <paramref name="dhExternal"/> [B, H] or null; dhCarry [B, H] in: the gradient into h'
    /// from step t+1, out: the part of dh_prev that bypasses U (the caller adds dRecurrentGates·Uᵀ); dInputGates and
    /// dRecurrentGates [B, 3H] assigned; <paramref name="mask"/> [B] or null.
    /// </summary>
    public void GruBackward(
        ArrayView<float> activations,
        ArrayView<float> recurrentGates,
        ArrayView<float> hPrev,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dInputGates,
        ArrayView<float> dRecurrentGates,
        ArrayView<int>? mask,
        int batch,
        int hidden)
    {
        RequireGruStep(activations, recurrentGates, hPrev, mask, batch, hidden, "GRU activations");
        long state = (long)batch * hidden;
        Require(dhCarry, state, "GRU dh carry");
        Require(dInputGates, state * GruGates.Count, "GRU input gate gradients");
        Require(dRecurrentGates, state * GruGates.Count, "GRU recurrent gate gradients");
        if (dhExternal is { } dx)
        {
            Require(dx, state, "GRU external dh");
        }

        if (host is not null)
        {
            host.GruBackward(
                S(activations), S(recurrentGates), S(hPrev), dhExternal is { } hx ? S(hx) : default, S(dhCarry), S(dInputGates), S(dRecurrentGates), mask is { } hm ? S(hm) : default, batch, hidden);
            return;
        }

        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, recurrentGates, hPrev, dhExternal ?? noFloats.View, dhCarry, dInputGates, dRecurrentGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk);
    }

    /// <summary>
    /// Fused softmax cross-entropy: per-row loss and correctness, logits overwritten by the scaled gradient. On GPUs
    /// one warp handles a row (<see cref="SoftmaxKernels.CrossEntropyWarpPerRow"/>), on the CPU accelerator one
    /// thread does; <paramref name="warpPerRow"/> forces one or the other (tests).
    /// </summary>
    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale, bool? warpPerRow = null)
    {
        Require(logits, (long)rows * vocab, "cross-entropy logits");
        Require(targets, rows, "cross-entropy targets");
        Require(rowLoss, rows, "cross-entropy row loss");
        Require(rowCorrect, rows, "cross-entropy row correctness");
        if (host is not null && warpPerRow is null)
        {
            host.CrossEntropy(S(logits), S(targets), S(rowLoss), S(rowCorrect), rows, vocab, scale);
            return;
        }

        if (rows == 0)
        {
            return;
        }

        if (warpPerRow ?? !device.IsCpu)
        {
            int warp = device.Info.WarpSize;
            int warpsPerGroup = Math.Max(1, Math.Min(4, device.Info.MaxThreadsPerGroup / warp));
            var config = new KernelConfig((rows + warpsPerGroup - 1) / warpsPerGroup, warp * warpsPerGroup);
            kernels.CrossEntropyWarpPerRow.Value(config, logits, targets, rowLoss, rowCorrect, rows, vocab, scale);
            return;
        }

        int chunk = ChunkFor(rows);
        kernels.CrossEntropy.Value(LaunchChunk.Threads(rows, chunk), logits, targets, rowLoss, rowCorrect, rows, vocab, scale, chunk);
    }

    /// <summary>Row-wise log-softmax.</summary>
    public void LogSoftmax(ArrayView<float> logits, ArrayView<float> output, int rows, int vocab)
    {
        Require(logits, (long)rows * vocab, "log-softmax input");
        Require(output, (long)rows * vocab, "log-softmax output");
        if (host is not null)
        {
            host.LogSoftmax(S(logits), S(output), rows, vocab);
            return;
        }

        int chunk = ChunkFor(rows);
        kernels.LogSoftmax.Value(LaunchChunk.Threads(rows, chunk), logits, output, rows, vocab, chunk);
    }

    /// <summary>Row-wise argmax (first index on ties).</summary>
    public void Argmax(ArrayView<float> logits, ArrayView<int> ids, int rows, int vocab)
    {
        Require(logits, (long)rows * vocab, "argmax input");
        Require(ids, rows, "argmax output");
        if (host is not null)
        {
            host.Argmax(S(logits), S(ids), rows, vocab);
            return;
        }

        int chunk = ChunkFor(rows);
        kernels.Argmax.Value(LaunchChunk.Threads(rows, chunk), logits, ids, rows, vocab, chunk);
    }

    /// <summary>Records one greedy decoding step (see <see cref="DecodeKernels.RecordStep"/>).</summary>
    public void RecordStep(ArrayView<int> chosen, ArrayView<int> current, ArrayView<int> outputs, ArrayView<int> finished, int step, int batch, int endId)
    {
        Require(chosen, batch, "decode chosen ids");
        Require(current, batch, "decode current ids");
        Require(outputs, ((long)step + 1) * batch, "decode outputs");
        Require(finished, batch, "decode finished flags");
        if (host is not null)
        {
            RecordStepOnHost(S(chosen), S(current), S(outputs), S(finished), step, batch, endId);
            return;
        }

        int chunk = ChunkFor(batch);
        kernels.RecordStep.Value(LaunchChunk.Threads(batch, chunk), chosen, current, outputs, finished, step, batch, endId, chunk);
    }

    /// <summary>One RMSprop step over a whole parameter buffer.</summary>
    public void RmsProp(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale)
    {
        int count = checked((int)weights.Length);
        Require(gradients, count, "RMSprop gradients");
        Require(meanSquare, count, "RMSprop mean square");
        if (host is not null)
        {
            host.RmsProp(S(weights), S(gradients), S(meanSquare), learningRate, rho, epsilon, gradScale);
            return;
        }

        int chunk = ChunkFor(count);
        kernels.RmsProp.Value(LaunchChunk.Threads(count, chunk), weights, gradients, meanSquare, count, learningRate, rho, epsilon, gradScale, chunk);
    }

    /// <summary>One Adam step over a whole parameter buffer.</summary>
    public void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamStep step)
    {
        int count = checked((int)weights.Length);
        Require(gradients, count, "Adam gradients");
        Require(firstMoment, count, "Adam first moment");
        Require(secondMoment, count, "Adam second moment");
        if (host is not null)
        {
            host.Adam(S(weights), S(gradients), S(firstMoment), S(secondMoment), step);
            return;
        }

        int chunk = ChunkFor(count);
        kernels.Adam.Value(LaunchChunk.Threads(count, chunk), weights, gradients, firstMoment, secondMoment, count, step, chunk);
    }

    /// <summary>
    /// Greedy-decodes a batch in one persistent launch (see <see cref="PersistentDecodeKernels.GreedyDecode"/>) and
    /// returns the number of steps run (fewer than <see cref="GreedyDecodeShape.Steps"/> when every row finished), or
    /// null, launching nothing, when the device cannot keep every group resident (the caller then decodes a step at a
    /// time). The grid is one group a multiprocessor (at most as many as there are tiles or rows to share out), groups
    /// of <see cref="StepGroup"/>, so that every group is resident: the kernel's grid barrier needs it. Waits for the
    /// device. <paramref name="sync"/> holds <see cref="PersistentDecodeKernels.SyncLength"/> ints.
    /// </summary>
    public int? GreedyDecode(
        ArrayView<float> parameters,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        ArrayView<int> sync,
        GreedyDecodeShape shape)
    {
        if (device.Info.MaxSharedMemoryPerGroup < PersistentDecodeKernels.SharedBytes)
        {
            throw new DeviceException($"{device.Info.Name}: the persistent decoder needs {PersistentDecodeKernels.SharedBytes} bytes of shared memory a group, the device has {device.Info.MaxSharedMemoryPerGroup}");
        }

        long state = (long)shape.Batch * shape.Hidden;
        Require(layerTable, 3L * shape.Layers, "decode layer table");
        Require(hidden, 2 * shape.Layers * state, "decode hidden states");
        Require(cells, 2 * shape.Layers * state, "decode cell states");
        Require(logits, (long)shape.Batch * shape.Vocab, "decode logits");
        Require(current, shape.Batch, "decode current ids");
        Require(finished, shape.Batch, "decode finished flags");
        Require(outputs, (long)shape.Steps * shape.Batch, "decode outputs");
        Require(sync, PersistentDecodeKernels.SyncLength, "decode grid barrier");
        if (shape.Vocab < 1 || shape.Layers < 1)
        {
            throw new ShapeException($"decode of {shape.Layers} layers over a vocabulary of {shape.Vocab}");
        }

        RequireInside(parameters, shape.OutputKernelOffset, (long)shape.Hidden * shape.Vocab, "output kernel");
        RequireInside(parameters, shape.OutputBiasOffset, shape.Vocab, "output bias");
        if (shape.OneHot == 0)
        {
            RequireInside(parameters, shape.EmbeddingOffset, (long)shape.Vocab * shape.EmbeddingSize, "embedding");
        }

        if (shape.Batch == 0 || shape.Steps == 0)
        {
            return 0;
        }

        var (units, rows) = StepGroup(shape.Batch, shape.Hidden);
        long rowTiles = (shape.Batch + rows - 1) / rows;
        long work = Math.Max(rowTiles * ((shape.Vocab + (4L * units) - 1) / (4L * units)), shape.Batch);
        var launch = PersistentLaunch(shape.Batch, shape.Hidden, work);
        if (!Resident(kernels.GreedyDecode.Value, launch))
        {
            return null;
        }

        sync.SubView(0, PersistentDecodeKernels.SyncLength).MemSetToZero();
        kernels.GreedyDecode.Value(launch, parameters, layerTable, hidden, cells, logits, current, finished, outputs, sync, shape);
        int run = 0;
        device.Synchronize();
        sync.SubView(PersistentDecodeKernels.StepsRunIndex, 1).CopyToCPU(ref run, 1);
        return run;
    }

    /// <summary><c>data *= factor</c>.</summary>
    public void Scale(ArrayView<float> data, float factor)
    {
        int count = checked((int)data.Length);
        if (host is not null)
        {
            host.Scale(S(data), factor);
            return;
        }

        int chunk = ChunkFor(count);
        kernels.Scale.Value(LaunchChunk.Threads(count, chunk), data, count, factor, chunk);
    }

    /// <summary>
    /// Σ x (or Σ x² when <paramref name="squares"/>) over a view, by a deterministic two-stage reduction on the
    /// device; only the scalar comes back. Waits for the device.
    /// </summary>
    public float Sum(ArrayView<float> input, bool squares = false)
    {
        int count = checked((int)input.Length);
        if (count == 0)
        {
            return 0f;
        }

        if (host is not null)
        {
            return host.Sum(S(input), squares);
        }

        // Stage one: at most MaxPartials threads, each summing a contiguous chunk; stage two: one thread.
        int chunk = Math.Max(ChunkFor(count), (count + MaxPartials - 1) / MaxPartials);
        int threads = LaunchChunk.Threads(count, chunk);
        lock (sumLock)
        {
            var stage1 = partials.Slice(0, MaxPartials);
            var stage2 = partials.Slice(MaxPartials, 1);
            kernels.PartialSums.Value(threads, input, stage1, count, squares ? 1 : 0, chunk);
            kernels.PartialSums.Value(1, stage1, stage2, threads, 0, threads);
            float result = 0f;
            device.Synchronize();
            stage2.CopyToCPU(ref result, 1);
            return result;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Interlocked.Exchange(ref cuBlas, null)?.Dispose();
        noFloats.Dispose();
        noInts.Dispose();
        partials.Dispose();
        gridSync.Dispose();
    }

    /// <summary>
    /// The own kernel for an Auto product on the ILGPU kernels: barrier-free rows on the CPU accelerator; on GPUs the
    /// register-blocked kernel once its tiles (64×64 with 16×16 threads) give at least one group to every
    /// multiprocessor, else the tiled kernel, whose 16×16 tiles make 16 times as many groups. Below that count a
    /// register-blocked grid leaves multiprocessors idle (the recurrent product of batch 64, H 256 is 64×1024: 16 tiles
    /// on an H100's 132 SMs), and more groups beat more work per thread; above it, each thread's 16 products per 8
    /// shared-memory reads (against 1 per 2 in the tiled kernel) win. The rule uses the device's own counts.
    /// </summary>
    internal static MatMulAlgorithm ChooseKernel(MatMulShape shape, DeviceInfo info)
    {
        if (info.Kind == DeviceKind.Cpu)
        {
            return MatMulAlgorithm.Rows;
        }

        var grid = RegisterBlockedGrid(shape, RegisterBlockedGroupFor(info.MaxThreadsPerGroup));
        long tiles = (long)grid.X * grid.Y;
        bool fits = MatMulKernels.RegisterBlockedSharedBytes <= info.MaxSharedMemoryPerGroup;
        return fits && tiles >= Math.Max(1, info.Multiprocessors) ? MatMulAlgorithm.RegisterBlocked : MatMulAlgorithm.Tiled;
    }

    /// <summary>See <see cref="RegisterBlockedGroup"/>.</summary>
    internal static Index2D RegisterBlockedGroupFor(int maxThreadsPerGroup)
    {
        int x = MatMulKernels.MaxBlockedGroupSide;
        int y = MatMulKernels.MaxBlockedGroupSide;
        while (x * y > maxThreadsPerGroup && x * y > 1)
        {
            if (y >= x)
            {
                y /= 2;
            }
            else
            {
                x /= 2;
            }
        }

        return new Index2D(x, y);
    }

    /// <summary>Groups of the register-blocked product: one a (Y·4)×(X·4) tile of C.</summary>
    private static Index2D RegisterBlockedGrid(MatMulShape shape, Index2D group)
    {
        int tileN = group.X * MatMulKernels.RegisterBlock;
        int tileM = group.Y * MatMulKernels.RegisterBlock;
        return new Index2D((shape.N + tileN - 1) / tileN, (shape.M + tileM - 1) / tileM);
    }

    private static Span<T> S<T>(ArrayView<T> view)
        where T : unmanaged => HostViews.AsSpan(view);

    private static void RecordStepOnHost(Span<int> chosen, Span<int> current, Span<int> outputs, Span<int> finished, int step, int batch, int endId)
    {
        for (int b = 0; b < batch; b++)
        {
            int token = finished[b] != 0 ? endId : chosen[b];
            outputs[(step * batch) + b] = token;
            current[b] = token;
            if (token == endId)
            {
                finished[b] = 1;
            }
        }
    }

    /// <summary>The views every step kernel shares: gates or activations [B, 4H], c_prev and c_next [B, H], the mask [B].</summary>
    private static void RequireStepState(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<int>? mask, int batch, int hidden, string gatesName)
    {
        long state = (long)batch * hidden;
        Require(gates, state * LstmGates.Count, gatesName);
        Require(cPrev, state, "LSTM c_prev");
        Require(cNext, state, "LSTM c_next");
        if (mask is { } m)
        {
            Require(m, batch, "LSTM mask");
        }
    }

    /// <summary>
    /// The views both GRU step operations share: gates or activations and gh [B, 3H], h_prev [B, H], the mask [B]; the
    /// sizes must be non-negative and B·H must fit the kernels' int work-item index.
    /// </summary>
    private static void RequireGruStep(
        ArrayView<float> gates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<int>? mask, int batch, int hidden, string gatesName)
    {
        long state = (long)batch * hidden;
        if (batch < 0 || hidden < 0 || state > int.MaxValue)
        {
            throw new ShapeException($"a GRU step of batch {batch} and hidden size {hidden}");
        }

        Require(gates, state * GruGates.Count, gatesName);
        Require(recurrentGates, state * GruGates.Count, "GRU recurrent gates");
        Require(hPrev, state, "GRU h_prev");
        if (mask is { } m)
        {
            Require(m, batch, "GRU mask");
        }
    }

    private static void RequireInside(ArrayView<float> parameters, long offset, long count, string what)
    {
        if (offset < 0 || offset + count > parameters.Length)
        {
            throw new ShapeException($"decode {what}: elements [{offset}, {offset + count}) are outside the parameter buffer of {parameters.Length}");
        }
    }

    private static void RequireRecurrent(PreparedRightOperand recurrent, int hidden, bool transposed)
    {
        int gates = LstmGates.Count * hidden;
        bool matches = transposed
            ? recurrent.K == gates && recurrent.N == hidden && recurrent.Transposed
            : recurrent.K == hidden && recurrent.N == gates && !recurrent.Transposed;
        if (!matches)
        {
            throw new ShapeException($"recurrent kernel prepared as {recurrent.K}x{recurrent.N}{(recurrent.Transposed ? ", transposed" : string.Empty)}; a step of hidden size {hidden} needs U [{hidden}, {gates}]{(transposed ? " as Uᵀ" : string.Empty)}");
        }
    }

    /// <summary>
    /// Launch of a persistent kernel: groups of <see cref="StepGroup"/>, a 1D grid of one group a multiprocessor, but
    /// no more groups than there are gate tiles or <paramref name="otherWork"/> items to share out. Every group is then
    /// resident, as the grid barrier needs (checked against the driver by <see cref="Resident"/>).
    /// </summary>
    private KernelConfig PersistentLaunch(int batch, int hidden, long otherWork)
    {
        var (units, rows) = StepGroup(batch, hidden);
        long tiles = (long)((hidden + units - 1) / units) * ((batch + rows - 1) / rows);
        int groups = (int)Math.Max(1, Math.Min(device.Info.Multiprocessors, Math.Max(tiles, otherWork)));
        return new KernelConfig(new Index2D(groups, 1), new Index2D(units, rows));
    }

    /// <summary>
    /// Whether every group of a persistent launch can be resident at once. The CPU accelerator runs one group a
    /// simulated multiprocessor at a time, and the grid never has more; on a GPU the driver's occupancy estimate for
    /// the compiled kernel must allow a group a multiprocessor (it would not if the kernel needed more registers or
    /// shared memory than one multiprocessor has). Where it does not, the callers take the one-launch-a-step path
    /// instead of a grid barrier that would wait forever.
    /// </summary>
    private bool Resident(Delegate kernel, KernelConfig launch)
    {
        if (device.IsCpu)
        {
            return true;
        }

        // Asked once per kernel and group size: finding the kernel object behind a launcher delegate takes reflection,
        // and the answer cannot change.
        lock (residency)
        {
            var key = (kernel, launch.GroupDim.Size);
            if (!residency.TryGetValue(key, out bool resident))
            {
                try
                {
                    resident = Accelerator.EstimateMaxActiveGroupsPerMultiprocessor(kernel.GetKernel(), launch.GroupDim.Size) >= 1;
                }
                catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
                {
                    resident = false;
                }

                residency[key] = resident;
            }

            return resident;
        }
    }

    private bool UsePersistentSequence(bool? persistent) => persistent ?? (host is null && FusedRecurrentSteps && PersistentSequences);

    private static void RequireSizes(int steps, int batch, int hidden)
    {
        if (steps < 0 || batch < 0 || hidden < 0)
        {
            throw new ShapeException($"an LSTM recurrence of {steps} steps, batch {batch}, hidden size {hidden}");
        }
    }

    private static void RequireSequence(ArrayView<float> gates, ArrayView<float> cells, ArrayView<int>? mask, int steps, int batch, int hidden, string gatesName)
    {
        long state = (long)batch * hidden;
        Require(gates, steps * state * LstmGates.Count, gatesName);
        Require(cells, (steps + 1) * state, "LSTM cell states");
        if (mask is { } m)
        {
            Require(m, (long)steps * batch, "LSTM mask");
        }
    }

    /// <summary>An explicit choice wins (tests run the fused kernels on any accelerator); otherwise the host kernels, or the device's setting.</summary>
    private bool UseFusedStep(bool? fused) => fused ?? (host is null && FusedRecurrentSteps);

    private KernelConfig StepLaunch(int batch, int hidden)
    {
        var (units, rows) = StepGroup(batch, hidden);
        return new KernelConfig(new Index2D((hidden + units - 1) / units, (batch + rows - 1) / rows), new Index2D(units, rows));
    }

    private static void Require<T>(ArrayView<T> view, long needed, string what)
        where T : unmanaged
    {
        if (view.Length < needed)
        {
            throw new ShapeException($"{what}: the view holds {view.Length} elements but the shape needs {needed}");
        }
    }
}
