using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The operations as host SIMD kernels (<see cref="HostKernels"/>) run directly on the buffers of ILGPU's CPU
/// accelerator, which are host memory: same buffers, same meaning, one to two orders of magnitude faster than the
/// ILGPU kernels there. A recurrent step is a packed product and a cell loop; a layer's whole LSTM recurrence runs in
/// bands of batch rows, one band a thread through every step (see <c>HostKernels.LstmForwardSequence</c>).
/// </summary>
internal sealed class HostComputeBackend : IComputeBackend
{
    private readonly HostKernels host;
    private readonly bool cuBlasAsked;

    /// <summary>Runs the operations on <paramref name="host"/>; <paramref name="cuBlasAsked"/> only notes a request that cannot apply here.</summary>
    public HostComputeBackend(HostKernels host, bool cuBlasAsked = false)
    {
        this.host = host;
        this.cuBlasAsked = cuBlasAsked;
    }

    public string Description => $"simd ({host.InstructionSet}, {host.MaxDegreeOfParallelism} threads)";

    public string GemmDescription => $"host {host.InstructionSet} kernels{(cuBlasAsked ? " (cuBLAS unavailable: not a CUDA device)" : string.Empty)}";

    public int LoadedKernelCount => 0;

    public bool OffersPersistentDecode => false;

    public void Gather(ArrayView<int> ids, ArrayView<float> table, ArrayView<float>? bias, ArrayView<float> output, int rows, int width) =>
        host.Gather(S(ids), S(table), Optional(bias), S(output), rows, width);

    public void ScatterAdd(ArrayView<int> ids, ArrayView<float> gradOutput, ArrayView<float> gradTable, int rows, int width) =>
        host.ScatterAdd(S(ids), S(gradOutput), S(gradTable), rows, width);

    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape) =>
        host.MatMul(S(a), S(b), Optional(bias), S(c), shape);

    public PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed, WeightPrecision precision) =>
        precision == WeightPrecision.Bf16
            ? new(b, k, n, transposed, null, host.PackRightBFloat16(S(b), k, n, transposed))
            : new(b, k, n, transposed, host.DeferPackRight(S(b), k, n, transposed));

    public PreparedRightGroup PrepareRightGroup(IReadOnlyList<RightOperandSource> sources, WeightPrecision precision) =>
        PreparedRightGroup.OneByOne(this, sources, precision);

    public void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (b.BFloat16 is { } bfloat16)
        {
            host.MatMul(S(a), bfloat16, Optional(bias), S(c), shape);
            return;
        }

        if (b.Packed is null)
        {
            MatMul(a, b.View, bias, c, shape);
            return;
        }

        host.MatMul(S(a), S(b.View), b.Packed, Optional(bias), S(c), shape);
    }

    public void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate) =>
        host.ColumnSum(S(input), S(output), rows, cols, accumulate);

    public void LstmForward(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation) =>
        host.LstmForward(S(gates), S(cPrev), S(hPrev), S(cNext), S(hNext), Optional(mask), batch, hidden, (int)activation);

    public void LstmBackward(
        ArrayView<float> activations, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dcCarry, ArrayView<float> dGates, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation) =>
        host.LstmBackward(S(activations), S(cPrev), S(cNext), Optional(dhExternal), S(dhCarry), S(dcCarry), S(dGates), Optional(mask), batch, hidden, (int)activation);

    public bool TryLstmForwardStep(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation) => false;

    public bool TryLstmBackwardStep(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float>? dGatesNext,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden, RecurrentActivation activation) => false;

    public bool TryLstmForwardSequence(ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation)
    {
        if (recurrent.Packed is not { } packed || recurrent.BFloat16 is not null)
        {
            return false;
        }

        host.LstmForwardSequence(S(gates), S(recurrent.View), packed, S(cells), S(hidden), Optional(mask), steps, batch, units, (int)activation);
        return true;
    }

    public bool TryLstmBackwardSequence(
        ArrayView<float> activations,
        PreparedRightOperand recurrentTransposed,
        ArrayView<float> cells,
        ArrayView<float>? dExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int steps,
        int batch,
        int hidden, RecurrentActivation activation)
    {
        if (recurrentTransposed.Packed is not { } packed || recurrentTransposed.BFloat16 is not null)
        {
            return false;
        }

        host.LstmBackwardSequence(S(activations), S(recurrentTransposed.View), packed, S(cells), Optional(dExternal), S(dhCarry), S(dcCarry), S(dGates), Optional(mask), steps, batch, hidden, (int)activation);
        return true;
    }

    public void GruForward(ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden) =>
        host.GruForward(S(inputGates), S(recurrentGates), S(hPrev), S(hNext), Optional(mask), batch, hidden);

    public void GruBackward(
        ArrayView<float> activations, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float>? dhExternal, ArrayView<float> dhCarry, ArrayView<float> dInputGates, ArrayView<float> dRecurrentGates, ArrayView<int>? mask, int batch, int hidden) =>
        host.GruBackward(S(activations), S(recurrentGates), S(hPrev), Optional(dhExternal), S(dhCarry), S(dInputGates), S(dRecurrentGates), Optional(mask), batch, hidden);

    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale) =>
        host.CrossEntropy(S(logits), S(targets), S(rowLoss), S(rowCorrect), rows, vocab, scale);

    public void Argmax(ArrayView<float> logits, ArrayView<int> ids, int rows, int vocab) => host.Argmax(S(logits), S(ids), rows, vocab);

    public void RecordStep(ArrayView<int> chosen, ArrayView<int> current, ArrayView<int> outputs, ArrayView<int> finished, int step, int batch, int endId)
    {
        // Few rows and no arithmetic: a plain loop, with the same rule as DecodeKernels.RecordStep.
        var chosenIds = S(chosen);
        var currentIds = S(current);
        var outputIds = S(outputs);
        var done = S(finished);
        for (int b = 0; b < batch; b++)
        {
            int token = done[b] != 0 ? endId : chosenIds[b];
            outputIds[(step * batch) + b] = token;
            currentIds[b] = token;
            if (token == endId)
            {
                done[b] = 1;
            }
        }
    }

    public void RmsProp(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale) =>
        host.RmsProp(S(weights), S(gradients), S(meanSquare), learningRate, rho, epsilon, gradScale);

    public void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamStep step) =>
        host.Adam(S(weights), S(gradients), S(firstMoment), S(secondMoment), step);

    public void Dropout(ArrayView<float> input, ArrayView<float> output, int count, DropoutMask mask) =>
        host.Dropout(S(input), S(output), count, mask);

    public void AttentionWeights(ArrayView<float> queries, ArrayView<float> keys, ArrayView<int>? mask, ArrayView<float> weights, AttentionShape shape) =>
        host.AttentionWeights(S(queries), S(keys), Optional(mask), S(weights), shape);

    public void AttentionContext(ArrayView<float> weights, ArrayView<float> values, ArrayView<float> context, AttentionShape shape) =>
        host.AttentionContext(S(weights), S(values), S(context), shape);

    public void AttentionTransposedContext(ArrayView<float> weights, ArrayView<float> inputs, ArrayView<float> output, AttentionShape shape) =>
        host.AttentionTransposedContext(S(weights), S(inputs), S(output), shape);

    public void AttentionWeightsBackward(ArrayView<float> weights, ArrayView<float> dContext, ArrayView<float> values, ArrayView<float> dScores, AttentionShape shape) =>
        host.AttentionWeightsBackward(S(weights), S(dContext), S(values), S(dScores), shape);

    public void Tanh(ArrayView<float> input, ArrayView<float> output, int count) => host.Tanh(S(input), S(output), count);

    public void TanhBackward(ArrayView<float> output, ArrayView<float> gradOutput, ArrayView<float> gradInput, int count) =>
        host.TanhBackward(S(output), S(gradOutput), S(gradInput), count);

    public double Sum(ArrayView<float> input, bool squares) => host.SumInDouble(S(input), squares);

    public int? TryGreedyDecode(
        ArrayView<float> parameters,
        ArrayView<ushort> matricesBFloat16,
        ArrayView<long> layerTable,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        GreedyDecodeShape shape) => null;

    public void Dispose()
    {
    }

    private static Span<T> S<T>(ArrayView<T> view)
        where T : unmanaged => HostViews.AsSpan(view);

    private static Span<T> Optional<T>(ArrayView<T>? view)
        where T : unmanaged => view is { } v ? HostViews.AsSpan(v) : default;
}
