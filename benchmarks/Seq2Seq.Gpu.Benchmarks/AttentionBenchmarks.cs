using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// The operations a training step with attention adds, at the Keras character model's shapes (59 decoder steps over 16
/// source steps, batch 64, H 256): the four attention operations, the tanh and its gradient over [Tt·B, H], and the
/// products of <c>LuongAttention</c> (values over the Ts·B source rows, the query half of W_c over the Tt·B target rows,
/// and the weight and input gradients of that half). Which of them runs below the products' rate says where the
/// attention's time goes beyond its FLOPs.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class AttentionBenchmarks : DeviceBuffersBenchmark, IFlopCount
{
    private const int Batch = 64;
    private const int Hidden = 256;
    private const int TargetSteps = 59;
    private const int SourceSteps = 16;
    private const int TargetRows = TargetSteps * Batch;
    private const int SourceRows = SourceSteps * Batch;

    private static readonly AttentionShape Shape = new(TargetSteps, SourceSteps, Batch, Hidden);

    private DeviceBuffer<float>? queries;
    private DeviceBuffer<float>? memory;
    private DeviceBuffer<float>? values;
    private DeviceBuffer<float>? weights;
    private DeviceBuffer<float>? scores;
    private DeviceBuffer<float>? state;
    private DeviceBuffer<float>? dState;
    private DeviceBuffer<float>? dMemory;
    private DeviceBuffer<float>? square;
    private DeviceBuffer<float>? dSquare;

    /// <summary>Allocates the buffers with values in the ranges training sees (weights a distribution per row).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = Device;
        var random = new Random(5);
        float[] Uniform(int count, float scale) => Enumerable.Range(0, count).Select(_ => ((float)random.NextDouble() - 0.5f) * scale).ToArray();
        queries = Track(device.Upload(Uniform(TargetRows * Hidden, 1f), "queries"));
        memory = Track(device.Upload(Uniform(SourceRows * Hidden, 1f), "memory"));
        values = Track(device.Upload(Uniform(SourceRows * Hidden, 1f), "values"));
        weights = Track(device.Upload(Enumerable.Repeat(1f / SourceSteps, TargetRows * SourceSteps).ToArray(), "weights"));
        scores = Track(device.Upload(Uniform(TargetRows * SourceSteps, 0.1f), "score gradients"));
        state = Track(device.Upload(Uniform(TargetRows * Hidden, 1.5f), "attentional state"));
        dState = Track(device.Upload(Uniform(TargetRows * Hidden, 0.01f), "state gradient"));
        dMemory = Track(device.Allocate<float>(SourceRows * Hidden, "memory gradient"));
        square = Track(device.Upload(Uniform(Hidden * Hidden, 0.1f), "W_c half"));
        dSquare = Track(device.Allocate<float>(Hidden * Hidden, "W_c half gradient"));
    }

    /// <summary>Scores and their masked softmax over the source positions, every decoder step.</summary>
    [Benchmark]
    public void Weights() => Run(() => Device.Ops.AttentionWeights(queries!.View, memory!.View, null, weights!.View, Shape));

    /// <summary>a·v for every decoder step.</summary>
    [Benchmark]
    public void Context() => Run(() => Device.Ops.AttentionContext(weights!.View, values!.View, state!.View, Shape));

    /// <summary>aᵀ·dP into the source rows (the values' gradient).</summary>
    [Benchmark]
    public void TransposedContext() => Run(() => Device.Ops.AttentionTransposedContext(weights!.View, dState!.View, dMemory!.View, Shape));

    /// <summary>The scores' gradient through a·v and the softmax.</summary>
    [Benchmark]
    public void WeightsBackward() => Run(() => Device.Ops.AttentionWeightsBackward(weights!.View, dState!.View, values!.View, scores!.View, Shape));

    /// <summary>tanh over [Tt·B, H], in place.</summary>
    [Benchmark]
    public void Tanh() => Run(() => Device.Ops.Tanh(state!.View, state.View, (long)TargetRows * Hidden));

    /// <summary>The tanh's gradient over [Tt·B, H].</summary>
    [Benchmark]
    public void TanhBackward() => Run(() => Device.Ops.TanhBackward(state!.View, dState!.View, queries!.View, (long)TargetRows * Hidden));

    /// <summary>The values ē·W_c[0:H] over the source rows.</summary>
    [Benchmark]
    public void ValuesProduct() => Run(() => Device.Ops.MatMul(memory!.View, square!.View, null, values!.View, new MatMulShape(SourceRows, Hidden, Hidden)));

    /// <summary>h·W_c[H:2H] added into the attentional state over the target rows.</summary>
    [Benchmark]
    public void QueryProduct() => Run(() => Device.Ops.MatMul(queries!.View, square!.View, null, state!.View, new MatMulShape(TargetRows, Hidden, Hidden, accumulate: true)));

    /// <summary>dW_c[H:2H] += hᵀ·dP over the target rows.</summary>
    [Benchmark]
    public void QueryWeightGradient() => Run(() => Device.Ops.MatMul(queries!.View, dState!.View, null, dSquare!.View, new MatMulShape(Hidden, Hidden, TargetRows, transposeA: true, accumulate: true)));

    /// <summary>dh = dP·W_c[H:2H]ᵀ over the target rows.</summary>
    [Benchmark]
    public void QueryInputGradient() => Run(() => Device.Ops.MatMul(dState!.View, square!.View, null, queries!.View, new MatMulShape(TargetRows, Hidden, Hidden, transposeB: true)));

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => method switch
    {
        nameof(Weights) or nameof(Context) or nameof(TransposedContext) or nameof(WeightsBackward) => 2.0 * TargetRows * SourceSteps * Hidden,
        nameof(ValuesProduct) => 2.0 * SourceRows * Hidden * Hidden,
        nameof(QueryProduct) or nameof(QueryWeightGradient) or nameof(QueryInputGradient) => 2.0 * TargetRows * Hidden * Hidden,
        _ => 0,
    };

    private void Run(Action operation)
    {
        operation();
        Device.Synchronize();
    }
}
