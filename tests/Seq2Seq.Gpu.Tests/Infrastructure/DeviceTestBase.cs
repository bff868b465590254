using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Base of the suites that run on a device. Each derived suite takes its targets from one list of
/// <see cref="DeviceTargets"/> (CUDA among them: category Gpu, skipped without a GPU), so the same assertions hold everywhere.
/// </summary>
public abstract class DeviceTestBase
{
    private readonly List<IDisposable> owned = [];

    /// <summary>Creates the suite for a target.</summary>
    protected DeviceTestBase(TestTarget target)
    {
        Target = target;
    }

    /// <summary>Where the suite runs.</summary>
    protected TestTarget Target { get; }

    /// <summary>The device (opened once per run and shared).</summary>
    protected ComputeDevice Device => TestDevices.For(Target);

    /// <summary>The target's operations: the device's own, or the host kernels of an instruction-set target.</summary>
    private protected DeviceOps Ops => TestDevices.OpsFor(Target);

    /// <summary>Whether the device runs the ILGPU kernels, so a test may pick one of them (the host kernels have one path an operation).</summary>
    protected bool RunsIlgpuKernels => Device.CpuKernels == CpuKernels.Ilgpu;

    /// <summary>Uploads host data; the buffer is freed after the test.</summary>
    private protected DeviceBuffer<T> Upload<T>(T[] data)
        where T : unmanaged
    {
        var buffer = Device.Upload<T>(data, "test data");
        owned.Add(buffer);
        return buffer;
    }

    /// <summary>Allocates a zeroed buffer; freed after the test.</summary>
    private protected DeviceBuffer<T> Zeros<T>(int length)
        where T : unmanaged
    {
        var buffer = Device.Allocate<T>(length, "test buffer");
        owned.Add(buffer);
        return buffer;
    }

    /// <summary>Frees the test's buffers.</summary>
    [TearDown]
    public void FreeBuffers()
    {
        foreach (var buffer in owned)
        {
            buffer.Dispose();
        }

        owned.Clear();
    }
}
