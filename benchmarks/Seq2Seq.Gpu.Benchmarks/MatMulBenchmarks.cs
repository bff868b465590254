using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// Matrix products at the shapes of the Keras character model (batch 64, H 256, 93 target tokens, 59 decoder
/// steps): the recurrent product of one step, its two backward products, the output projection over all steps and
/// its input gradient, and an input projection of every step (E = 256), with each GPU kernel forced in turn: what
/// Auto picks, the tiled kernel, the register-blocked kernel, and cuBLAS (CUDA only; fails where it cannot be loaded).
/// On the CPU accelerator only Auto runs (the host kernels; the barrier kernels take seconds a product there).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class MatMulBenchmarks : IFlopCount, IDisposable
{
    private ComputeDevice? device;
    private DeviceBuffer<float>? a;
    private DeviceBuffer<float>? b;
    private DeviceBuffer<float>? c;

    /// <summary>Shape as M x N x K and transposition: the cases measured.</summary>
    [Params("64x1024x256 h·U", "256x1024x64 hᵀ·dz", "64x256x1024 dz·Uᵀ", "3776x93x256 Y·Wout", "3776x256x93 dLogits·Woutᵀ", "3776x1024x256 X·W")]
    public string Case { get; set; } = "64x1024x256 h·U";

    /// <summary>Which kernel computes the product: auto, tiled, register-blocked or cublas.</summary>
    [ParamsSource(nameof(Kernels))]
    public string Kernel { get; set; } = "auto";

    /// <summary>The kernels measured on the selected device: every one on a GPU, cuBLAS on CUDA only, Auto on the CPU accelerator.</summary>
    public static IEnumerable<string> Kernels => BenchmarkDevice.Resolve() switch
    {
        DeviceKind.Cuda => ["auto", "tiled", "register-blocked", "cublas"],
        DeviceKind.OpenCL => ["auto", "tiled", "register-blocked"],
        _ => ["auto"],
    };

    private MatMulShape Shape => Case switch
    {
        "256x1024x64 hᵀ·dz" => new MatMulShape(256, 1024, 64, transposeA: true, accumulate: true),
        "64x256x1024 dz·Uᵀ" => new MatMulShape(64, 256, 1024, transposeB: true, accumulate: true),
        "3776x93x256 Y·Wout" => new MatMulShape(3776, 93, 256),
        "3776x256x93 dLogits·Woutᵀ" => new MatMulShape(3776, 256, 93, transposeB: true),
        "3776x1024x256 X·W" => new MatMulShape(3776, 1024, 256),
        _ => new MatMulShape(64, 1024, 256, accumulate: true),
    };

    private MatMulAlgorithm Algorithm => Kernel switch
    {
        "tiled" => MatMulAlgorithm.Tiled,
        "register-blocked" => MatMulAlgorithm.RegisterBlocked,
        _ => MatMulAlgorithm.Auto,
    };

    /// <summary>Allocates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        device = BenchmarkDevice.Open(new KernelPolicy { Gemm = Kernel == "cublas" ? GpuGemm.CuBlas : GpuGemm.Own });
        if (Kernel == "cublas" && !device.Ops.GemmBackend.StartsWith("cublas", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(device.Ops.GemmBackend);
        }

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
        device!.Ops.MatMul(a!.View, b!.View, null, c!.View, Shape, Algorithm);
        device!.Synchronize();
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
