using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Compute.Host;

/// <summary>
/// The recurrent cells of <see cref="HostKernels"/>: LSTM (sigmoid or a Keras hard sigmoid) and GRU steps, forward and
/// backward, batch rows split across threads.
/// </summary>
internal sealed unsafe partial class HostKernels
{
    /// <summary>The host kernels' form of a recurrent activation code: 0 for the sigmoid, else the hard sigmoid's slope.</summary>
    private static float Slope(int activation) => activation == GateActivations.Sigmoid ? 0f : GateActivations.HardSlope(activation);

    /// <summary>
    /// One fused LSTM step, as <see cref="LstmCellKernels.Forward"/>: gates [B, 4H] in: pre-activations, out: i, f, g, o;
    /// cPrev, hPrev [B, H] read; cNext, hNext [B, H] assigned; mask [B] or empty (a row with mask 0 keeps its state).
    /// </summary>
    public void LstmForward(
        Span<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> hPrev, Span<float> cNext, Span<float> hNext, ReadOnlySpan<int> mask, int batch, int hidden, int activation = GateActivations.Sigmoid)
    {
        RequireNonNegative(batch, hidden, "LSTM");
        float slope = Slope(activation);
        long state = (long)batch * hidden;
        Require(gates.Length, state * LstmGates.Count, "LSTM gates");
        Require(cPrev.Length, state, "LSTM c_prev");
        Require(hPrev.Length, state, "LSTM h_prev");
        Require(cNext.Length, state, "LSTM c_next");
        Require(hNext.Length, state, "LSTM h_next");
        if (!mask.IsEmpty)
        {
            Require(mask.Length, batch, "LSTM mask");
        }

        if (state == 0)
        {
            return;
        }

        fixed (float* pg = gates, pcp = cPrev, php = hPrev, pcn = cNext, phn = hNext)
        fixed (int* pm = mask)
        {
            float* g = pg, cp = pcp, hp = php, cn = pcn, hn = phn;
            int* m = pm;
            ForRanges(batch, Grain(hidden, RowWorkGrain), (b0, b1) => backend.LstmForward(g, cp, hp, cn, hn, m, b0, b1, hidden, slope));
        }
    }

    /// <summary>
    /// One fused LSTM backward step, as <see cref="LstmCellKernels.Backward"/>: activations [B, 4H], cPrev, cNext [B, H]
    /// read; dhExternal [B, H] or empty; dhCarry, dcCarry [B, H] updated in place; dGates [B, 4H] assigned; mask [B] or empty.
    /// </summary>
    public void LstmBackward(
        ReadOnlySpan<float> activations,
        ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> cNext,
        ReadOnlySpan<float> dhExternal,
        Span<float> dhCarry,
        Span<float> dcCarry,
        Span<float> dGates,
        ReadOnlySpan<int> mask,
        int batch,
        int hidden,
        int activation = GateActivations.Sigmoid)
    {
        RequireNonNegative(batch, hidden, "LSTM");
        float slope = Slope(activation);
        long state = (long)batch * hidden;
        Require(activations.Length, state * LstmGates.Count, "LSTM activations");
        Require(cPrev.Length, state, "LSTM c_prev");
        Require(cNext.Length, state, "LSTM c_next");
        Require(dhCarry.Length, state, "LSTM dh carry");
        Require(dcCarry.Length, state, "LSTM dc carry");
        Require(dGates.Length, state * LstmGates.Count, "LSTM gate gradients");
        if (!dhExternal.IsEmpty)
        {
            Require(dhExternal.Length, state, "LSTM external dh");
        }

        if (!mask.IsEmpty)
        {
            Require(mask.Length, batch, "LSTM mask");
        }

        if (state == 0)
        {
            return;
        }

        fixed (float* pa = activations, pcp = cPrev, pcn = cNext, pdx = dhExternal, pdh = dhCarry, pdc = dcCarry, pdg = dGates)
        fixed (int* pm = mask)
        {
            float* act = pa, cp = pcp, cn = pcn, dx = pdx, dh = pdh, dc = pdc, dg = pdg;
            int* m = pm;
            ForRanges(batch, Grain(hidden, RowWorkGrain), (b0, b1) => backend.LstmBackward(act, cp, cn, dx, dh, dc, dg, m, b0, b1, hidden, slope));
        }
    }

    /// <summary>
    /// One fused GRU step, as <see cref="GruCellKernels.Forward"/>: inputGates [B, 3H] in: x·W + b_input, out: r, z, n;
    /// recurrentGates [B, 3H] (h_prev·U + b_recurrent) and hPrev [B, H] read; hNext [B, H] assigned; mask [B] or empty (a
    /// row with mask 0 keeps its state).
    /// </summary>
    public void GruForward(
        Span<float> inputGates, ReadOnlySpan<float> recurrentGates, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<int> mask, int batch, int hidden)
    {
        long state = RequireGruStep(inputGates.Length, recurrentGates.Length, hPrev.Length, mask, batch, hidden, "GRU input gates");
        Require(hNext.Length, state, "GRU h_next");
        if (state == 0)
        {
            return;
        }

        fixed (float* pgx = inputGates, pgh = recurrentGates, php = hPrev, phn = hNext)
        fixed (int* pm = mask)
        {
            float* gx = pgx, gh = pgh, hp = php, hn = phn;
            int* m = pm;
            ForRanges(batch, Grain(hidden, RowWorkGrain), (b0, b1) => backend.GruForward(gx, gh, hp, hn, m, b0, b1, hidden));
        }
    }

    /// <summary>
    /// One fused GRU backward step, as <see cref="GruCellKernels.Backward"/>: activations (r, z, n) and recurrentGates
    /// [B, 3H], hPrev [B, H] read; dhExternal [B, H] or empty; dhCarry [B, H] updated in place (in: the gradient into h';
    /// out: the part of dh_prev that bypasses U); dInputGates, dRecurrentGates [B, 3H] assigned; mask [B] or empty.
    /// </summary>
    public void GruBackward(
        ReadOnlySpan<float> activations,
        ReadOnlySpan<float> recurrentGates,
        ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> dhExternal,
        Span<float> dhCarry,
        Span<float> dInputGates,
        Span<float> dRecurrentGates,
        ReadOnlySpan<int> mask,
        int batch,
        int hidden)
    {
        long state = RequireGruStep(activations.Length, recurrentGates.Length, hPrev.Length, mask, batch, hidden, "GRU activations");
        Require(dhCarry.Length, state, "GRU dh carry");
        Require(dInputGates.Length, state * GruGates.Count, "GRU input gate gradients");
        Require(dRecurrentGates.Length, state * GruGates.Count, "GRU recurrent gate gradients");
        if (!dhExternal.IsEmpty)
        {
            Require(dhExternal.Length, state, "GRU external dh");
        }

        if (state == 0)
        {
            return;
        }

        fixed (float* pa = activations, pgh = recurrentGates, php = hPrev, pdx = dhExternal, pdh = dhCarry, pdgx = dInputGates, pdgh = dRecurrentGates)
        fixed (int* pm = mask)
        {
            float* act = pa, gh = pgh, hp = php, dx = pdx, dh = pdh, dgx = pdgx, dgh = pdgh;
            int* m = pm;
            ForRanges(batch, Grain(hidden, RowWorkGrain), (b0, b1) => backend.GruBackward(act, gh, hp, dx, dh, dgx, dgh, m, b0, b1, hidden));
        }
    }

    /// <summary>
    /// The lengths both GRU steps share (gates or activations and gh [B, 3H], h_prev [B, H], the mask [B] when given);
    /// returns B·H.
    /// </summary>
    private static long RequireGruStep(int gatesLength, int recurrentLength, int hPrevLength, ReadOnlySpan<int> mask, int batch, int hidden, string gatesName)
    {
        RequireNonNegative(batch, hidden, "GRU");
        long state = (long)batch * hidden;
        Require(gatesLength, state * GruGates.Count, gatesName);
        Require(recurrentLength, state * GruGates.Count, "GRU recurrent gates");
        Require(hPrevLength, state, "GRU h_prev");
        if (!mask.IsEmpty)
        {
            Require(mask.Length, batch, "GRU mask");
        }

        return state;
    }
}
