using ILGPU;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Compute.Ilgpu;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;
using static Seq2Seq.Gpu.Compute.OperationShapes;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// The device operations of the engine, for one device: every call checks its views against the shape it is given (a
/// mismatch is a <see cref="ShapeException"/>, never an out-of-bounds kernel) and forwards to the device's backend,
/// chosen once by its <see cref="KernelPolicy"/>: the ILGPU kernels, or on the CPU accelerator the host SIMD kernels
/// on the same buffers. Where a backend has no fused path for a recurrent step or sequence, it is composed here from
/// the plain operations, so both backends mean the same thing by every operation. Launches are asynchronous on the
/// device's stream; only <see cref="Sum"/> and <see cref="GreedyDecode"/> wait, because they return to the host.
/// </summary>
internal sealed class DeviceOps : IDisposable
{
    private readonly IComputeBackend backend;

    internal DeviceOps(IComputeBackend backend)
    {
        this.backend = backend;
    }

    /// <summary>What runs the operations: <c>gpu (…)</c> or <c>ilgpu (…)</c> (ILGPU kernels) or <c>simd (…)</c> (host kernels).</summary>
    public string Backend => backend.Description;

    /// <summary>What computes the matrix products: <c>own kernels</c>, <c>cublas 12.x.y</c>, <c>own kernels (cuBLAS unavailable: why)</c>, or the host kernels.</summary>
    public string GemmBackend => backend.GemmDescription;

    /// <summary>ILGPU kernels compiled and loaded so far on this device (each at most once; none on the host kernels).</summary>
    public int LoadedKernelCount => backend.LoadedKernelCount;

    /// <summary>Whether <see cref="GreedyDecode"/> can decode a batch in one launch on this device.</summary>
    public bool OffersPersistentDecode => backend.OffersPersistentDecode;

    /// <summary>The ILGPU backend, for tests and benchmarks that pick a kernel themselves; an error on the host kernels.</summary>
    internal IlgpuBackend Ilgpu => backend as IlgpuBackend
        ?? throw new InvalidOperationException($"this operation picks an ILGPU kernel, but the device runs {backend.Description}; open it with CpuKernels.Ilgpu");

    /// <summary><c>output[n, :] = table[ids[n], :] (+ bias)</c>: embedding lookup, or the one-hot input projection.</summary>
    public void Gather(ArrayView<int> ids, ArrayView<float> table, ArrayView<float>? bias, ArrayView<float> output, int rows, int width, int tableRows)
    {
        Require(ids, rows, "gather ids");
        Require(table, (long)tableRows * width, "gather table");
        Require(output, (long)rows * width, "gather output");
        if (bias is { } b)
        {
            Require(b, width, "gather bias");
        }

        if ((long)rows * width > 0)
        {
            backend.Gather(ids, table, bias, output, rows, width);
        }
    }

    /// <summary><c>gradTable[ids[n], :] += gradOutput[n, :]</c>, correct for repeated ids.</summary>
    public void ScatterAdd(ArrayView<int> ids, ArrayView<float> gradOutput, ArrayView<float> gradTable, int rows, int width, int tableRows)
    {
        Require(ids, rows, "scatter ids");
        Require(gradOutput, (long)rows * width, "scatter gradient");
        Require(gradTable, (long)tableRows * width, "scatter table gradient");
        if ((long)rows * width > 0)
        {
            backend.ScatterAdd(ids, gradOutput, gradTable, rows, width);
        }
    }

    /// <summary><c>C (=|+=) op(A)·op(B) (+ bias)</c> as described by <paramref name="shape"/>.</summary>
    public void MatMul(ArrayView<float> a, ArrayView<float> b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (RequireProduct(a, b.Length, bias, c, shape))
        {
            backend.MatMul(a, b, bias, c, shape);
        }
    }


    /// <summary>
    /// Prepares op(B) [K, N] (stored [K, N], or [N, K] when <paramref name="transposed"/>) for many products in one
    /// pass; with <see cref="WeightPrecision.Bf16"/>, as a bfloat16 copy whose products accumulate in FP32.
    /// </summary>
    public PreparedRightOperand PrepareRight(ArrayView<float> b, int k, int n, bool transposed, WeightPrecision precision = WeightPrecision.Fp32)
    {
        if (k < 0 || n < 0)
        {
            throw new ShapeException($"prepared right operand of negative size ({k}, {n})");
        }

        Require(b, (long)k * n, "prepared right operand");
        RequirePrecision(precision);
        return backend.PrepareRight(b, k, n, transposed, precision);
    }

    /// <summary>
    /// Prepares several operands that one pass reads together (see <see cref="PrepareRight"/>), in the order given;
    /// in <see cref="WeightPrecision.Bf16"/> on the ILGPU kernels their copies share one buffer that the persistent
    /// decoder reads by offset.
    /// </summary>
    public PreparedRightGroup PrepareRightGroup(IReadOnlyList<RightOperandSource> sources, WeightPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(sources);
        foreach (var source in sources)
        {
            if (source.K < 0 || source.N < 0)
            {
                throw new ShapeException($"prepared right operand of negative size ({source.K}, {source.N})");
            }

            Require(source.View, (long)source.K * source.N, "prepared right operand");
        }

        RequirePrecision(precision);
        return backend.PrepareRightGroup(sources, precision);
    }

    private static void RequireMatrix(ArrayView<ushort> matricesBFloat16, ArrayView<float> parameters, long offset, long count, string what)
    {
        if (matricesBFloat16.Length > 0)
        {
            RequireInside(matricesBFloat16, offset, count, what, "the bfloat16 matrices");
        }
        else
        {
            RequireInside(parameters, offset, count, what);
        }
    }

    private static void RequirePrecision(WeightPrecision precision)
    {
        if (!Enum.IsDefined(precision))
        {
            throw new ArgumentOutOfRangeException(nameof(precision), precision, $"expected {WeightPrecisions.Expected}");
        }
    }

    /// <summary>The product with a prepared right operand; the shape's K, N and transposition must be the operand's.</summary>
    public void MatMul(ArrayView<float> a, PreparedRightOperand b, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        ArgumentNullException.ThrowIfNull(b);
        ObjectDisposedException.ThrowIf(b.IsDisposed, b);
        if (b.K != shape.K || b.N != shape.N || b.Transposed != (shape.TransposeB != 0))
        {
            throw new ShapeException($"{shape}: the prepared right operand is {b.K}x{b.N}{(b.Transposed ? ", transposed" : string.Empty)}");
        }

        if (RequireProduct(a, b.View.Length, bias, c, shape))
        {
            backend.MatMul(a, b, bias, c, shape);
        }
    }

    /// <summary><c>output[j] (=|+=) Σ_n input[n, j]</c> (bias gradients).</summary>
    public void ColumnSum(ArrayView<float> input, ArrayView<float> output, int rows, int cols, bool accumulate)
    {
        RequireNonNegative(rows, cols, "column sum");
        Require(input, (long)rows * cols, "column-sum input");
        Require(output, cols, "column-sum output");
        if (cols > 0)
        {
            backend.ColumnSum(input, output, rows, cols, accumulate);
        }
    }

    /// <summary>One LSTM cell step (see <see cref="LstmCellKernels.Forward"/>); <paramref name="mask"/> [B] or null.</summary>
    public void LstmForward(
        ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        RequireStep(gates, cPrev, cNext, mask, batch, hidden, "LSTM gates");
        Require(hPrev, (long)batch * hidden, "LSTM h_prev");
        Require(hNext, (long)batch * hidden, "LSTM h_next");
        if ((long)batch * hidden > 0)
        {
            backend.LstmForward(gates, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        }
    }

    /// <summary>One LSTM backward cell step (see <see cref="LstmCellKernels.Backward"/>).</summary>
    public void LstmBackward(
        ArrayView<float> activations,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        RequireBackwardStep(activations, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGates, mask, batch, hidden);
        if ((long)batch * hidden > 0)
        {
            backend.LstmBackward(activations, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGates, mask, batch, hidden, activation);
        }
    }

    /// <summary>
    /// One recurrent step: <c>gates += hPrev·U</c>, then the cell (see <see cref="LstmCellKernels.Forward"/>): one fused
    /// launch where the backend has one (GPUs), a product and the cell otherwise. <paramref name="recurrent"/> is U
    /// [H, 4H] from <see cref="PrepareRight"/> (K = H, N = 4H). hPrev and hNext must not overlap (the fused kernel's
    /// groups read all of hPrev while others write hNext).
    /// </summary>
    public void LstmForwardStep(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireForwardStep(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden)
            && !backend.TryLstmForwardStep(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation))
        {
            ComposeForwardStep(gates, recurrent, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
        }
    }


    /// <summary>
    /// One recurrent backward step: <c>dhCarry += dGatesNext·Uᵀ</c> (step t+1's gate gradients; null for the last
    /// step), then the backward cell (see <see cref="LstmCellKernels.Backward"/>); one fused launch where the backend
    /// has one. <paramref name="recurrentTransposed"/> is U [H, 4H] prepared as Uᵀ (K = 4H, N = H, transposed). The
    /// caller adds <c>dGates_0·Uᵀ</c> after the first step.
    /// </summary>
    public void LstmBackwardStep(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireBackwardStepWithProduct(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden)
            && !backend.TryLstmBackwardStep(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation))
        {
            ComposeBackwardStep(activations, recurrentTransposed, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGatesNext, dGates, mask, batch, hidden, activation);
        }
    }


    /// <summary>
    /// A layer's recurrence over T steps: <c>gates_t += h_t·U</c> and the cell, for t = 0..T-1: one persistent launch
    /// where the backend has one (CUDA), otherwise <see cref="LstmForwardStep(ArrayView{float}, PreparedRightOperand, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{int}?, int, int, RecurrentActivation)"/>
    /// per step. Views: gates [T, B, 4H] (in: x·W + b; out: activations), cells and hidden [T+1, B, H] (slot 0: the
    /// initial state), mask [T, B] or null, with H = <paramref name="units"/>; <paramref name="recurrent"/> as for a step.
    /// </summary>
    public void LstmForwardSequence(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireForwardSequence(gates, recurrent, cells, hidden, mask, steps, batch, units)
            && !backend.TryLstmForwardSequence(gates, recurrent, cells, hidden, mask, steps, batch, units, activation))
        {
            ForwardStepByStep(gates, recurrent, cells, hidden, mask, steps, batch, units, activation);
        }
    }


    /// <summary>
    /// A layer's backward recurrence over T steps (t = T-1..0): <c>dhCarry += dGates_{t+1}·Uᵀ</c> and the backward cell:
    /// one persistent launch where the backend has one, otherwise <c>LstmBackwardStep</c> per step. The caller
    /// adds <c>dGates_0·Uᵀ</c> afterwards. Views: activations and dGates [T, B, 4H], cells [T+1, B, H], dExternal
    /// [T, B, H] or null, dhCarry and dcCarry [B, H], mask [T, B] or null; <paramref name="recurrentTransposed"/> as for a step.
    /// </summary>
    public void LstmBackwardSequence(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (RequireBackwardSequence(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden)
            && !backend.TryLstmBackwardSequence(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation))
        {
            BackwardStepByStep(activations, recurrentTransposed, cells, dExternal, dhCarry, dcCarry, dGates, mask, steps, batch, hidden, activation);
        }
    }


    /// <summary>
    /// One GRU cell step (see <see cref="GruCellKernels.Forward"/>): inputGates [B, 3H] in: x·W + b_input, out: the
    /// activations r, z, n; recurrentGates [B, 3H] (h_prev·U + b_recurrent, kept for the backward pass) and hPrev [B, H]
    /// read; hNext [B, H] assigned; <paramref name="mask"/> [B] or null.
    /// </summary>
    public void GruForward(
        ArrayView<float> inputGates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        RequireGruStep(inputGates, recurrentGates, hPrev, mask, batch, hidden, "GRU input gates");
        Require(hNext, (long)batch * hidden, "GRU h_next");
        if ((long)batch * hidden > 0)
        {
            backend.GruForward(inputGates, recurrentGates, hPrev, hNext, mask, batch, hidden);
        }
    }

    /// <summary>
    /// One GRU backward cell step (see <see cref="GruCellKernels.Backward"/>): activations (r, z, n) and recurrentGates
    /// [B, 3H], hPrev [B, H] read; <paramref name="dhExternal"/> [B, H] or null; dhCarry [B, H] in: the gradient into h'
    /// from step t+1, out: the part of dh_prev that bypasses U (the caller adds dRecurrentGates·Uᵀ); dInputGates and
    /// dRecurrentGates [B, 3H] assigned; <paramref name="mask"/> [B] or null.
    /// </summary>
    public void GruBackward(
        ArrayView<float> activations,
        ArrayView<float> recurrentGates,
        ArrayView<float> hPrev,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dInputGates,
        ArrayView<float> dRecurrentGates,
        ArrayView<int>? mask,
        int batch,
        int hidden)
    {
        RequireGruStep(activations, recurrentGates, hPrev, mask, batch, hidden, "GRU activations");
        long state = (long)batch * hidden;
        Require(dhCarry, state, "GRU dh carry");
        Require(dInputGates, state * GruGates.Count, "GRU input gate gradients");
        Require(dRecurrentGates, state * GruGates.Count, "GRU recurrent gate gradients");
        if (dhExternal is { } dx)
        {
            Require(dx, state, "GRU external dh");
        }

        if (state > 0)
        {
            backend.GruBackward(activations, recurrentGates, hPrev, dhExternal, dhCarry, dInputGates, dRecurrentGates, mask, batch, hidden);
        }
    }

    /// <summary>
    /// Fused softmax cross-entropy: per-row loss and correctness, logits overwritten by the scaled gradient
    /// (see <see cref="SoftmaxKernels"/>). Targets must be in the vocabulary or <c>-1</c> (ignored).
    /// </summary>
    public void CrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab, float scale)
    {
        if (RequireCrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab))
        {
            backend.CrossEntropy(logits, targets, rowLoss, rowCorrect, rows, vocab, scale);
        }
    }


    /// <summary>Row-wise argmax (first index on ties).</summary>
    public void Argmax(ArrayView<float> logits, ArrayView<int> ids, int rows, int vocab)
    {
        RequireNonNegative(rows, vocab, "argmax");
        Require(logits, (long)rows * vocab, "argmax input");
        Require(ids, rows, "argmax output");
        if (rows > 0 && vocab == 0)
        {
            throw new ShapeException("argmax: rows of zero width");
        }

        if (rows > 0)
        {
            backend.Argmax(logits, ids, rows, vocab);
        }
    }

    /// <summary>Records one greedy decoding step (see <see cref="DecodeKernels.RecordStep"/>).</summary>
    public void RecordStep(ArrayView<int> chosen, ArrayView<int> current, ArrayView<int> outputs, ArrayView<int> finished, int step, int batch, int endId)
    {
        Require(chosen, batch, "decode chosen ids");
        Require(current, batch, "decode current ids");
        Require(outputs, ((long)step + 1) * batch, "decode outputs");
        Require(finished, batch, "decode finished flags");
        if (batch > 0)
        {
            backend.RecordStep(chosen, current, outputs, finished, step, batch, endId);
        }
    }

    /// <summary>One RMSprop step over a whole parameter buffer.</summary>
    public void RmsProp(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> meanSquare, float learningRate, float rho, float epsilon, float gradScale)
    {
        int count = checked((int)weights.Length);
        Require(gradients, count, "RMSprop gradients");
        Require(meanSquare, count, "RMSprop mean square");
        if (count > 0)
        {
            backend.RmsProp(weights, gradients, meanSquare, learningRate, rho, epsilon, gradScale);
        }
    }

    /// <summary>One Adam step over a whole parameter buffer.</summary>
    public void Adam(ArrayView<float> weights, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamStep step)
    {
        int count = checked((int)weights.Length);
        Require(gradients, count, "Adam gradients");
        Require(firstMoment, count, "Adam first moment");
        Require(secondMoment, count, "Adam second moment");
        if (count > 0)
        {
            backend.Adam(weights, gradients, firstMoment, secondMoment, step);
        }
    }

    /// <summary>
    /// Inverted dropout of <paramref name="count"/> elements: <c>output[e] = mask.Keeps(e) ? input[e]/(1-p) : 0</c> (see
    /// <see cref="DropoutMask"/>). The forward pass applies it to activations and the backward pass to their gradients with
    /// the same mask; <paramref name="input"/> and <paramref name="output"/> may be the same view (in place).
    /// </summary>
    public void Dropout(ArrayView<float> input, ArrayView<float> output, long count, DropoutMask mask)
    {
        if (RequireDropout(input, output, count, mask))
        {
            backend.Dropout(input, output, (int)count, mask);
        }
    }

    /// <summary>
    /// Attention weights (see <see cref="AttentionKernels.Weights"/>): <c>weights[t, b, :] = softmax_s(queries[t, b]·keys[s, b])</c>
    /// over the source positions <paramref name="mask"/> [Ts, B] keeps (all with null); queries [Tq, B, W], keys
    /// [Ts, B, W], weights [Tq, B, Ts] assigned.
    /// </summary>
    public void AttentionWeights(ArrayView<float> queries, ArrayView<float> keys, ArrayView<int>? mask, ArrayView<float> weights, AttentionShape shape)
    {
        if (RequireAttention(shape, queries, keys, weights, "attention weights"))
        {
            if (mask is { } m)
            {
                Require(m, (long)shape.Keys * shape.Batch, "attention mask");
            }

            backend.AttentionWeights(queries, keys, mask, weights, shape);
        }
    }

    /// <summary>
    /// <c>context[t, b, :] (=|+= per the shape) Σ_s weights[t, b, s]·values[s, b, :]</c> (see <see cref="AttentionKernels.Context"/>):
    /// weights [Tq, B, Ts], values [Ts, B, W], context [Tq, B, W].
    /// </summary>
    public void AttentionContext(ArrayView<float> weights, ArrayView<float> values, ArrayView<float> context, AttentionShape shape)
    {
        if (RequireAttention(shape, context, values, weights, "attention context"))
        {
            backend.AttentionContext(weights, values, context, shape);
        }
    }

    /// <summary>
    /// <c>output[s, b, :] (=|+= per the shape) Σ_t weights[t, b, s]·inputs[t, b, :]</c> (see <see cref="AttentionKernels.TransposedContext"/>):
    /// weights [Tq, B, Ts], inputs [Tq, B, W], output [Ts, B, W].
    /// </summary>
    public void AttentionTransposedContext(ArrayView<float> weights, ArrayView<float> inputs, ArrayView<float> output, AttentionShape shape)
    {
        if (RequireAttention(shape, inputs, output, weights, "attention transposed context"))
        {
            backend.AttentionTransposedContext(weights, inputs, output, shape);
        }
        else if (shape.Accumulate == 0 && (long)shape.Keys * shape.Batch * shape.Width > 0)
        {
            // No query rows: the sum over them is zero.
            output.SubView(0, (long)shape.Keys * shape.Batch * shape.Width).MemSetToZero();
        }
    }

    /// <summary>
    /// The score gradient (see <see cref="AttentionKernels.WeightsBackward"/>): <c>dScores = a ⊙ (dA − Σ_s a·dA)</c> with
    /// <c>dA[t, b, s] = dContext[t, b]·values[s, b]</c>; weights and dScores [Tq, B, Ts], dContext [Tq, B, W], values [Ts, B, W].
    /// </summary>
    public void AttentionWeightsBackward(ArrayView<float> weights, ArrayView<float> dContext, ArrayView<float> values, ArrayView<float> dScores, AttentionShape shape)
    {
        if (RequireAttention(shape, dContext, values, weights, "attention weights backward"))
        {
            Require(dScores, (long)shape.Queries * shape.Batch * shape.Keys, "attention score gradient");
            backend.AttentionWeightsBackward(weights, dContext, values, dScores, shape);
        }
    }

    /// <summary><c>output[e] = tanh(input[e])</c> for <paramref name="count"/> elements; the views may be the same (in place).</summary>
    public void Tanh(ArrayView<float> input, ArrayView<float> output, long count)
    {
        RequireElementwise(count, "tanh");
        Require(input, count, "tanh input");
        Require(output, count, "tanh output");
        if (count > 0)
        {
            backend.Tanh(input, output, (int)count);
        }
    }

    /// <summary><c>gradInput[e] = gradOutput[e]·(1 − output[e]²)</c> for <paramref name="count"/> elements (in place allowed).</summary>
    public void TanhBackward(ArrayView<float> output, ArrayView<float> gradOutput, ArrayView<float> gradInput, long count)
    {
        RequireElementwise(count, "tanh backward");
        Require(output, count, "tanh output");
        Require(gradOutput, count, "tanh output gradient");
        Require(gradInput, count, "tanh input gradient");
        if (count > 0)
        {
            backend.TanhBackward(output, gradOutput, gradInput, (int)count);
        }
    }

    /// <summary>
    /// Σ x (or Σ x² when <paramref name="squares"/>) over a view, accumulated in double by a deterministic reduction on
    /// the device; only the scalar comes back. Waits for the device.
    /// </summary>
    public float Sum(ArrayView<float> input, bool squares = false)
    {
        _ = checked((int)input.Length);
        return input.Length == 0 ? 0f : (float)backend.Sum(input, squares);
    }

    /// <summary>
    /// Greedy-decodes a batch in one persistent launch (see <see cref="PersistentDecodeKernels.GreedyDecode{TMatrices}"/>) and
    /// returns the number of steps run (fewer than <see cref="GreedyDecodeShape.Steps"/> when every row finished), or
    /// null, launching nothing, where the backend has no persistent decoder or cannot keep its groups resident (the
    /// caller then decodes a step at a time). The input, recurrent and output kernels are read from
    /// <paramref name="matricesBFloat16"/> when it is not empty (the decoder's bfloat16 copies; the layer table and
    /// the shape's output kernel offset then point into it), else from <paramref name="parameters"/>. Every offset is
    /// checked against the buffer the kernel reads it from (the layer table's through <paramref name="layerOffsets"/>,
    /// the values uploaded in <paramref name="layerTable"/>), so a wrong one is a <see cref="ShapeException"/>, not a
    /// read outside a buffer on the device. Waits for the device.
    /// </summary>
    public int? GreedyDecode(
        ArrayView<float> parameters,
        ArrayView<ushort> matricesBFloat16,
        ArrayView<long> layerTable,
        ReadOnlySpan<long> layerOffsets,
        ArrayView<float> hidden,
        ArrayView<float> cells,
        ArrayView<float> logits,
        ArrayView<int> current,
        ArrayView<int> finished,
        ArrayView<int> outputs,
        GreedyDecodeShape shape)
    {
        long state = (long)shape.Batch * shape.Hidden;
        Require(layerTable, 3L * shape.Layers, "decode layer table");
        Require(hidden, 2 * shape.Layers * state, "decode hidden states");
        Require(cells, 2 * shape.Layers * state, "decode cell states");
        Require(logits, (long)shape.Batch * shape.Vocab, "decode logits");
        Require(current, shape.Batch, "decode current ids");
        Require(finished, shape.Batch, "decode finished flags");
        Require(outputs, (long)shape.Steps * shape.Batch, "decode outputs");
        if (shape.Vocab < 1 || shape.Layers < 1)
        {
            throw new ShapeException($"decode of {shape.Layers} layers over a vocabulary of {shape.Vocab}");
        }

        if (matricesBFloat16.Length > 0)
        {
            RequireInside(matricesBFloat16, shape.OutputKernelOffset, (long)shape.Hidden * shape.Vocab, "output kernel", "the bfloat16 matrices");
        }
        else
        {
            RequireInside(parameters, shape.OutputKernelOffset, (long)shape.Hidden * shape.Vocab, "output kernel");
        }

        RequireInside(parameters, shape.OutputBiasOffset, shape.Vocab, "output bias");
        if (shape.OneHot == 0)
        {
            RequireInside(parameters, shape.EmbeddingOffset, (long)shape.Vocab * shape.EmbeddingSize, "embedding");
        }

        RequireLength(layerOffsets.Length, 3L * shape.Layers, "decode layer offsets");
        long gateWidth = (long)LstmGates.Count * shape.Hidden;
        for (int l = 0; l < shape.Layers; l++)
        {
            // A one-hot layer 0's rows are gathered from the store; every other W and U is read where the matrices are.
            long inputRows = l > 0 ? shape.Hidden : shape.OneHot != 0 ? shape.Vocab : shape.EmbeddingSize;
            RequireMatrix(l == 0 && shape.OneHot != 0 ? default : matricesBFloat16, parameters, layerOffsets[3 * l], inputRows * gateWidth, $"input kernel of layer {l}");
            RequireMatrix(matricesBFloat16, parameters, layerOffsets[(3 * l) + 1], shape.Hidden * gateWidth, $"recurrent kernel of layer {l}");
            RequireInside(parameters, layerOffsets[(3 * l) + 2], gateWidth, $"bias of layer {l}");
        }

        if (shape.Batch == 0 || shape.Steps == 0)
        {
            return 0;
        }

        return backend.TryGreedyDecode(parameters, matricesBFloat16, layerTable, hidden, cells, logits, current, finished, outputs, shape);
    }

    /// <inheritdoc />
    public void Dispose() => backend.Dispose();

    internal void ComposeForwardStep(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        backend.MatMul(hPrev, recurrent, null, gates, new MatMulShape(batch, LstmGates.Count * hidden, hidden, accumulate: true));
        backend.LstmForward(gates, cPrev, hPrev, cNext, hNext, mask, batch, hidden, activation);
    }

    internal void ComposeBackwardStep(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        if (dGatesNext is { } next)
        {
            backend.MatMul(next, recurrentTransposed, null, dhCarry, new MatMulShape(batch, hidden, LstmGates.Count * hidden, transposeB: true, accumulate: true));
        }

        backend.LstmBackward(activations, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGates, mask, batch, hidden, activation);
    }

    internal void ForwardStepByStep(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        long state = (long)batch * units;
        long stepGates = state * LstmGates.Count;
        for (int t = 0; t < steps; t++)
        {
            LstmForwardStep(
                gates.SubView(t * stepGates, stepGates), recurrent, cells.SubView(t * state, state), hidden.SubView(t * state, state),
                cells.SubView((t + 1) * state, state), hidden.SubView((t + 1) * state, state), mask?.SubView((long)t * batch, batch), batch, units, activation);
        }
    }

    internal void BackwardStepByStep(
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
        int hidden, RecurrentActivation activation = RecurrentActivation.Sigmoid)
    {
        long state = (long)batch * hidden;
        long stepGates = state * LstmGates.Count;
        for (int t = steps - 1; t >= 0; t--)
        {
            LstmBackwardStep(
                activations.SubView(t * stepGates, stepGates), recurrentTransposed, cells.SubView(t * state, state), cells.SubView((t + 1) * state, state),
                dExternal?.SubView(t * state, state), dhCarry, dcCarry, t + 1 < steps ? dGates.SubView((t + 1) * stepGates, stepGates) : null,
                dGates.SubView(t * stepGates, stepGates), mask?.SubView((long)t * batch, batch), batch, hidden, activation);
        }
    }
}
