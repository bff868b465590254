using Microsoft.Extensions.Logging;

namespace Seq2Seq.Gpu.Devices;

/// <summary>How <see cref="ComputeDevice.Open(DeviceKind, DeviceOpenOptions)"/> opens a device.</summary>
public sealed record DeviceOpenOptions
{
    /// <summary>The GPU shape the CPU accelerator simulates, when it is chosen (default: ILGPU's default CPU device).</summary>
    public CpuSimulation CpuSimulation { get; init; } = CpuSimulation.Default;

    /// <summary>Which kernels run the operations; unset choices take the device's defaults (<see cref="KernelPolicy.Resolve"/>).</summary>
    public KernelPolicy Policy { get; init; } = KernelPolicy.Default;

    /// <summary>
    /// Which device of the requested kind, counting from 0 in the order ILGPU lists them (a machine with several
    /// GPUs: <c>--device cuda:1</c>); null takes the first. Only with <see cref="DeviceKind.Cuda"/> or
    /// <see cref="DeviceKind.OpenCL"/>; an index with no such device is a <see cref="Errors.DeviceException"/> listing those present.
    /// </summary>
    public int? Index { get; init; }

    /// <summary>
    /// Where the device reports what it chose and why (Information: the device and the reason; why CUDA was not
    /// used; Warning: cuBLAS asked for but not available). Null: nothing is logged.
    /// </summary>
    public ILogger? Logger { get; init; }
}
