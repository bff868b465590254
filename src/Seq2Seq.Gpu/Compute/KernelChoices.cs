using ILGPU;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Kernels;
using static Seq2Seq.Gpu.Compute.OperationShapes;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// Operations with the kernel chosen by the caller instead of the device's policy, for tests and benchmarks that
/// compare kernels on one device: the product kernel, the fused or composed recurrent step, the persistent or
/// step-by-step recurrence, the warp- or thread-per-row cross-entropy. Each checks its shapes as
/// <see cref="DeviceOps"/> does; those that pick an ILGPU kernel need a device that runs the ILGPU kernels.
/// </summary>
internal static class KernelChoices
{
    /// <summary>Test hook: the product with a chosen ILGPU kernel (<see cref="MatMulAlgorithm.Auto"/>: the backend's own choice, cuBLAS included).</summary>
    public static void MatMul(this DeviceOps ops, ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape, MatMulAlgorithm algorithm)
    {
        if (!RequireProduct(a, b.Length, bias, c, shape))
        {
            return;
        }

        if (algorithm == MatMulAlgorithm.Auto)
        {
            ops.MatMul(a, b, bias, c, shape);
        }
        else
        {
            ops.Ilgpu.MatMul(a, b, bias, c, shape, algorithm);
        }
    }

    /// <summary>Test hook: <see cref="DeviceOps.LstmForwardStep(ArrayView{float}, PreparedRightOperand, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{int}?, int, int, RecurrentActivation)"/> with the fused ILGPU kernel or the composed path, whatever the policy.</summary>
    public static void LstmForwardStep(
        this DeviceOps ops,
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, bool fused, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (!RequireForwardStep(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden))
        {
            return;
        }

        if (fused)
        {
            ops.Ilgpu.LstmFusedForward(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        }
        else
        {
            ops.ComposeForwardStep(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        }
    }

    /// <summary>Test hook: <c>DeviceOps.LstmBackwardStep</c> with the fused ILGPU kernel or the composed path, whatever the policy.</summary>
    public static void LstmBackwardStep(
        this DeviceOps ops,
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
        int hidden,
        bool fused, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (!RequireBackwardStepWithProduct(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden))
        {
            return;
        }

        if (fused)
        {
            ops.Ilgpu.LstmFusedBackward(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation);
        }
        else
        {
            ops.ComposeBackwardStep(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation);
        }
    }

    /// <summary>Test hook: the sequence as one persistent ILGPU launch (where its groups can be resident) or step by step, whatever the policy.</summary>
    public static void LstmForwardSequence(
        this DeviceOps ops,
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, bool persistent, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireForwardSequence(gates, recurrent, cells, hidden, mask, steps, batch, units)
            && !(persistent && ops.Ilgpu.LstmPersistentForward(gates, recurrent, cells, hidden, mask, steps, batch, units, activation)))
        {
            ops.ForwardStepByStep(gates, recurrent, cells, hidden, mask, steps, batch, units, activation);
        }
    }

    /// <summary>Test hook: the backward sequence as one persistent ILGPU launch (where possible) or step by step, whatever the policy.</summary>
    public static void LstmBackwardSequence(
        this DeviceOps ops,
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
        int hidden,
        bool persistent, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireBackwardSequence(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden)
            && !(persistent && ops.Ilgpu.LstmPersistentBackward(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation)))
        {
            ops.BackwardStepByStep(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation);
        }
    }

    /// <summary>Test hook: the cross-entropy with the ILGPU warp-per-row or thread-per-row kernel, whatever the device.</summary>
    public static void CrossEntropy(this DeviceOps ops, ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale, bool warpPerRow)
    {
        if (RequireCrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab))
        {
            ops.Ilgpu.CrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab, scale, warpPerRow);
        }
    }
}
