namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The lists of targets a device suite runs on, for <see cref="TestFixtureSourceAttribute"/>:
/// <c>[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]</c>. A fixture is named by its
/// target (<c>MatMulKernelTests(CpuNvidia)</c>); the CUDA fixture is in category Gpu and skipped where there is no GPU.
/// </summary>
public static class DeviceTargets
{
    private static readonly TestTarget[] IlgpuShapes = [TestTarget.CpuDefault, TestTarget.CpuNvidia, TestTarget.CpuGpuPaths, TestTarget.Cuda];

    private static readonly TestTarget[] InstructionSets = [TestTarget.CpuSimdPortable, TestTarget.CpuSimdAvx2, TestTarget.CpuSimdAvx512];

    /// <summary>
    /// Every device the engine opens: the CPU accelerator in both warp shapes, with the host SIMD kernels (its default),
    /// with three simulated multiprocessors and the GPU paths; CUDA.
    /// </summary>
    public static IEnumerable<TestFixtureData> All =>
        Of([TestTarget.CpuDefault, TestTarget.CpuNvidia, TestTarget.CpuSimd, TestTarget.CpuGpuPaths, TestTarget.Cuda]);

    /// <summary>
    /// Every backend an operation runs on: the ILGPU kernels on every device shape and the host SIMD kernels in every
    /// instruction set (the engine's CPU default is one of them), so one suite an operation checks them all against the reference.
    /// </summary>
    public static IEnumerable<TestFixtureData> Operations => Of([.. IlgpuShapes, .. InstructionSets]);

    /// <summary>
    /// <see cref="Operations"/> without the three simulated multiprocessors: for operations with no GPU path of their own
    /// whose many launches (every flag of a product, a warp a row) would cost that device seconds; what they compute
    /// there is still checked by the model suites on <see cref="TestTarget.CpuGpuPaths"/>.
    /// </summary>
    public static IEnumerable<TestFixtureData> OperationsOnWarpShapes => Of([.. WarpShapes(), .. InstructionSets]);

    /// <summary>The devices that run the ILGPU kernels, for suites that pick one of them.</summary>
    public static IEnumerable<TestFixtureData> IlgpuKernels => Of(IlgpuShapes);

    /// <summary><see cref="IlgpuKernels"/> without the three simulated multiprocessors (see <see cref="OperationsOnWarpShapes"/>).</summary>
    public static IEnumerable<TestFixtureData> IlgpuWarpShapes => Of(WarpShapes());

    /// <summary>The host SIMD kernels in every instruction set, for the suites of what only they have (threads, blocking, span checks).</summary>
    public static IEnumerable<TestFixtureData> HostInstructionSets => Of(InstructionSets);

    private static TestTarget[] WarpShapes() => [.. IlgpuShapes.Where(t => t != TestTarget.CpuGpuPaths)];

    private static IEnumerable<TestFixtureData> Of(TestTarget[] targets)
    {
        foreach (var target in targets)
        {
            var data = new TestFixtureData(target);
            if (target == TestTarget.Cuda)
            {
                data.Properties.Add(NUnit.Framework.Internal.PropertyNames.Category, "Gpu");
            }

            yield return data;
        }
    }
}
