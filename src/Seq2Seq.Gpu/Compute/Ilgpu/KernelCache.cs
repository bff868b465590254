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
        GatherRows = Implicit<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(EmbeddingKernels.GatherRows));
        ScatterAddRows = Implicit<Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, int>(EmbeddingKernels.ScatterAddRows));
        MatMulRows = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape, int>(MatMulKernels.MatMulRows));
        MatMulTiled = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>(MatMulKernels.MatMulTiled));
        MatMulRegisterBlocked = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>(MatMulKernels.MatMulRegisterBlocked));
        AddBias = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(MatMulKernels.AddBias));
        ColumnSum = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(MatMulKernels.ColumnSum));
        LstmForward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>(LstmCellKernels.Forward));
        LstmBackward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int, int>(LstmCellKernels.Backward));
        GruForward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int>(GruCellKernels.Forward));
        GruBackward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int, int, int>(GruCellKernels.Backward));
        CrossEntropy = Implicit<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float, int>(SoftmaxKernels.CrossEntropyForwardBackward));
        CrossEntropyWarpPerRow = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>(SoftmaxKernels.CrossEntropyWarpPerRow));
        Argmax = Implicit<Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, int>(SoftmaxKernels.Argmax));
        RmsProp = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float, float, float, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float, float, float, float, int>(OptimizerKernels.RmsProp));
        Adam = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamStep, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, AdamStep, int>(OptimizerKernels.Adam));
        Dropout = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, int, DropoutMask, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, DropoutMask, int>(DropoutKernels.Apply));
        RecordStep = Implicit<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>(DecodeKernels.RecordStep));
        LstmFusedForward = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>(LstmStepKernels.FusedForward));
        LstmFusedBackward = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>(LstmStepKernels.FusedBackward));
        LstmForwardSequence = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>(PersistentSequenceKernels.Forward));
        LstmBackwardSequence = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>(PersistentSequenceKernels.Backward));
        GreedyDecode = Implicit<Action<KernelConfig, ArrayView<float>, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>(PersistentDecodeKernels.GreedyDecode));
        AttentionWeights = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, AttentionShape, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, AttentionShape, int, int>(AttentionKernels.Weights));
        AttentionContext = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.Context));
        AttentionTransposedContext = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.TransposedContext));
        AttentionWeightsBackward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AttentionShape, int>(AttentionKernels.WeightsBackward));
        Tanh = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(TanhKernels.Forward));
        TanhBackward = Implicit<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(TanhKernels.Backward));
        PartialSums = Implicit<Action<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>(ReductionKernels.PartialSums));
        SumPartials = Implicit<Action<Index1D, ArrayView<double>, ArrayView<double>, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int>(ReductionKernels.SumPartials));
    }

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

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape, int>> MatMulRows { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>> MatMulTiled { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, MatMulShape>> MatMulRegisterBlocked { get; }

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

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>> LstmFusedForward { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>> LstmFusedBackward { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>> LstmForwardSequence { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, LstmSequenceShape>> LstmBackwardSequence { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>> GreedyDecode { get; }

    public Lazy<Action<Index1D, ArrayView<float>, ArrayView<double>, int, int, int>> PartialSums { get; }

    public Lazy<Action<Index1D, ArrayView<double>, ArrayView<double>, int>> SumPartials { get; }

    public Lazy<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>> RecordStep { get; }

    private Lazy<T> Implicit<T>(Func<Accelerator, T> load) => new(
        () =>
        {
            var kernel = load(accelerator);
            Interlocked.Increment(ref loaded);
            return kernel;
        },
        LazyThreadSafetyMode.ExecutionAndPublication);
}
