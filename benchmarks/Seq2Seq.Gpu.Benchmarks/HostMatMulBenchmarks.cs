using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// The host matrix product (<see cref="HostKernels"/>) at the shapes of one training step of the Keras character
/// model (batch 64, H 256, 93 target tokens, 16 + 59 steps; T·B = 3,776 decoder rows), for every instruction set this
/// processor supports, on one thread and on all cores. The per-step products of training read the recurrent kernel
/// packed once per pass: the "(U packed)" cases do the same (the others pack B at every product).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class HostMatMulBenchmarks : IFlopCount
{
    private float[] a = [];
    private float[] b = [];
    private float[] bias = [];
    private float[] c = [];
    private HostKernels? kernels;
    private PackedRightOperand? packedB;

    /// <summary>The cases measured.</summary>
    [Params(
        "64x1024x256 h·U +=",
        "64x1024x256 h·U += (U packed)",
        "3776x93x256 Y·Wout+b",
        "64x256x1024 dz·Uᵀ +=",
        "64x256x1024 dz·Uᵀ += (U packed)",
        "256x1024x3776 hᵀ·dz +=",
        "256x1024x1024 hᵀ·dz += (encoder)",
        "256x93x3776 Yᵀ·dLogits",
        "3776x256x93 dLogits·Woutᵀ")]
    public string Case { get; set; } = "64x1024x256 h·U +=";

    /// <summary>The vector path, by name: <see cref="HostInstructionSet"/> is internal, and a benchmark's parameters are public.</summary>
    [ParamsSource(nameof(InstructionSets))]
    public string Set { get; set; } = HostKernels.BestSupported.ToString();

    /// <summary>Threads: one, or all cores.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>The instruction sets of this processor.</summary>
    public static IEnumerable<string> InstructionSets => Enum.GetValues<HostInstructionSet>().Where(HostKernels.IsSupported).Select(set => set.ToString());

    /// <summary>One thread and every core.</summary>
    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    private MatMulShape Shape => Case switch
    {
        "3776x93x256 Y·Wout+b" => new MatMulShape(3776, 93, 256, hasBias: true),
        "64x256x1024 dz·Uᵀ +=" or "64x256x1024 dz·Uᵀ += (U packed)" => new MatMulShape(64, 256, 1024, transposeB: true, accumulate: true),
        "256x1024x3776 hᵀ·dz +=" => new MatMulShape(256, 1024, 3776, transposeA: true, accumulate: true),
        "256x1024x1024 hᵀ·dz += (encoder)" => new MatMulShape(256, 1024, 1024, transposeA: true, accumulate: true),
        "256x93x3776 Yᵀ·dLogits" => new MatMulShape(256, 93, 3776, transposeA: true),
        "3776x256x93 dLogits·Woutᵀ" => new MatMulShape(3776, 256, 93, transposeB: true),
        _ => new MatMulShape(64, 1024, 256, accumulate: true),
    };

    /// <summary>Allocates the operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        var random = new Random(1);
        a = Enumerable.Range(0, s.M * s.K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        b = Enumerable.Range(0, s.K * s.N).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        bias = s.HasBias != 0 ? new float[s.N] : [];
        c = new float[s.M * s.N];
        kernels = new HostKernels(Enum.Parse<HostInstructionSet>(Set), Threads);
        packedB = Case.EndsWith("(U packed)", StringComparison.Ordinal) ? kernels.PackRight(b, s.K, s.N, s.TransposeB != 0) : null;
        Product();
    }

    /// <summary>Frees the packed operand.</summary>
    [GlobalCleanup]
    public void Cleanup() => packedB?.Dispose();

    /// <summary>One product.</summary>
    [Benchmark]
    public void Product()
    {
        if (packedB is null)
        {
            kernels!.MatMul(a, b, bias, c, Shape);
        }
        else
        {
            kernels!.MatMul(a, b, packedB, bias, c, Shape);
        }
    }

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => 2.0 * Shape.M * Shape.N * Shape.K;
}
