using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// A layer's whole LSTM recurrence on the host, forward and backward through time, in bands of batch rows: each thread
/// takes a band of whole row blocks of the product and runs every step on it (its rows of the recurrent product, then
/// the cell on those rows), so no thread waits for another between steps. Row b of a step reads only row b of the
/// previous one (h_t·U, dGates_(t+1)·Uᵀ and the cell are row by row), and a band's product computes each element as the
/// whole product does, so the results are those of the step-by-step composition (a product, then the cell) to the bit.
/// A forward pass of a few rows (a product that streams U) is one band whose product the threads split by columns.
/// </summary>
internal sealed unsafe partial class HostKernels
{
    /// <summary>
    /// The forward recurrence, as <c>DeviceOps.LstmForwardSequence</c>: gates [T, B, 4H] in: x·W + b, out: the
    /// activations; cells and hidden [T + 1, B, H] (slot 0 read: the initial state; slots 1..T assigned); mask [T, B] or
    /// empty. <paramref name="recurrent"/> is U [H, 4H] and <paramref name="packed"/> its panels (K = H, N = 4H).
    /// </summary>
    public void LstmForwardSequence(
        Span<float> gates, ReadOnlySpan<float> recurrent, PackedRightOperand packed, Span<float> cells, Span<float> hidden, ReadOnlySpan<int> mask, int steps, int batch, int units, int activation = GateActivations.Sigmoid)
    {
        long state = RequireSequence(steps, batch, units, mask, "LSTM forward sequence");
        RequirePacked(packed, units, LstmGates.Count * units, transposed: false, recurrent.Length, "LSTM forward sequence");
        Require(gates.Length, steps * state * LstmGates.Count, "LSTM sequence gates");
        Require(cells.Length, (steps + 1) * state, "LSTM sequence cells");
        Require(hidden.Length, (steps + 1) * state, "LSTM sequence hidden states");
        RequireApart(gates[..(int)(steps * state * LstmGates.Count)], cells[..(int)((steps + 1) * state)], hidden[..(int)((steps + 1) * state)], recurrent, [], [], [], "LSTM forward sequence");
        if (steps == 0 || state == 0)
        {
            return;
        }

        float slope = Slope(activation);
        int gateWidth = LstmGates.Count * units;

        // A few rows: the product streams U as stored with its columns split over the threads (one core's L2 does not
        // hold a 1 MB U beside the rest), so the whole batch is one band and the threads split each step's product.
        bool fewRows = backend.StreamsRight(new MatMulShape(batch, gateWidth, units, accumulate: true));
        fixed (float* pg = gates, pu = recurrent, pc = cells, ph = hidden)
        fixed (int* pm = mask)
        {
            float* g = pg, c = pc, h = ph, stored = pu, u = fewRows ? null : packed.Packed(backend, pu);
            int* m = pm;
            InBands(batch, fewRows ? 1 : MaxDegreeOfParallelism, (b0, b1) =>
            {
                var bandShape = new MatMulShape(b1 - b0, gateWidth, units, accumulate: true);
                for (int t = 0; t < steps; t++)
                {
                    float* gatesT = g + (t * state * LstmGates.Count);
                    float* cPrev = c + (t * state);
                    float* hPrev = h + (t * state);
                    if (fewRows)
                    {
                        backend.MatMul(hPrev, stored, null, gatesT, bandShape, MaxDegreeOfParallelism);
                    }
                    else
                    {
                        backend.MatMulBand(hPrev + ((nint)b0 * units), gatesT + ((nint)b0 * gateWidth), bandShape, u);
                    }

                    backend.LstmForward(gatesT, cPrev, hPrev, cPrev + state, hPrev + state, m == null ? null : m + ((nint)t * batch), b0, b1, units, slope);
                }
            });
        }
    }

    /// <summary>
    /// The backward recurrence, as <c>DeviceOps.LstmBackwardSequence</c> (t = T-1..0: dhCarry += dGates_(t+1)·Uᵀ,
    /// then the backward cell; the caller adds dGates_0·Uᵀ): activations and dGates [T, B, 4H] (dGates assigned), cells
    /// [T + 1, B, H], dExternal [T, B, H] or empty, dhCarry and dcCarry [B, H] updated in place, mask [T, B] or empty.
    /// <paramref name="recurrent"/> is U [H, 4H] and <paramref name="packedTransposed"/> the panels of Uᵀ (K = 4H, N = H).
    /// </summary>
    public void LstmBackwardSequence(
        ReadOnlySpan<float> activations,
        ReadOnlySpan<float> recurrent,
        PackedRightOperand packedTransposed,
        ReadOnlySpan<float> cells,
        ReadOnlySpan<float> dExternal,
        Span<float> dhCarry,
        Span<float> dcCarry,
        Span<float> dGates,
        ReadOnlySpan<int> mask,
        int steps,
        int batch,
        int units,
        int activation = GateActivations.Sigmoid)
    {
        long state = RequireSequence(steps, batch, units, mask, "LSTM backward sequence");
        RequirePacked(packedTransposed, LstmGates.Count * units, units, transposed: true, recurrent.Length, "LSTM backward sequence");
        long allGates = steps * state * LstmGates.Count;
        Require(activations.Length, allGates, "LSTM sequence activations");
        Require(cells.Length, (steps + 1) * state, "LSTM sequence cells");
        Require(dhCarry.Length, state, "LSTM sequence dh carry");
        Require(dcCarry.Length, state, "LSTM sequence dc carry");
        Require(dGates.Length, allGates, "LSTM sequence gate gradients");
        if (!dExternal.IsEmpty)
        {
            Require(dExternal.Length, steps * state, "LSTM sequence external dh");
        }

        RequireApart(
            dGates[..(int)allGates], dhCarry[..(int)state], dcCarry[..(int)state], activations[..(int)allGates], cells[..(int)((steps + 1) * state)],
            dExternal.IsEmpty ? [] : dExternal[..(int)(steps * state)], recurrent, "LSTM backward sequence");

        if (steps == 0 || state == 0)
        {
            return;
        }

        float slope = Slope(activation);
        int gateWidth = LstmGates.Count * units;
        fixed (float* pa = activations, pu = recurrent, pc = cells, px = dExternal, pdh = dhCarry, pdc = dcCarry, pdg = dGates)
        fixed (int* pm = mask)
        {
            float* act = pa, c = pc, dx = px, dh = pdh, dc = pdc, dg = pdg, u = packedTransposed.Packed(backend, pu);
            int* m = pm;
            InBands(batch, MaxDegreeOfParallelism, (b0, b1) =>
            {
                var bandShape = new MatMulShape(b1 - b0, units, gateWidth, transposeB: true, accumulate: true);
                for (int t = steps - 1; t >= 0; t--)
                {
                    if (t + 1 < steps)
                    {
                        backend.MatMulBand(dg + ((t + 1) * state * LstmGates.Count) + ((nint)b0 * gateWidth), dh + ((nint)b0 * units), bandShape, u);
                    }

                    backend.LstmBackward(
                        act + (t * state * LstmGates.Count), c + (t * state), c + ((t + 1) * state), dx == null ? null : dx + (t * state), dh, dc,
                        dg + (t * state * LstmGates.Count), m == null ? null : m + ((nint)t * batch), b0, b1, units, slope);
                }
            });
        }
    }

    /// <summary>
    /// Runs <paramref name="band"/> over at most <paramref name="maxBands"/> bands of whole row blocks of [0, batch), a
    /// band a thread, each band on one thread from its first step to its last.
    /// </summary>
    private void InBands(int batch, int maxBands, Action<int, int> band)
    {
        int rowBlock = backend.RowBlock;
        int blocks = (batch + rowBlock - 1) / rowBlock;
        int bands = Math.Min(maxBands, blocks);
        Run(bands, bands > 1, i =>
        {
            int b0 = (int)((long)i * blocks / bands) * rowBlock;
            int b1 = Math.Min(batch, (int)((long)(i + 1) * blocks / bands) * rowBlock);
            band(b0, b1);
        });
    }

    /// <summary>Checks a sequence's sizes and mask; returns B·H.</summary>
    private static long RequireSequence(int steps, int batch, int units, ReadOnlySpan<int> mask, string what)
    {
        RequireNonNegative(batch, units, what);
        if (steps < 0)
        {
            throw new ShapeException($"{what}: {steps} steps");
        }

        if (!mask.IsEmpty)
        {
            Require(mask.Length, (long)steps * batch, $"{what} mask");
        }

        return (long)batch * units;
    }

    /// <summary>Checks that a packed operand was made for op(B) [k, n] of this transposition, from a B of k·n floats.</summary>
    private static void RequirePacked(PackedRightOperand packed, int k, int n, bool transposed, int recurrentLength, string what)
    {
        ArgumentNullException.ThrowIfNull(packed);
        ObjectDisposedException.ThrowIf(packed.IsDisposed, packed);
        if (packed.K != k || packed.N != n || packed.Transposed != transposed)
        {
            throw new ShapeException(
                $"{what}: the packed recurrent kernel is {packed.K}x{packed.N}{(packed.Transposed ? ", transposed" : string.Empty)}, not {k}x{n}{(transposed ? ", transposed" : string.Empty)}");
        }

        Require(recurrentLength, (long)k * n, $"{what} recurrent kernel");
    }

    /// <summary>Checks that the three buffers a sequence writes overlap neither each other nor the (up to four) it reads.</summary>
    private static void RequireApart(
        Span<float> first, Span<float> second, Span<float> third, ReadOnlySpan<float> read1, ReadOnlySpan<float> read2, ReadOnlySpan<float> read3, ReadOnlySpan<float> read4, string what)
    {
        if (first.Overlaps(second) || first.Overlaps(third) || second.Overlaps(third))
        {
            throw new ShapeException($"{what}: the buffers it writes overlap");
        }

        if (Reads(first, read1, read2, read3, read4) || Reads(second, read1, read2, read3, read4) || Reads(third, read1, read2, read3, read4))
        {
            throw new ShapeException($"{what}: a buffer it writes overlaps one it reads");
        }

        static bool Reads(ReadOnlySpan<float> written, ReadOnlySpan<float> read1, ReadOnlySpan<float> read2, ReadOnlySpan<float> read3, ReadOnlySpan<float> read4) =>
            written.Overlaps(read1) || written.Overlaps(read2) || written.Overlaps(read3) || written.Overlaps(read4);
    }
}
