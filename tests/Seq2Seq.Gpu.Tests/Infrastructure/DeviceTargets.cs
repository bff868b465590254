namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// The lists of targets a device suite runs on, for <see cref="TestFixtureSourceAttribute"/>:
/// <c>[TestFixtureSource(typeof(DeviceTargets), nameof(DeviceTargets.Operations))]</c>. A fixture is named by its
/// target (<c>MatMulKernelTests(CpuNvidia)</c>); the CUDA fixture is in category Gpu and skipped where there is no GPU.
/// </summary>
public static class DeviceTargets
{
    /// <summary>Every device the engine opens: the CPU accelerator in both warp shapes, with the host SIMD kernels, with three simulated multiprocessors and the GPU paths; CUDA.</summary>
    public static IEnumerable<TestFixtureData> All =>
        Of(TestTarget.CpuDefault, TestTarget.CpuNvidia, TestTarget.CpuSimd, TestTarget.CpuGpuPaths, TestTarget.Cuda);

    /// <summary>
    /// Every backend an operation runs on: the ILGPU kernels in every device shape and the host SIMD kernels in every
    /// instruction set (the engine's CPU default is one of them), so one suite an operation checks them all against the reference.
    /// </summary>
    public static IEnumerable<TestFixtureData> Operations =>
        Of(TestTarget.CpuDefault, TestTarget.CpuNvidia, TestTarget.CpuSimdPortable, TestTarget.CpuSimdAvx2, TestTarget.CpuSimdAvx512, TestTarget.CpuGpuPaths, TestTarget.Cuda);

    /// <summary>The devices that run the ILGPU kernels, for suites that pick one of them.</summary>
    public static IEnumerable<TestFixtureData> IlgpuKernels =>
        Of(TestTarget.CpuDefault, TestTarget.CpuNvidia, TestTarget.CpuGpuPaths, TestTarget.Cuda);

    /// <summary>The host SIMD kernels in every instruction set, for the suites of what only they have (threads, span checks).</summary>
    public static IEnumerable<TestFixtureData> HostInstructionSets =>
        Of(TestTarget.CpuSimdPortable, TestTarget.CpuSimdAvx2, TestTarget.CpuSimdAvx512);

    private static IEnumerable<TestFixtureData> Of(params TestTarget[] targets)
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
