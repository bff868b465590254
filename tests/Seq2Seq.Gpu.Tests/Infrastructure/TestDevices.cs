using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Devices shared by the whole test run (opening one and compiling its kernels is the slow part), disposed once at
/// the end by <see cref="TestRunTeardown"/>.
/// </summary>
public static class TestDevices
{
    private static readonly Lazy<ComputeDevice> CpuDefault = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Ilgpu));
    private static readonly Lazy<ComputeDevice> CpuNvidia = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Nvidia, CpuKernels.Ilgpu));
    private static readonly Lazy<ComputeDevice> CpuSimd = new(() => ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.Default, CpuKernels.Simd));
    private static readonly Lazy<ComputeDevice> CpuGpuPaths = new(OpenWithGpuPaths);
    private static readonly Lazy<ComputeDevice?> Cuda = new(OpenCudaOrNull);

    /// <summary>The CPU accelerator as the engine opens it by default: host SIMD kernels on the accelerator's buffers.</summary>
    public static ComputeDevice Cpu() => CpuSimd.Value;

    /// <summary>The CPU accelerator running the ILGPU kernels, in the given warp configuration.</summary>
    public static ComputeDevice CpuIlgpu(CpuSimulation simulation = CpuSimulation.Default) =>
        simulation == CpuSimulation.Nvidia ? CpuNvidia.Value : CpuDefault.Value;

    /// <summary>The device a test suite named by <paramref name="target"/> runs on; CUDA suites are skipped where there is no GPU.</summary>
    public static ComputeDevice For(TestTarget target) => target switch
    {
        TestTarget.CpuDefault => CpuIlgpu(CpuSimulation.Default),
        TestTarget.CpuNvidia => CpuIlgpu(CpuSimulation.Nvidia),
        TestTarget.CpuSimd => CpuSimd.Value,
        TestTarget.CpuGpuPaths => CpuGpuPaths.Value,
        _ => Cuda.Value ?? IgnoreNoGpu(),
    };

    internal static void DisposeAll()
    {
        if (CpuDefault.IsValueCreated)
        {
            CpuDefault.Value.Dispose();
        }

        if (CpuNvidia.IsValueCreated)
        {
            CpuNvidia.Value.Dispose();
        }

        if (CpuSimd.IsValueCreated)
        {
            CpuSimd.Value.Dispose();
        }

        if (CpuGpuPaths.IsValueCreated)
        {
            CpuGpuPaths.Value.Dispose();
        }

        if (Cuda.IsValueCreated)
        {
            Cuda.Value?.Dispose();
        }
    }

    private static ComputeDevice IgnoreNoGpu()
    {
        Assert.Ignore("no CUDA device on this machine");
        throw new InvalidOperationException("unreachable");
    }

    private static ComputeDevice OpenWithGpuPaths()
    {
        var device = ComputeDevice.Open(DeviceKind.Cpu, CpuSimulation.NvidiaMultiprocessors, CpuKernels.Ilgpu);
        device.Ops.FusedRecurrentSteps = true;
        device.Ops.PersistentSequences = true;
        device.Ops.PersistentDecode = true;
        return device;
    }

    private static ComputeDevice? OpenCudaOrNull()
    {
        try
        {
            return ComputeDevice.Open(DeviceKind.Cuda);
        }
        catch (Seq2Seq.Gpu.Errors.DeviceException)
        {
            return null;
        }
    }
}
