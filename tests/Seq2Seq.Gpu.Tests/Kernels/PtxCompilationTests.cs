using System.Reflection;
using ILGPU.Runtime.Cuda;
using Seq2Seq.Gpu.Tests.Infrastructure;

namespace Seq2Seq.Gpu.Tests.Kernels;

/// <summary>
/// Compiles every kernel to PTX for sm_90 without a GPU, catching constructs the CPU accelerator tolerates but
/// the CUDA backend rejects. Kernels are found by reflection: every public static method of a <c>*Kernels</c>
/// class; a first parameter of type Index1D means implicitly grouped, otherwise explicitly grouped.
/// </summary>
public sealed class PtxCompilationTests
{
    private static IEnumerable<MethodInfo> KernelMethods() => PtxCompiler.Kernels();

    [Test]
    public void Every_kernel_is_found()
    {
        var names = KernelMethods().Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToList();
        Assert.That(names, Is.SupersetOf(new[]
        {
            "EmbeddingKernels.GatherRows", "EmbeddingKernels.ScatterAddRows", "MatMulKernels.MatMulRows", "MatMulKernels.MatMulTiled",
            "MatMulKernels.MatMulRegisterBlocked", "MatMulKernels.AddBias", "MatMulKernels.ColumnSum", "LstmCellKernels.Forward", "LstmCellKernels.Backward", "GruCellKernels.Forward", "GruCellKernels.Backward", "SoftmaxKernels.CrossEntropyForwardBackward", "SoftmaxKernels.CrossEntropyWarpPerRow",
            "SoftmaxKernels.Argmax", "OptimizerKernels.RmsProp", "OptimizerKernels.Adam", "ReductionKernels.PartialSums", "ReductionKernels.SumPartials",
            "DecodeKernels.RecordStep", "DropoutKernels.Apply",
            "LstmStepKernels.FusedForward", "LstmStepKernels.FusedBackward", "PersistentDecodeKernels.GreedyDecode", "PersistentSequenceKernels.Forward", "PersistentSequenceKernels.Backward",
        }));
    }

    [TestCaseSource(nameof(KernelMethods))]
    public void Kernel_compiles_to_ptx_for_sm90(MethodInfo kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        string ptx = PtxCompiler.Compile(kernel, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80);

        // ILGPU 1.5.3 writes the highest target its PTX ISA 8.0 names (sm_80); the code is what runs on sm_90.
        Assert.That(ptx, Does.Match(@"\.target sm_[89]0").And.Contain(".entry Kernel_" + kernel.Name));
    }
}
