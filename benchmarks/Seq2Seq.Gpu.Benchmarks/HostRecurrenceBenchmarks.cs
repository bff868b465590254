using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute.Host;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// A layer's LSTM recurrence on the host kernels at the Keras character model's shapes (batch 64, H 256; the encoder's
/// 16 steps and the decoder's 59), on the best instruction set, on one thread and on all cores: composed step by step
/// (the recurrent product split over the threads, then the cell split over them: two hand-offs a step), and in bands of
/// batch rows, one thread a band through every step (<see cref="HostKernels.LstmForwardSequence"/>), which gives the
/// same bits.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class HostRecurrenceBenchmarks : IFlopCount
{
    private const int Batch = 64;
    private const int Hidden = 256;
    private const int Gates = 4 * Hidden;
    private const int State = Batch * Hidden;
    private float[] projected = [];
    private float[] recurrent = [];
    private float[] gates = [];
    private float[] cells = [];
    private float[] hidden = [];
    private float[] dExternal = [];
    private float[] dGates = [];
    private float[] dh = [];
    private float[] dc = [];
    private HostKernels? kernels;
    private PackedRightOperand? packed;
    private PackedRightOperand? packedTransposed;

    /// <summary>Steps of the recurrence: the encoder's or the decoder's.</summary>
    [Params(16, 59)]
    public int Steps { get; set; } = 59;

    /// <summary>Threads: one, or all cores.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 1;

    /// <summary>One thread and every core.</summary>
    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    /// <summary>Allocates the operands and runs each path once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Random(int count, float scale) => Enumerable.Range(0, count).Select(_ => ((float)random.NextDouble() - 0.5f) * scale).ToArray();
        projected = Random(Steps * State * 4, 1f);
        recurrent = Random(Hidden * Gates, 0.2f);
        dExternal = Random(Steps * State, 0.1f);
        gates = new float[Steps * State * 4];
        cells = new float[(Steps + 1) * State];
        hidden = new float[(Steps + 1) * State];
        dGates = new float[Steps * State * 4];
        dh = new float[State];
        dc = new float[State];
        kernels = new HostKernels(HostKernels.BestSupported, Threads);
        packed = kernels.PackRight(recurrent, Hidden, Gates, transposed: false);
        packedTransposed = kernels.PackRight(recurrent, Gates, Hidden, transposed: true);
        ForwardComposed();
        BackwardComposed();
        ForwardBanded();
        BackwardBanded();
    }

    /// <summary>Frees the packed kernels.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        packed?.Dispose();
        packedTransposed?.Dispose();
    }

    /// <summary>The forward recurrence, a product and a cell a step.</summary>
    [Benchmark(Baseline = true)]
    public void ForwardComposed()
    {
        projected.CopyTo(gates, 0);
        var shape = new MatMulShape(Batch, Gates, Hidden, accumulate: true);
        for (int t = 0; t < Steps; t++)
        {
            var gatesT = gates.AsSpan(t * State * 4, State * 4);
            kernels!.MatMul(hidden.AsSpan(t * State, State), recurrent, packed!, [], gatesT, shape);
            kernels.LstmForward(gatesT, cells.AsSpan(t * State, State), hidden.AsSpan(t * State, State), cells.AsSpan((t + 1) * State, State), hidden.AsSpan((t + 1) * State, State), [], Batch, Hidden);
        }
    }

    /// <summary>The forward recurrence in bands of batch rows.</summary>
    [Benchmark]
    public void ForwardBanded()
    {
        projected.CopyTo(gates, 0);
        kernels!.LstmForwardSequence(gates, recurrent, packed!, cells, hidden, [], Steps, Batch, Hidden);
    }

    /// <summary>The backward recurrence, a product and a backward cell a step.</summary>
    [Benchmark]
    public void BackwardComposed()
    {
        Array.Clear(dh);
        Array.Clear(dc);
        var shape = new MatMulShape(Batch, Hidden, Gates, transposeB: true, accumulate: true);
        for (int t = Steps - 1; t >= 0; t--)
        {
            if (t + 1 < Steps)
            {
                kernels!.MatMul(dGates.AsSpan((t + 1) * State * 4, State * 4), recurrent, packedTransposed!, [], dh, shape);
            }

            kernels!.LstmBackward(
                gates.AsSpan(t * State * 4, State * 4), cells.AsSpan(t * State, State), cells.AsSpan((t + 1) * State, State), dExternal.AsSpan(t * State, State), dh, dc,
                dGates.AsSpan(t * State * 4, State * 4), [], Batch, Hidden);
        }
    }

    /// <summary>The backward recurrence in bands of batch rows.</summary>
    [Benchmark]
    public void BackwardBanded()
    {
        Array.Clear(dh);
        Array.Clear(dc);
        kernels!.LstmBackwardSequence(gates, recurrent, packedTransposed!, cells, dExternal, dh, dc, dGates, [], Steps, Batch, Hidden);
    }

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => method.StartsWith("Forward", StringComparison.Ordinal)
        ? 2.0 * Steps * Batch * Gates * Hidden
        : 2.0 * (Steps - 1) * Batch * Gates * Hidden;
}
