using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Ilgpu;

/// <summary>
/// The kernels that read a weight operand through <see cref="IMatrixElements"/>, loaded for one storage type
/// <typeparamref name="TB"/>: <see cref="Fp32Elements"/> for everything the engine does in FP32, and
/// <see cref="BFloat16Elements"/> for the decoder's products under <c>--precision bf16</c>. Each is compiled at
/// most once per accelerator, on first use, through the owning <see cref="KernelCache"/>.
/// </summary>
/// <typeparam name="TB">How the weight operand is stored.</typeparam>
internal sealed class WeightKernels<TB>
    where TB : struct, IMatrixElements
{
    public WeightKernels(KernelCache cache)
    {
        MatMulRows = cache.Load<Action<Index1D, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape, int>>(
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape, int>(MatMulKernels.MatMulRows));
        MatMulTiled = cache.Load<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>(MatMulKernels.MatMulTiled));
        MatMulRegisterBlocked = cache.Load<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>(MatMulKernels.MatMulRegisterBlocked));
        LstmFusedForward = cache.Load<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>(LstmStepKernels.FusedForward));
        GreedyDecode = cache.Load<Action<KernelConfig, ArrayView<float>, TB, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>>(
            a => a.LoadStreamKernel<ArrayView<float>, TB, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>(PersistentDecodeKernels.GreedyDecode));
    }

    public Lazy<Action<Index1D, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape, int>> MatMulRows { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>> MatMulTiled { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, MatMulShape>> MatMulRegisterBlocked { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, TB, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, LstmStepShape>> LstmFusedForward { get; }

    public Lazy<Action<KernelConfig, ArrayView<float>, TB, ArrayView<long>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GreedyDecodeShape>> GreedyDecode { get; }
}
