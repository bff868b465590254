using ILGPU;

namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The fused LSTM cell of one time step, forward and backward, with the padding mask inside the cell.
/// <para>
/// Forward (<see cref="Forward"/>), one work item per (b, j), b &lt; B, j &lt; H:
/// <c>i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o); c' = f·c + i·g; h' = o·tanh(c')</c>, where z is the gate
/// pre-activation <c>x·W + h·U + b</c> already summed by the caller. A row with mask[b] = 0 keeps its state:
/// <c>c' = c, h' = h</c>. Views: gates [B, 4H] (in: pre-activations; out: the activations i, f, g, o, kept for the
/// backward pass; assigns in place), cPrev, hPrev [B, H] (read), cNext, hNext [B, H] (assigned), mask [B] (read when
/// hasMask is 1). activation is the recurrent activation σ (<see cref="GateActivations.Sigmoid"/> or a hard sigmoid).
/// </para>
/// <para>
/// Backward (<see cref="Backward"/>), one work item per (b, j): with dh = dhExternal + dhCarry and dc = dcCarry,
/// <c>dc_t = dc + dh·o·(1 - tanh²(c')); dz_i = dc_t·g·i(1-i); dz_f = dc_t·c·f(1-f); dz_g = dc_t·i·(1-g²);
/// dz_o = dh·tanh(c')·o(1-o); dc_prev = dc_t·f</c>. Views: activations [B, 4H] (from the forward pass), cPrev, cNext
/// [B, H], dhExternal [B, H] (gradient from above: the output layer or the next layer; read when hasExternal is 1),
/// dhCarry [B, H] (in: gradient from step t+1; out: the part of dh_prev that does not go through U, i.e. dh for a
/// masked row and 0 otherwise; the caller then adds dGates·Uᵀ), dcCarry [B, H] (in: dc from step t+1; out: dc_prev),
/// dGates [B, 4H] (assigned; zero for masked rows).
/// </para>
/// </summary>
internal static class LstmCellKernels
{
    /// <summary>Applies the gate non-linearities and the state update of one step.</summary>
    public static void Forward(
        Index1D thread,
        ArrayView<float> gates,
        ArrayView<float> cPrev,
        ArrayView<float> hPrev,
        ArrayView<float> cNext,
        ArrayView<float> hNext,
        ArrayView<int> mask,
        int batch,
        int hidden,
        int hasMask,
        int chunk,
        int activation)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            ForwardUnit(gates, default, cPrev, hPrev, cNext, hNext, b, e - (b * hidden), hidden, hasMask != 0 && mask[b] == 0, activation);
        }
    }

    /// <summary>Back-propagates one step: gate gradients, dc_prev, and the masked part of dh_prev.</summary>
    public static void Backward(
        Index1D thread,
        ArrayView<float> activations,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float> dhExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        ArrayView<int> mask,
        int batch,
        int hidden,
        int hasExternal,
        int hasMask,
        int chunk,
        int activation)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            float dh = dhCarry[e];
            if (hasExternal != 0)
            {
                dh += dhExternal[e];
            }

            BackwardUnit(activations, cPrev, cNext, dhCarry, dcCarry, dGates, b, e - (b * hidden), hidden, hasMask != 0 && mask[b] == 0, dh, activation);
        }
    }

    /// <summary>
    /// The forward cell of unit j of row b: pre-activations are <c>gates[b, ·, j] + recurrent</c> (the recurrent sums
    /// are zero when the caller already added h·U into the gates); the activations replace them.
    /// </summary>
    internal static void ForwardUnit(
        ArrayView<float> gates, FourSums recurrent, ArrayView<float> cPrev, ArrayView<float> hPrev, ArrayView<float> cNext, ArrayView<float> hNext, int b, int j, int hidden, bool keepState, int activation)
    {
        var activated = LstmCellMath.Activate(LstmCellMath.Add(LstmCellMath.Load(gates, b, j, hidden), recurrent), activation);
        LstmCellMath.Store(gates, b, j, hidden, activated);
        long e = ((long)b * hidden) + j;
        if (keepState)
        {
            cNext[e] = cPrev[e];
            hNext[e] = hPrev[e];
            return;
        }

        float c = LstmCellMath.NextCell(activated, cPrev[e]);
        cNext[e] = c;
        hNext[e] = LstmCellMath.NextHidden(activated, c);
    }

    /// <summary>
    /// The backward cell of unit j of row b when dh has a recurrent part computed by the caller:
    /// <c>dh = (dhCarry + recurrentPart) + dhExternal</c> (the order of the per-operation path, where dz·Uᵀ is
    /// accumulated into the carry before the external gradient is added).
    /// </summary>
    internal static void BackwardUnitWithRecurrent(
        ArrayView<float> activations,
        ArrayView<float> cPrev,
        ArrayView<float> cNext,
        ArrayView<float> dhExternal,
        bool hasExternal,
        ArrayView<float> dhCarry,
        ArrayView<float> dcCarry,
        ArrayView<float> dGates,
        int b,
        int j,
        int hidden,
        bool masked,
        float recurrentPart,
        int activation)
    {
        long e = ((long)b * hidden) + j;
        float dh = dhCarry[e] + recurrentPart;
        if (hasExternal)
        {
            dh += dhExternal[e];
        }

        BackwardUnit(activations, cPrev, cNext, dhCarry, dcCarry, dGates, b, j, hidden, masked, dh, activation);
    }

    /// <summary>The backward cell of unit j of row b for the total gradient <paramref name="dh"/> into h'.</summary>
    internal static void BackwardUnit(
        ArrayView<float> activations, ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float> dhCarry, ArrayView<float> dcCarry, ArrayView<float> dGates, int b, int j, int hidden, bool masked, float dh, int activation)
    {
        long e = ((long)b * hidden) + j;
        if (masked)
        {
            // The state passed through unchanged: its gradients pass through too (dc_prev = dc stays in dcCarry).
            LstmCellMath.Store(dGates, b, j, hidden, default);
            dhCarry[e] = dh;
            return;
        }

        var gradients = LstmCellMath.Backward(LstmCellMath.Load(activations, b, j, hidden), cPrev[e], cNext[e], dh, dcCarry[e], activation);
        LstmCellMath.Store(dGates, b, j, hidden, gradients.Gates);
        dcCarry[e] = gradients.CellPrevious;
        dhCarry[e] = 0f;
    }
}
