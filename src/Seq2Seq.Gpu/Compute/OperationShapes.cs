using ILGPU;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;
using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Compute;

/// <summary>
/// The shape checks of <see cref="DeviceOps"/>: every view against the length its shape needs, and the sizes against
/// each other, so that a mismatch is a <see cref="ShapeException"/> naming the operand, never an out-of-bounds kernel.
/// The <c>bool</c> checks also say whether there is anything to compute.
/// </summary>
internal static class OperationShapes
{
    /// <summary>Checks a product's views; returns whether there is anything to compute (M and N positive).</summary>
    public static bool RequireProduct(ArrayView<float> a, long bLength, ArrayView<float>? bias, ArrayView<float> c, MatMulShape shape)
    {
        if (shape.M < 0 || shape.N < 0 || shape.K < 0)
        {
            throw new ShapeException($"matrix product with negative size: {shape}");
        }

        Require(a, (long)shape.M * shape.K, $"A of {shape}");
        RequireLength(bLength, (long)shape.K * shape.N, $"B of {shape}");
        Require(c, (long)shape.M * shape.N, $"C of {shape}");
        if (bias is { } bv)
        {
            Require(bv, shape.N, $"bias of {shape}");
        }

        if ((bias is null) == (shape.HasBias != 0))
        {
            throw new ShapeException($"{shape}: a bias view must be given exactly when the shape says HasBias");
        }

        return shape.M > 0 && shape.N > 0;
    }

    public static bool RequireForwardStep(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, ArrayView<int>? mask, int batch, int hidden)
    {
        ArgumentNullException.ThrowIfNull(recurrent);
        RequireRecurrent(recurrent, hidden, transposed: false, decoding: true);
        RequireStep(gates, cPrev, cNext, mask, batch, hidden, "LSTM gates");
        Require(hPrev, (long)batch * hidden, "LSTM h_prev");
        Require(hNext, (long)batch * hidden, "LSTM h_next");
        return batch > 0 && hidden > 0;
    }

    public static bool RequireBackwardStepWithProduct(
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
        int hidden)
    {
        ArgumentNullException.ThrowIfNull(recurrentTransposed);
        RequireRecurrent(recurrentTransposed, hidden, transposed: true);
        RequireBackwardStep(activations, cPrev, cNext, dhExternal, dhCarry, dcCarry, dGates, mask, batch, hidden);
        if (dGatesNext is { } dn)
        {
            Require(dn, (long)batch * hidden * LstmGates.Count, "LSTM next gate gradients");
        }

        return batch > 0 && hidden > 0;
    }

    public static void RequireBackwardStep(
        ArrayView<float> activations,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float>? dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int>? mask,
        int batch,
        int hidden)
    {
        RequireStep(activations, cPrev, cNext, mask, batch, hidden, "LSTM activations");
        long state = (long)batch * hidden;
        Require(dhCarry, state, "LSTM dh carry");
        Require(dcCarry, state, "LSTM dc carry");
        Require(dGates, state * LstmGates.Count, "LSTM gate gradients");
        if (dhExternal is { } dx)
        {
            Require(dx, state, "LSTM external dh");
        }
    }

    public static bool RequireForwardSequence(
        ArrayView<float> gates, PreparedRightOperand recurrent, ArrayView<float> cells, ArrayView<float> hidden, ArrayView<int>? mask, int steps, int batch, int units)
    {
        ArgumentNullException.ThrowIfNull(recurrent);
        RequireSizes(steps, batch, units);
        RequireRecurrent(recurrent, units, transposed: false);
        RequireSequence(gates, cells, mask, steps, batch, units, "LSTM gates");
        Require(hidden, (steps + 1L) * batch * units, "LSTM hidden states");
        return steps > 0 && batch > 0 && units > 0;
    }

    public static bool RequireBackwardSequence(
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
        int hidden)
    {
        ArgumentNullException.ThrowIfNull(recurrentTransposed);
        RequireSizes(steps, batch, hidden);
        RequireRecurrent(recurrentTransposed, hidden, transposed: true);
        RequireSequence(activations, cells, mask, steps, batch, hidden, "LSTM activations");
        long state = (long)batch * hidden;
        Require(dGates, steps * state * LstmGates.Count, "LSTM gate gradients");
        Require(dhCarry, state, "LSTM dh carry");
        Require(dcCarry, state, "LSTM dc carry");
        if (dExternal is { } dx)
        {
            Require(dx, steps * state, "LSTM external dh");
        }

        return steps > 0 && state > 0;
    }

    public static bool RequireCrossEntropy(ArrayView<float> logits, ArrayView<int> targets, ArrayView<float> rowLoss, ArrayView<float> rowCorrect, int rows, int vocab)
    {
        RequireNonNegative(rows, vocab, "cross-entropy");
        Require(logits, (long)rows * vocab, "cross-entropy logits");
        Require(targets, rows, "cross-entropy targets");
        Require(rowLoss, rows, "cross-entropy row loss");
        Require(rowCorrect, rows, "cross-entropy row correctness");
        if (rows > 0 && vocab == 0)
        {
            throw new ShapeException("cross-entropy: rows of zero width");
        }

        return rows > 0;
    }

    /// <summary>The views every step shares: gates or activations [B, 4H], c_prev and c_next [B, H], the mask [B].</summary>
    public static void RequireStep(ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<int>? mask, int batch, int hidden, string gatesName)
    {
        RequireNonNegative(batch, hidden, gatesName);
        long state = (long)batch * hidden;
        Require(gates, state * LstmGates.Count, gatesName);
        Require(cPrev, state, "LSTM c_prev");
        Require(cNext, state, "LSTM c_next");
        if (mask is { } m)
        {
            Require(m, batch, "LSTM mask");
        }
    }

    public static void RequireSequence(ArrayView<float> gates, ArrayView<float> cells, ArrayView<int>? mask, int steps, int batch, int hidden, string gatesName)
    {
        long state = (long)batch * hidden;
        Require(gates, steps * state * LstmGates.Count, gatesName);
        Require(cells, (steps + 1) * state, "LSTM cell states");
        if (mask is { } m)
        {
            Require(m, (long)steps * batch, "LSTM mask");
        }
    }

    /// <summary>
    /// U [H, G·H] (or Uᵀ) for a step of hidden size H, not disposed; a bfloat16 copy only for a forward step of a
    /// decode (<paramref name="decoding"/>): training's recurrences read the FP32 store, and a backend whose
    /// sequence kernel reads <see cref="PreparedRightOperand.View"/> must never be handed a copy it would ignore.
    /// </summary>
    public static void RequireRecurrent(PreparedRightOperand recurrent, int hidden, bool transposed, bool decoding = false)
    {
        ObjectDisposedException.ThrowIf(recurrent.IsDisposed, recurrent);
        if (!decoding && recurrent.Precision != WeightPrecision.Fp32)
        {
            throw new ArgumentException($"recurrent kernel prepared in {recurrent.Precision.Name()}: only a decoding step reads bfloat16 weights; recurrences and backward steps read FP32", nameof(recurrent));
        }

        int gates = LstmGates.Count * hidden;
        bool matches = transposed
            ? recurrent.K == gates && recurrent.N == hidden && recurrent.Transposed
            : recurrent.K == hidden && recurrent.N == gates && !recurrent.Transposed;
        if (!matches)
        {
            throw new ShapeException($"recurrent kernel prepared as {recurrent.K}x{recurrent.N}{(recurrent.Transposed ? ", transposed" : string.Empty)}; a step of hidden size {hidden} needs U [{hidden}, {gates}]{(transposed ? " as Uᵀ" : string.Empty)}");
        }
    }

    public static void RequireSizes(int steps, int batch, int hidden)
    {
        if (steps < 0 || batch < 0 || hidden < 0)
        {
            throw new ShapeException($"an LSTM recurrence of {steps} steps, batch {batch}, hidden size {hidden}");
        }
    }

    public static void RequireNonNegative(int first, int second, string what)
    {
        if (first < 0 || second < 0)
        {
            throw new ShapeException($"{what}: negative size ({first}, {second})");
        }
    }

    /// <summary>
    /// The views both GRU step operations share: gates or activations and gh [B, 3H], h_prev [B, H], the mask [B]; the
    /// sizes must be non-negative and B·H must fit the kernels' int work-item index.
    /// </summary>
    public static void RequireGruStep(
        ArrayView<float> gates, ArrayView<float> recurrentGates, ArrayView<float> hPrev, ArrayView<int>? mask, int batch, int hidden, string gatesName)
    {
        long state = (long)batch * hidden;
        if (batch < 0 || hidden < 0 || state > int.MaxValue)
        {
            throw new ShapeException($"a GRU step of batch {batch} and hidden size {hidden}");
        }

        Require(gates, state * GruGates.Count, gatesName);
        Require(recurrentGates, state * GruGates.Count, "GRU recurrent gates");
        Require(hPrev, state, "GRU h_prev");
        if (mask is { } m)
        {
            Require(m, batch, "GRU mask");
        }
    }

    /// <summary>Checks a dropout's views and mask; returns whether there is anything to compute.</summary>
    public static bool RequireDropout(ArrayView<float> input, ArrayView<float> output, long count, DropoutMask mask)
    {
        if (count < 0 || count > int.MaxValue)
        {
            throw new ShapeException($"dropout of {count} elements: 0 to {int.MaxValue} are supported");
        }

        if (!(mask.Scale >= 1f) || float.IsInfinity(mask.Scale))
        {
            throw new ShapeException($"dropout scale {mask.Scale}: an inverted dropout's scale 1/(1-p) is finite and at least 1");
        }

        Require(input, count, "dropout input");
        Require(output, count, "dropout output");
        return count > 0;
    }

    /// <summary>
    /// Checks an attention shape against its views: <paramref name="rowsLike"/> [Tq, B, W] (queries, contexts),
    /// <paramref name="columnsLike"/> [Ts, B, W] (keys, values), <paramref name="weightsLike"/> [Tq, B, Ts]; returns
    /// whether there is anything to compute. Sizes past int range are refused (the kernels index with int).
    /// </summary>
    public static bool RequireAttention(AttentionShape shape, ArrayView<float> rowsLike, ArrayView<float> columnsLike, ArrayView<float> weightsLike, string what)
    {
        if (shape.Queries < 0 || shape.Keys < 0 || shape.Batch < 0 || shape.Width < 0)
        {
            throw new ShapeException($"{what}: negative size in {shape}");
        }

        long rows = (long)shape.Queries * shape.Batch;
        long columns = (long)shape.Keys * shape.Batch;
        if (rows * Math.Max(shape.Width, shape.Keys) > int.MaxValue || columns * shape.Width > int.MaxValue)
        {
            throw new ShapeException($"{what}: {shape} is past the {int.MaxValue} elements a view of the kernels may hold");
        }

        if (shape.Keys == 0 && rows > 0)
        {
            throw new ShapeException($"{what}: {shape} attends over no source position");
        }

        Require(rowsLike, rows * shape.Width, $"{what} ([Tq, B, W])");
        Require(columnsLike, columns * shape.Width, $"{what} ([Ts, B, W])");
        Require(weightsLike, rows * shape.Keys, $"{what} ([Tq, B, Ts])");
        return rows > 0 && shape.Width > 0;
    }

    /// <summary>Checks an elementwise operation's count (0 to int range).</summary>
    public static void RequireElementwise(long count, string what)
    {
        if (count < 0 || count > int.MaxValue)
        {
            throw new ShapeException($"{what} of {count} elements: 0 to {int.MaxValue} are supported");
        }
    }

    public static void RequireInside<T>(ArrayView<T> buffer, long offset, long count, string what, string bufferName = "the parameter buffer")
        where T : unmanaged
    {
        if (offset < 0 || offset + count > buffer.Length)
        {
            throw new ShapeException($"decode {what}: elements [{offset}, {offset + count}) are outside {bufferName} of {buffer.Length}");
        }
    }

    public static void Require<T>(ArrayView<T> view, long needed, string what)
        where T : unmanaged => RequireLength(view.Length, needed, what);

    public static void RequireLength(long length, long needed, string what)
    {
        if (length < needed)
        {
            throw new ShapeException($"{what}: the view holds {length} elements but the shape needs {needed}");
        }
    }
}
