using BenchmarkDotNet.Attributes;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Devices;

namespace Seq2Seq.Gpu.Benchmarks;

/// <summary>
/// The fused kernels at the Keras character model's shapes: one LSTM cell step forward and backward (batch 64,
/// H 256), one whole recurrent step (h·U and the cell) as the device runs it by default (one fused kernel on GPUs)
/// and as a product plus the cell kernel, and softmax cross-entropy over all 59 decoder steps (3,776 rows of 93 logits).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public class StepKernelBenchmarks : DeviceBuffersBenchmark, IFlopCount
{
    private const int Batch = 64;
    private const int Hidden = 256;
    private const int Rows = 64 * 59;
    private const int Vocab = 93;

    private DeviceBuffer<float>? gates;
    private DeviceBuffer<float>? c0;
    private DeviceBuffer<float>? h0;
    private DeviceBuffer<float>? c1;
    private DeviceBuffer<float>? h1;
    private DeviceBuffer<float>? dGates;
    private DeviceBuffer<float>? recurrent;
    private Compute.PreparedRightOperand? prepared;
    private DeviceBuffer<float>? logits;
    private DeviceBuffer<int>? targets;
    private DeviceBuffer<float>? rowLoss;
    private DeviceBuffer<float>? rowCorrect;

    /// <summary>Allocates the buffers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var device = Device;
        gates = Track(device.Allocate<float>(Batch * 4 * Hidden, "gates"));
        dGates = Track(device.Allocate<float>(Batch * 4 * Hidden, "gate gradients"));
        c0 = Track(device.Allocate<float>(Batch * Hidden, "c0"));
        h0 = Track(device.Allocate<float>(Batch * Hidden, "h0"));
        c1 = Track(device.Allocate<float>(Batch * Hidden, "c1"));
        h1 = Track(device.Allocate<float>(Batch * Hidden, "h1"));
        recurrent = Track(device.Allocate<float>(Hidden * 4 * Hidden, "recurrent kernel"));
        prepared = Track(device.Ops.PrepareRight(recurrent.View, Hidden, 4 * Hidden, transposed: false));
        logits = Track(device.Allocate<float>(Rows * Vocab, "logits"));
        targets = Track(device.Upload<int>(Enumerable.Range(0, Rows).Select(i => i % Vocab).ToArray(), "targets"));
        rowLoss = Track(device.Allocate<float>(Rows, "row loss"));
        rowCorrect = Track(device.Allocate<float>(Rows, "row correct"));
    }

    /// <summary>Fused LSTM cell forward, one step.</summary>
    [Benchmark]
    public void LstmCellForward()
    {
        Device.Ops.LstmForward(gates!.View, c0!.View, h0!.View, c1!.View, h1!.View, null, Batch, Hidden);
        Device.Synchronize();
    }

    /// <summary>Fused LSTM cell backward, one step.</summary>
    [Benchmark]
    public void LstmCellBackward()
    {
        Device.Ops.LstmBackward(gates!.View, c0!.View, c1!.View, h1!.View, h0!.View, c0.View, dGates!.View, null, Batch, Hidden);
        Device.Synchronize();
    }

    /// <summary>One recurrent step, h·U and the cell, as the device runs it by default (fused into one kernel on GPUs).</summary>
    [Benchmark]
    public void RecurrentStep()
    {
        Device.Ops.LstmForwardStep(gates!.View, prepared!, c0!.View, h0!.View, c1!.View, h1!.View, null, Batch, Hidden);
        Device.Synchronize();
    }

    /// <summary>One recurrent step as a product and the cell kernel (the path before the fused kernel).</summary>
    [Benchmark]
    public void RecurrentStepPerOperation()
    {
        Device.Ops.LstmForwardStep(gates!.View, prepared!, c0!.View, h0!.View, c1!.View, h1!.View, null, Batch, Hidden, fused: false);
        Device.Synchronize();
    }

    /// <summary>Fused softmax cross-entropy with its gradient over every decoder position of a batch.</summary>
    [Benchmark]
    public void SoftmaxCrossEntropy()
    {
        Device.Ops.CrossEntropy(logits!.View, targets!.View, rowLoss!.View, rowCorrect!.View, Rows, Vocab, 1f / Rows);
        Device.Synchronize();
    }

    /// <inheritdoc />
    public double FlopsPerInvoke(string method) => method.StartsWith("RecurrentStep", StringComparison.Ordinal) ? 2.0 * Batch * Hidden * 4 * Hidden : 0;
}
