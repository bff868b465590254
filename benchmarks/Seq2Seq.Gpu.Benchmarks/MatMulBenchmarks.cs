using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// Matrix products at the shapes of the Keras character model (batch 64, H 256, 93 target tokens, 59 decoder
/// steps): the recurrent product of one step, its two backward products, and the output projection over all steps.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class MatMulBenchmarks : IFlopCount, IDisposable
{
    private ComputeDevice? device;
    private DeviceBuffer<float>? a;
    private DeviceBuffer<float>? b;
    private DeviceBuffer<float>? c;

    /// <summary>Shape as M x N x K and transposition: the cases measured.</summary>
    [Params("64x1024x256 h·U", "256x1024x64 hᵀ·dz", "64x256x1024 dz·Uᵀ", "3776x93x256 Y·Wout")]
    public string Case { get; set; } = "64x1024x256 h·U";

    private MatMulShape Shape => Case switch
    {
        "256x1024x64 hᵀ·dz" => new MatMulShape(256, 1024, 64, transposeA: true, accumulate: true),
        "64x256x1024 dz·Uᵀ" => new MatMulShape(64, 256, 1024, transposeB: true, accumulate: true),
        "3776x93x256 Y·Wout" => new MatMulShape(3776, 93, 256),
        _ => new MatMulShape(64, 1024, 256, accumulate: true),
    };

    /// <summary>Allocates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkDevice.Open();
        var s = Shape;
        a = device.Allocate<float>((long)s.M * s.K, "A");
        b = device.Allocate<float>((long)s.K * s.N, "B");
        c = device.Allocate<float>((long)s.M * s.N, "C");
        Product();
    }

    /// <summary>One product, synchronised.</summary>
    [Benchmark]
    public void Product()
    {
        device!.Ops.MatMul(a!.View, b!.View, null, c!.View, Shape);
        device.Synchronize();
    }

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => 2.0 * Shape.M * Shape.N * Shape.K;

    /// <summary>Frees the device.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        a?.Dispose();
        b?.Dispose();
        c?.Dispose();
        device?.Dispose();
        GC.SuppressFinalize(this);
    }
}
