using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// The device the benchmarks run on: <c>SEQ2SEQ_DEVICE</c> = auto (default), cuda, opencl or cpu. BenchmarkDotNet
/// runs each benchmark in a child process, which inherits the variable.
/// </summary>
public static class BenchmarkDevice
{
    /// <summary>Opens the selected device.</summary>
    public static ComputeDevice Open()
    {
        string name = Environment.GetEnvironmentVariable("SEQ2SEQ_DEVICE") ?? "auto";
        var kind = Enum.TryParse<DeviceKind>(name, ignoreCase: true, out var parsed)
            ? parsed
            : throw new ArgumentException($"SEQ2SEQ_DEVICE='{name}': expected auto, cuda, opencl or cpu");
        return ComputeDevice.Open(kind);
    }
}
