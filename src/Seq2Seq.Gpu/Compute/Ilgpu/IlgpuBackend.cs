using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Logging;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>
/// The operations as ILGPU kernels (any accelerator: CUDA, OpenCL, or the CPU accelerator for tests): the kernel cache,
/// launch geometry, the choice of matrix-product kernel (or cuBLAS), and the fused and persistent recurrent paths the
/// device's <see cref="KernelPolicy"/> allows. Arguments arrive checked by <see cref="DeviceOps"/>.
/// <para>
/// Split by concern: the matrix products and prepared operands (FP32 and bfloat16) in <c>IlgpuBackend.Products.cs</c>,
/// the recurrent cells, fused steps, persistent recurrences and decoder with their launch geometry in
/// <c>IlgpuBackend.Recurrent.cs</c>, everything else here.
/// </para>
/// </summary>
internal sealed partial class IlgpuBackend : IComputeBackend
{
    /// <summary>Threads a launch aims for on ILGPU's CPU accelerator, where each thread costs about a microsecond.</summary>
    private const int CpuThreadsPerLaunch = 64;

    /// <summary>Threads of the first stage of <see cref="Sum"/>.</summary>
    private const int MaxPartials = 1024;

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

    public void Dispose()
    {
        cuBlas?.Dispose();
        noFloats.Dispose();
        noInts.Dispose();
        partials.Dispose();
        gridSync.Dispose();
    }
}
