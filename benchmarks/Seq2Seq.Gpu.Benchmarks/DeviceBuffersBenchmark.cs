using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>A benchmark over buffers on the benchmark device: opens it, keeps what it allocates, and frees both at cleanup.</summary>
public abstract class DeviceBuffersBenchmark : IDisposable
{
    private readonly List<IDisposable> buffers = [];
    private ComputeDevice? device;

    /// <summary>The device, opened by the first call.</summary>
    internal ComputeDevice Device => device ??= BenchmarkDevice.Open();

    /// <summary>Frees the buffers and the device.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var buffer in buffers)
        {
            buffer.Dispose();
        }

        buffers.Clear();
        device?.Dispose();
        device = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Keeps <paramref name="buffer"/> to free at cleanup.</summary>
    private protected T Track<T>(T buffer)
        where T : IDisposable
    {
        buffers.Add(buffer);
        return buffer;
    }
}
