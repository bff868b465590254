using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>
/// Every kernel of <c>Seq2Seq.Gpu.Kernels</c>, compiled and loaded at most once per accelerator, on first use.
/// (Loading a kernel per call is the classic way to make ILGPU a thousand times slower than the CPU.)
/// </summary>
internal sealed class KernelCache
{
    private readonly Accelerator accelerator;
    private int loaded;

    public KernelCache(Accelerator accelerator)
    {
        this.accelerator = accelerator;
        Fp32 = new WeightKernels<Fp32Elements>(this);
        BFloat16 = new WeightKernels<BFloat16Elements>(this);
        GatherRows = Load<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(EmbeddingKernels.GatherRows));
        ScatterAddRows = Load<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>(EmbeddingKernels.ScatterAddRows));
        AddBias = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(MatMulKernels.AddBias));
        ColumnSum = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(MatMulKernels.ColumnSum));
        LstmForward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>(LstmCellKernels.Forward));
        LstmBackward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>(LstmCellKernels.Backward));
        GruForward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>(GruCellKernels.Forward));
        GruBackward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>(GruCellKernels.Backward));
        CrossEntropy = Load<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int>(SoftmaxKernels.CrossEntropyForwardBackward));
        CrossEntropyWarpPerRow = Load<Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>(SoftmaxKernels.CrossEntropyWarpPerRow));
        Argmax = Load<Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, int>(SoftmaxKernels.Argmax));
        RmsProp = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float, float, float, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float, float, float, int>(OptimizerKernels.RmsProp));
        Adam = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamStep, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamStep, int>(OptimizerKernels.Adam));
        Dropout = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, int, DropoutMask, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, DropoutMask, int>(DropoutKernels.Apply));
        RecordStep = Load<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>(DecodeKernels.RecordStep));
        LstmFusedBackward = Load<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>(LstmStepKernels.FusedBackward));
        LstmForwardSequence = Load<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>(PersistentSequenceKernels.Forward));
        LstmBackwardSequence = Load<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>(PersistentSequenceKernels.Backward));
        AttentionWeights = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, AttentionShape, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, AttentionShape, int, int>(AttentionKernels.Weights));
        AttentionContext = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.Context));
        AttentionTransposedContext = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.TransposedContext));
        AttentionWeightsBackward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.WeightsBackward));
        Tanh = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(TanhKernels.Forward));
        TanhBackward = Load<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(TanhKernels.Backward));
        PartialSums = Load<Action<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>(ReductionKernels.PartialSums));
        BFloat16FromSingle = Load<Action<Index1D, ArrayView<float>, ArrayView<ushort>, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<ushort>, int, int>(BFloat16Kernels.FromSingle));
        SumPartials = Load<Action<Index1D, ArrayView<double>, ArrayView<double>, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int>(ReductionKernels.SumPartials));
    }

    /// <summary>The products, the fused step and the persistent decoder over FP32 operands (the weight store).</summary>
    public WeightKernels<Fp32Elements> Fp32 { get; }

    /// <summary>The same kernels over the decoder's bfloat16 weight copies (<c>--precision bf16</c>).</summary>
    public WeightKernels<BFloat16Elements> BFloat16 { get; }

    /// <summary>How many kernels have been compiled and loaded so far.</summary>
    public int LoadedCount => Volatile.Read(ref loaded);

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, AttentionShape, int, int>> AttentionWeights { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>> AttentionContext { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>> AttentionTransposedContext { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>> AttentionWeightsBackward { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>> Tanh { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>> TanhBackward { get; }

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>> GatherRows { get; }

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>> ScatterAddRows { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>> AddBias { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>> ColumnSum { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>> LstmForward { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>> LstmBackward { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>> GruForward { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>> GruBackward { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int>> CrossEntropy { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>> CrossEntropyWarpPerRow { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int>> Argmax { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float, float, float, int>> RmsProp { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamStep, int>> Adam { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, int, DropoutMask, int>> Dropout { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>> LstmFusedBackward { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>> LstmForwardSequence { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>> LstmBackwardSequence { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>> PartialSums { get; }

    public Lazy<Action<Index1D, ArrayView<double>, ArrayView<double>, int>> SumPartials { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<ushort>, int, int>> BFloat16FromSingle { get; }

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>> RecordStep { get; }

    /// <summary>A kernel loaded on first use and counted in <see cref="LoadedCount"/>.</summary>
    public Lazy<T> Load<T>(Func<Accelerator, T> load) => new(
        () =>
        {
            var kernel = load(accelerator);
            Interlocked.Increment(ref loaded);
            return kernel;
        },
        LazyThreadSafetyMode.ExecutionAndPublication);
}
