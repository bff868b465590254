using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Logging;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>
/// The operations as ILGPU kernels (any accelerator: CUDA, OpenCL, or the CPU accelerator for tests): the kernel cache,
/// launch geometry, the choice of matrix-product kernel (or cuBLAS), and the fused and persistent recurrent paths the
/// device's <see cref="KernelPolicy"/> allows. Arguments arrive checked by <see cref="DeviceOps"/>.
/// </summary>
internal sealed class IlgpuBackend : IComputeBackend
{
    /// <summary>Threads a launch aims for on ILGPU's CPU accelerator, where each thread costs about a microsecond.</summary>
    private const int CpuThreadsPerLaunch = 64;

    /// <summary>Threads of the first stage of <see cref="Sum"/>.</summary>
    private const int MaxPartials = 1024;

    /// <summary>
    /// Most threads in a group of the step kernels: 256 threads fit one multiprocessor even at the 255 registers a
    /// thread ptxas may give them (64K registers an SM), so a launch is never refused for its registers and a
    /// persistent grid of one group a multiprocessor is always resident.
    /// </summary>
    internal const int MaxStepGroupThreads = 256;

    private readonly ComputeDevice device;
    private readonly KernelPolicy policy;
    private readonly KernelCache kernels;
    private readonly DeviceBuffer<float> noFloats;
    private readonly DeviceBuffer<int> noInts;
    private readonly DeviceBuffer<double> partials;
    private readonly DeviceBuffer<int> gridSync;
    private readonly Dictionary<(Delegate Kernel, int GroupSize), bool> residency = [];
    private readonly Lock sumLock = new();
    private readonly CuBlasGemm? cuBlas;

    public IlgpuBackend(ComputeDevice device, KernelPolicy policy)
    {
        this.device = device;
        this.policy = policy;
        kernels = new KernelCache(device.Accelerator);
        noFloats = device.Allocate<float>(1, "placeholder view");
        noInts = device.Allocate<int>(1, "placeholder view");
        partials = device.Allocate<double>(MaxPartials + 1, "reduction partials");
        gridSync = device.Allocate<int>(PersistentDecodeKernels.SyncLength, "grid barrier");
        GemmDescription = OwnGemm;
        if (policy.Gemm == GpuGemm.CuBlas)
        {
            cuBlas = CuBlasGemm.TryCreate(device.Accelerator, out string status);
            GemmDescription = cuBlas is null ? $"{OwnGemm} (cuBLAS unavailable: {status})" : status;
            if (cuBlas is null)
            {
                EngineLog.CuBlasFallback(device.Logger, OwnGemm, status);
            }
        }
    }

    public string Description =>
        $"{(device.IsCpu ? "ilgpu" : "gpu")} ({Recurrence switch { RecurrentKernels.Persistent => "persistent recurrences", RecurrentKernels.Fused => "fused steps", _ => "per-operation steps" }}, {(OffersPersistentDecode ? "persistent decode" : "per-step decode")}, products: {GemmDescription})";

    public string GemmDescription { get; }

    public bool OffersPersistentDecode => policy.PersistentDecode == true;

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

    /// <summary>Thread group of the register-blocked product on this device (see <see cref="RegisterBlockedGroupFor"/>).</summary>
    public Index2D RegisterBlockedGroup => RegisterBlockedGroupFor(device.Info.MaxThreadsPerGroup);

    /// <summary>Kernels compiled and loaded so far.</summary>
    public int LoadedKernelCount => kernels.LoadedCount;

    private RecurrentKernels Recurrence => policy.Recurrence ?? RecurrentKernels.PerOperation;

    private static string OwnGemm => "own kernels";

    /// <summary>Work items per thread for a launch over <paramref name="count"/> items.</summary>
    public int ChunkFor(int count) =>
        device.IsCpu ? Math.Max(1, (count + CpuThreadsPerLaunch - 1) / CpuThreadsPerLaunch) : 1;

    public void Gather(ArrayView<int> ids, ArrayView<float> table, ArrayView<float>? bias, ArrayView<float> output, int rows, int width)
    {
        int count = rows * width;
        int chunk = ChunkFor(count);
        kernels.GatherRows.Value(LaunchChunk.Threads(count, chunk), ids, table, bias ?? noFloats.View, output, rows, width, bias is null ? 0 : 1, chunk);
    }

    public void ScatterAdd(ArrayView<int> ids, ArrayView<float> gradOutput, ArrayView<float> gradTable, int rows, int width)
    {
        int chunk = ChunkFor(width);
        kernels.ScatterAddRows.Value(LaunchChunk.Threads(width, chunk), ids, gradOutput, gradTable, rows, width, chunk);
    }

    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (cuBlas is not null)
        {
            // cuBLAS has no bias: the product (beta 1 when accumulating), then the bias rows, in stream order.
            cuBlas.Run(a, b, c, shape);
            if (bias is { } lb)
            {
                AddBiasRows(c, lb, shape.M, shape.N);
            }

            return;
        }

        MatMul(a, b, bias, c, shape, ChooseKernel(shape, device.Info));
    }

    /// <summary>The product with a given kernel (tests and benchmarks compare them; cuBLAS is not used).</summary>
    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm) =>
        MatMul(kernels.Fp32, a, new Fp32Elements(b), bias, c, shape, algorithm);

    /// <summary>The product with a bfloat16 right operand (laid out as op(B) says) and a given kernel; tests compare them.</summary>
    public void MatMul(ArrayView<float> a, ArrayView<ushort> bBFloat16, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm) =>
        MatMul(kernels.BFloat16, a, new BFloat16Elements(bBFloat16), bias, c, shape, algorithm);

    /// <summary>Launches the register-blocked product with a given thread group (each side at most 16; tests try several).</summary>
    public void MatMulRegisterBlocked(ArrayView<float> a, ArrayView<float> b, ArrayView<float> bias, ArrayView<float> c, MatMulShape shape, Index2D group) =>
        kernels.Fp32.MatMulRegisterBlocked.Value(new KernelConfig(RegisterBlockedGrid(shape, group), group), a, new Fp32Elements(b), bias, c, shape);

    /// <summary>
    /// FP32 as the view; bfloat16 as a copy on the device, converted there (<see cref="BFloat16Kernels.FromSingle"/>),
    /// laid out as B, owned by the operand.
    /// </summary>
    public PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Fp32)
        {
            return new(b, k, n, transposed, null);
        }

        var copy = device.Allocate<ushort>(Math.Max(b.Length, 1), "bfloat16 weight copy");
        try
        {
            var view = copy.View.SubView(0, b.Length);
            ConvertToBFloat16(b, view);
            return new(b, k, n, transposed, view, copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>FP32: one by one (views). bfloat16: every copy in one device buffer, one after the other, for the persistent decoder.</summary>
    public PreparedRightGroup PrepareRightGroup(IReadOnlyList<RightOperandSource> sources, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Fp32)
        {
            return PreparedRightGroup.OneByOne(this, sources, precision);
        }

        var offsets = new long[sources.Count];
        long total = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            offsets[i] = total;
            total += sources[i].View.Length;
        }

        var copies = device.Allocate<ushort>(Math.Max(total, 1), "bfloat16 decoder weights");
        try
        {
            var operands = new PreparedRightOperand[sources.Count];
            for (int i = 0; i < sources.Count; i++)
            {
                var source = sources[i];
                var view = copies.View.SubView(offsets[i], source.View.Length);
                ConvertToBFloat16(source.View, view);
                operands[i] = new PreparedRightOperand(source.View, source.K, source.N, source.Transposed, view, owner: null);
            }

            return new PreparedRightGroup(operands, copies.View.SubView(0, total), offsets, copies);
        }
        catch
        {
            copies.Dispose();
            throw;
        }
    }

    public void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (b.DeviceBFloat16.Length > 0)
        {
            // cuBLAS has no product of an FP32 A with a bfloat16 B: the engine's own kernels read the copy.
            MatMul(a, b.DeviceBFloat16, bias, c, shape, MatMulAlgorithm.Auto);
            return;
        }

        MatMul(a, b.View, bias, c, shape);
    }

    /// <summary>source [n] to bfloat16 in destination [n], on the device (the bits of the host conversion).</summary>
    public void ConvertToBFloat16(ArrayView<float> source, ArrayView<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"bfloat16 destination of {destination.Length} values is shorter than the {source.Length} values to convert", nameof(destination));
        }

        int count = checked((int)source.Length);
        int chunk = ChunkFor(count);
        kernels.BFloat16FromSingle.Value(LaunchChunk.Threads(count, chunk), source, destination, count, chunk);
    }

    private void MatMul<TB>(WeightKernels<TB> set, ArrayView<float> a, TB b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm)
        where TB : struct, IMatrixElements
    {
        var biasView = bias ?? noFloats.View;
        switch (algorithm == MatMulAlgorithm.Auto ? ChooseKernel(shape, device.Info) : algorithm)
        {
            case MatMulAlgorithm.Tiled:
                int tile = TileSize;
                var grid = new Index2D((shape.N + tile - 1) / tile, (shape.M + tile - 1) / tile);
                set.MatMulTiled.Value(new KernelConfig(grid, new Index2D(tile, tile)), a, b, biasView, c, shape);
                break;
            case MatMulAlgorithm.RegisterBlocked:
                var group = RegisterBlockedGroup;
                set.MatMulRegisterBlocked.Value(new KernelConfig(RegisterBlockedGrid(shape, group), group), a, b, biasView, c, shape);
                break;
            default:
                int count = shape.M * shape.N;
                int chunk = ChunkFor(count);
                set.MatMulRows.Value(LaunchChunk.Threads(count, chunk), a, b, biasView, c, shape, chunk);
                break;
        }
    }

    public void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate)
    {
        int chunk = ChunkFor(cols);
        kernels.ColumnSum.Value(LaunchChunk.Threads(cols, chunk), input, output, rows, cols, accumulate ? 1 : 0, chunk);
    }

    public void LstmForward(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmForward.Value(LaunchChunk.Threads(count, chunk), gates, cPrev, hPrev, cNext, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk, (int)activation);
    }

    public void LstmBackward(
        ArrayView<float> activations, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dcCarry, ArrayView<float> dGates, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.LstmBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk, (int)activation);
    }

    public bool TryLstmForwardStep(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation)
    {
        if (Recurrence == RecurrentKernels.PerOperation)
        {
            return false;
        }

        LstmFusedForward(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        return true;
    }

    /// <summary>The fused forward step, whatever the policy (tests run it on any accelerator).</summary>
    public void LstmFusedForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid) =>
        LstmFusedForward(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, new LstmStepShape(batch, hidden, mask is not null, activation: (int)activation));

    private void LstmFusedForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, LstmStepShape shape)
    {
        var launch = StepLaunch(shape.Batch, shape.Hidden);
        if (recurrent.DeviceBFloat16.Length > 0)
        {
            kernels.BFloat16.LstmFusedForward.Value(launch, gates, new BFloat16Elements(recurrent.DeviceBFloat16), cPrev, hPrev, cNext, hNext, mask ?? noInts.View, shape);
        }
        else
        {
            kernels.Fp32.LstmFusedForward.Value(launch, gates, new Fp32Elements(recurrent.View), cPrev, hPrev, cNext, hNext, mask ?? noInts.View, shape);
        }
    }

    public bool TryLstmBackwardStep(
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
        int hidden, RecurrentActivation activation)
    {
        if (Recurrence == RecurrentKernels.PerOperation)
        {
            return false;
        }

        LstmFusedBackward(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation);
        return true;
    }

    /// <summary>The fused backward step, whatever the policy (tests run it on any accelerator).</summary>
    public void LstmFusedBackward(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid) =>
        kernels.LstmFusedBackward.Value(
            StepLaunch(batch, hidden), activations, recurrentTransposed.View, cPrev, cNext, dhExternal ?? noFloats.View, dhCarry, dcCarry, dGatesNext ?? noFloats.View, dGates,
            mask ?? noInts.View, new LstmStepShape(batch, hidden, mask is not null, dhExternal is not null, dGatesNext is not null, (int)activation));

    public bool TryLstmForwardSequence(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation) =>
        Recurrence == RecurrentKernels.Persistent && LstmPersistentForward(gates, recurrent, cells, hidden, mask, steps, batch, units, activation);

    /// <summary>The persistent forward recurrence whatever the policy; false (nothing launched) where its groups cannot all be resident.</summary>
    public bool LstmPersistentForward(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        var launch = PersistentLaunch(batch, units, 0);
        if (!Resident(kernels.LstmForwardSequence.Value, launch))
        {
            return false;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmForwardSequence.Value(launch, gates, recurrent.View, cells, hidden, mask ?? noInts.View, gridSync.View, new LstmSequenceShape(steps, batch, units, mask is not null, activation: (int)activation));
        return true;
    }

    public bool TryLstmBackwardSequence(
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
        int hidden, RecurrentActivation activation) =>
        Recurrence == RecurrentKernels.Persistent && LstmPersistentBackward(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation);

    /// <summary>The persistent backward recurrence whatever the policy; false (nothing launched) where its groups cannot all be resident.</summary>
    public bool LstmPersistentBackward(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        var launch = PersistentLaunch(batch, hidden, 0);
        if (!Resident(kernels.LstmBackwardSequence.Value, launch))
        {
            return false;
        }

        gridSync.View.MemSetToZero();
        kernels.LstmBackwardSequence.Value(
            launch, activations, recurrentTransposed.View, cells, dExternal ?? noFloats.View, dhCarry, dcCarry, dGates, mask ?? noInts.View, gridSync.View,
            new LstmSequenceShape(steps, batch, hidden, mask is not null, dExternal is not null, (int)activation));
        return true;
    }

    public void GruForward(ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruForward.Value(LaunchChunk.Threads(count, chunk), inputGates, recurrentGates, hPrev, hNext, mask ?? noInts.View, batch, hidden, mask is null ? 0 : 1, chunk);
    }

    public void GruBackward(
        ArrayView<float> activations, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dInputGates, ArrayView<float> dRecurrentGates, ArrayView<int>? mask, int batch, int hidden)
    {
        int count = batch * hidden;
        int chunk = ChunkFor(count);
        kernels.GruBackward.Value(
            LaunchChunk.Threads(count, chunk), activations, recurrentGates, hPrev, dhExternal ?? noFloats.View, dhCarry, dInputGates, dRecurrentGates, mask ?? noInts.View,
            batch, hidden, dhExternal is null ? 0 : 1, mask is null ? 0 : 1, chunk);
    }

    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale) =>
        CrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab, scale, warpPerRow: !device.IsCpu);

    /// <summary>
    /// The cross-entropy with one warp a row (<see cref="SoftmaxKernels.CrossEntropyWarpPerRow"/>, GPUs) or one thread a
    /// row (the CPU accelerator, where a warp's barriers cost more than they save); tests run both anywhere.
    /// </summary>
    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale, bool warpPerRow)
    {
        if (warpPerRow)
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

    public void Argmax(ArrayView<float> logits, ArrayView<int> ids, int rows, int vocab)
    {
        int chunk = ChunkFor(rows);
        kernels.Argmax.Value(LaunchChunk.Threads(rows, chunk), logits, ids, rows, vocab, chunk);
    }

    public void RecordStep(ArrayView<int> chosen, ArrayView<int> current, ArrayView<int> outputs, ArrayView<int> finished, int step, int batch, int endId)
    {
        int chunk = ChunkFor(batch);
        kernels.RecordStep.Value(LaunchChunk.Threads(batch, chunk), chosen, current, outputs, finished, step, batch, endId, chunk);
    }

    public void RmsProp(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale)
    {
        int count = (int)weights.Length;
        int chunk = ChunkFor(count);
        kernels.RmsProp.Value(LaunchChunk.Threads(count, chunk), weights, gradients, meanSquare, count, learningRate, rho, epsilon, gradScale, chunk);
    }

    public void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamStep step)
    {
        int count = (int)weights.Length;
        int chunk = ChunkFor(count);
        kernels.Adam.Value(LaunchChunk.Threads(count, chunk), weights, gradients, firstMoment, secondMoment, count, step, chunk);
    }

    public void Dropout(ArrayView<float> input, ArrayView<float> output, int count, DropoutMask mask)
    {
        int chunk = ChunkFor(count);
        kernels.Dropout.Value(LaunchChunk.Threads(count, chunk), input, output, count, mask, chunk);
    }

    public void AttentionWeights(ArrayView<float> queries, ArrayView<float> keys, ArrayView<int>? mask, ArrayView<float> weights, AttentionShape shape)
    {
        int chunk = ChunkFor(shape.WeightRows);
        kernels.AttentionWeights.Value(LaunchChunk.Threads(shape.WeightRows, chunk), queries, keys, mask ?? noInts.View, weights, shape, mask is null ? 0 : 1, chunk);
    }

    public void AttentionContext(ArrayView<float> weights, ArrayView<float> values, ArrayView<float> context, AttentionShape shape)
    {
        int count = shape.WeightRows * shape.Width;
        int chunk = ChunkFor(count);
        kernels.AttentionContext.Value(LaunchChunk.Threads(count, chunk), weights, values, context, shape, chunk);
    }

    public void AttentionTransposedContext(ArrayView<float> weights, ArrayView<float> inputs, ArrayView<float> output, AttentionShape shape)
    {
        int count = shape.Keys * shape.Batch * shape.Width;
        int chunk = ChunkFor(count);
        kernels.AttentionTransposedContext.Value(LaunchChunk.Threads(count, chunk), weights, inputs, output, shape, chunk);
    }

    public void AttentionWeightsBackward(ArrayView<float> weights, ArrayView<float> dContext, ArrayView<float> values, ArrayView<float> dScores, AttentionShape shape)
    {
        int chunk = ChunkFor(shape.WeightRows);
        kernels.AttentionWeightsBackward.Value(LaunchChunk.Threads(shape.WeightRows, chunk), weights, dContext, values, dScores, shape, chunk);
    }

    public void Tanh(ArrayView<float> input, ArrayView<float> output, int count)
    {
        int chunk = ChunkFor(count);
        kernels.Tanh.Value(LaunchChunk.Threads(count, chunk), input, output, count, chunk);
    }

    public void TanhBackward(ArrayView<float> output, ArrayView<float> gradOutput, ArrayView<float> gradInput, int count)
    {
        int chunk = ChunkFor(count);
        kernels.TanhBackward.Value(LaunchChunk.Threads(count, chunk), output, gradOutput, gradInput, count, chunk);
    }

    public double Sum(ArrayView<float> input, bool squares)
    {
        // Stage one: at most MaxPartials threads, each summing a contiguous chunk in double; stage two: one thread adds
        // the partials in order. Deterministic for a given launch, as the host's fixed chunks are.
        int count = (int)input.Length;
        int chunk = Math.Max(ChunkFor(count), (count + MaxPartials - 1) / MaxPartials);
        int threads = LaunchChunk.Threads(count, chunk);
        lock (sumLock)
        {
            var stage1 = partials.Slice(0, MaxPartials);
            var stage2 = partials.Slice(MaxPartials, 1);
            kernels.PartialSums.Value(threads, input, stage1, count, squares ? 1 : 0, chunk);
            kernels.SumPartials.Value(1, stage1, stage2, threads);
            double result = 0;
            device.Synchronize();
            stage2.CopyToCPU(ref result, 1);
            return result;
        }
    }

    public int? TryGreedyDecode(
        ArrayView<float> parameters,
        ArrayView<ushort> matricesBFloat16,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        GreedyDecodeShape shape)
    {
        if (!OffersPersistentDecode)
        {
            return null;
        }

        var launch = PersistentLaunch(shape.Batch, shape.Hidden, DecodeWork(device.Info, shape));
        bool bfloat16 = matricesBFloat16.Length > 0;
        if (!(bfloat16 ? Resident(kernels.BFloat16.GreedyDecode.Value, launch) : Resident(kernels.Fp32.GreedyDecode.Value, launch)))
        {
            return null;
        }

        var sync = gridSync.View;
        sync.MemSetToZero();
        if (bfloat16)
        {
            kernels.BFloat16.GreedyDecode.Value(launch, parameters, new BFloat16Elements(matricesBFloat16), layerTable, hidden, cells, logits, current, finished, outputs, sync, shape);
        }
        else
        {
            kernels.Fp32.GreedyDecode.Value(launch, parameters, new Fp32Elements(parameters), layerTable, hidden, cells, logits, current, finished, outputs, sync, shape);
        }

        int run = 0;
        device.Synchronize();
        sync.SubView(PersistentDecodeKernels.StepsRunIndex, 1).CopyToCPU(ref run, 1);
        return run;
    }

    /// <summary>
    /// Group shape (units U, rows R) of the fused step and persistent kernels, from the device's properties: U is the
    /// largest power of two up to 32 that fits a group and is not more than twice H; R the largest up to 32 that fits
    /// U·R into a group of at most <see cref="MaxStepGroupThreads"/> threads and is not more than twice B, then halved
    /// while twice the grid would still fit one group a multiprocessor (so small batches spread over the device, large
    /// ones keep U's slice reused by many rows).
    /// </summary>
    public (int Units, int Rows) StepGroup(int batch, int hidden) => StepGroupFor(device.Info, batch, hidden);

    /// <summary><see cref="StepGroup"/> for a device described by <paramref name="info"/> (the residency proof computes it for devices it does not have).</summary>
    internal static (int Units, int Rows) StepGroupFor(DeviceInfo info, int batch, int hidden)
    {
        int maxThreads = Math.Min(info.MaxThreadsPerGroup, MaxStepGroupThreads);
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
        while (rows > 1 && 2 * unitGroups * ((batch + rows - 1) / rows) <= info.Multiprocessors)
        {
            rows /= 2;
        }

        return (units, rows);
    }

    public void Dispose()
    {
        cuBlas?.Dispose();
        noFloats.Dispose();
        noInts.Dispose();
        partials.Dispose();
        gridSync.Dispose();
    }

    /// <summary>
    /// The own kernel for a product on the ILGPU kernels: barrier-free rows on the CPU accelerator; on GPUs the
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

    /// <summary>
    /// Thread group of the register-blocked matrix product (X columns, Y rows of threads, each thread a 4×4 block of
    /// C): from 16×16, the larger side halved until the group fits <paramref name="maxThreadsPerGroup"/> (16×16 on GPUs
    /// and the NVIDIA-shaped CPU accelerator, giving 64×64 tiles; 4×4 on the default CPU accelerator).
    /// </summary>
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

    /// <summary><c>c[m, n] += bias[n]</c> over c [rows, cols] (the bias step after cuBLAS).</summary>
    internal void AddBiasRows(ArrayView<float> c, ArrayView<float> bias, int rows, int cols)
    {
        int count = rows * cols;
        int chunk = ChunkFor(count);
        kernels.AddBias.Value(LaunchChunk.Threads(count, chunk), c, bias, rows, cols, chunk);
    }

    private KernelConfig StepLaunch(int batch, int hidden)
    {
        var (units, rows) = StepGroup(batch, hidden);
        return new KernelConfig(new Index2D((hidden + units - 1) / units, (batch + rows - 1) / rows), new Index2D(units, rows));
    }

    /// <summary>
    /// Launch of a persistent kernel: groups of <see cref="StepGroup"/>, a 1D grid of one group a multiprocessor, but
    /// no more groups than there are gate tiles or <paramref name="otherWork"/> items to share out. Every group is then
    /// resident, as the grid barrier needs (checked against the driver by <see cref="Resident"/>).
    /// </summary>
    private KernelConfig PersistentLaunch(int batch, int hidden, long otherWork)
    {
        var (groups, units, rows) = PersistentGridFor(device.Info, batch, hidden, otherWork);
        return new KernelConfig(new Index2D(groups, 1), new Index2D(units, rows));
    }

    /// <summary>The grid (groups) and group shape of a persistent launch on a device described by <paramref name="info"/>: never more groups than multiprocessors.</summary>
    internal static (int Groups, int Units, int Rows) PersistentGridFor(DeviceInfo info, int batch, int hidden, long otherWork)
    {
        var (units, rows) = StepGroupFor(info, batch, hidden);
        long tiles = (long)((hidden + units - 1) / units) * ((batch + rows - 1) / rows);
        int groups = (int)Math.Max(1, Math.Min(info.Multiprocessors, Math.Max(tiles, otherWork)));
        return (groups, units, rows);
    }

    /// <summary>The work items besides gate tiles that the persistent greedy decoder shares out: logits tiles, and one argmax a row.</summary>
    internal static long DecodeWork(DeviceInfo info, GreedyDecodeShape shape)
    {
        var (units, rows) = StepGroupFor(info, shape.Batch, shape.Hidden);
        long rowTiles = (shape.Batch + rows - 1) / rows;
        return Math.Max(rowTiles * ((shape.Vocab + (4L * units) - 1) / (4L * units)), shape.Batch);
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
                    resident = device.Accelerator.EstimateMaxActiveGroupsPerMultiprocessor(kernel.GetKernel(), launch.GroupDim.Size) >= 1;
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
}
