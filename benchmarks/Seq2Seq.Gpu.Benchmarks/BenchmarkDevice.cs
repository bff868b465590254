using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// The device the benchmarks run on: <c>SEQ2SEQ_DEVICE</c> = auto (default), cuda, opencl or cpu. BenchmarkDotNet
/// runs each benchmark in a child process, which inherits the variable.
/// </summary>
public static class BenchmarkDevice
{
    /// <summary>Opens the selected device.</summary>
    public static ComputeDevice Open() => ComputeDevice.Open(Selected());

    /// <summary>The device of <c>SEQ2SEQ_DEVICE</c>, opened with a kernel policy.</summary>
    public static ComputeDevice Open(KernelPolicy policy) => ComputeDevice.Open(Selected(), CpuSimulation.Default, policy);

    /// <summary>
    /// The kind of device <see cref="Open"/> will open, without opening it: the named kind, or for auto the best kind
    /// present (CUDA, then OpenCL, then the CPU accelerator).
    /// </summary>
    public static DeviceKind Resolve()
    {
        var kind = Selected();
        if (kind != DeviceKind.Auto)
        {
            return kind;
        }

        var present = ComputeDevice.ListAvailable().Select(d => d.Kind).ToList();
        return present.Contains(DeviceKind.Cuda) ? DeviceKind.Cuda : present.Contains(DeviceKind.OpenCL) ? DeviceKind.OpenCL : DeviceKind.Cpu;
    }

    private static DeviceKind Selected()
    {
        string name = Environment.GetEnvironmentVariable("SEQ2SEQ_DEVICE") ?? "auto";
        return Enum.TryParse<DeviceKind>(name, ignoreCase: true, out var parsed)
            ? parsed
            : throw new ArgumentException($"SEQ2SEQ_DEVICE='{name}': expected auto, cuda, opencl or cpu");
    }
}
