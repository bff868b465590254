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
/// hasMask is 1).
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
public static class LstmCellKernels
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
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            int zi = GateOffset(e, b, hidden, LstmGates.Input);
            int zf = GateOffset(e, b, hidden, LstmGates.Forget);
            int zg = GateOffset(e, b, hidden, LstmGates.Cell);
            int zo = GateOffset(e, b, hidden, LstmGates.Output);

            float i = Activations.Sigmoid(gates[zi]);
            float f = Activations.Sigmoid(gates[zf]);
            float g = Activations.Tanh(gates[zg]);
            float o = Activations.Sigmoid(gates[zo]);
            gates[zi] = i;
            gates[zf] = f;
            gates[zg] = g;
            gates[zo] = o;

            if (hasMask != 0 && mask[b] == 0)
            {
                cNext[e] = cPrev[e];
                hNext[e] = hPrev[e];
            }
            else
            {
                float c = (f * cPrev[e]) + (i * g);
                cNext[e] = c;
                hNext[e] = o * Activations.Tanh(c);
            }
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
        int chunk)
    {
        int end = LaunchChunk.End(thread, chunk, batch * hidden);
        for (int e = LaunchChunk.Begin(thread, chunk); e < end; e++)
        {
            int b = e / hidden;
            int zi = GateOffset(e, b, hidden, LstmGates.Input);
            int zf = GateOffset(e, b, hidden, LstmGates.Forget);
            int zg = GateOffset(e, b, hidden, LstmGates.Cell);
            int zo = GateOffset(e, b, hidden, LstmGates.Output);

            float dh = dhCarry[e];
            if (hasExternal != 0)
            {
                dh += dhExternal[e];
            }

            if (hasMask != 0 && mask[b] == 0)
            {
                // The state passed through unchanged: its gradients pass through too.
                dGates[zi] = 0f;
                dGates[zf] = 0f;
                dGates[zg] = 0f;
                dGates[zo] = 0f;
                dhCarry[e] = dh;
                continue;
            }

            float i = activations[zi];
            float f = activations[zf];
            float g = activations[zg];
            float o = activations[zo];
            float tc = Activations.Tanh(cNext[e]);
            float dc = dcCarry[e] + (dh * o * (1f - (tc * tc)));

            dGates[zi] = dc * g * i * (1f - i);
            dGates[zf] = dc * cPrev[e] * f * (1f - f);
            dGates[zg] = dc * i * (1f - (g * g));
            dGates[zo] = dh * tc * o * (1f - o);
            dcCarry[e] = dc * f;
            dhCarry[e] = 0f;
        }
    }

    /// <summary>Offset in [B, 4H] of gate <paramref name="gate"/> of the unit at state offset e = b·H + j.</summary>
    private static int GateOffset(int e, int b, int hidden, int gate) => (b * LstmGates.Count * hidden) + (gate * hidden) + (e - (b * hidden));
}
