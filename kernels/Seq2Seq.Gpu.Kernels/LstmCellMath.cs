namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The LSTM cell of one hidden unit, shared by every kernel that applies it (the per-step cell kernels, the fused
/// recurrent-step kernels and the persistent decoder), so that all of them compute exactly the same floats.
/// Gate order i, f, g, o (<see cref="LstmGates"/>).
/// </summary>
internal static class LstmCellMath
{
    /// <summary>i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o).</summary>
    public static FourSums Activate(FourSums z) => new(
        Activations.Sigmoid(z.S0),
        Activations.Sigmoid(z.S1),
        Activations.Tanh(z.S2),
        Activations.Sigmoid(z.S3));

    /// <summary>c' = f·c + i·g.</summary>
    public static float NextCell(FourSums gates, float cPrev) => (gates.S1 * cPrev) + (gates.S0 * gates.S2);

    /// <summary>h' = o·tanh(c').</summary>
    public static float NextHidden(FourSums gates, float cNext) => gates.S3 * Activations.Tanh(cNext);

    /// <summary>
    /// Gradients of one unit for dh (the total gradient into h') and dc (from step t+1):
    /// <c>dc_t = dc + dh·o·(1 - tanh²(c')); dz_i = dc_t·g·i(1-i); dz_f = dc_t·c·f(1-f); dz_g = dc_t·i·(1-g²);
    /// dz_o = dh·tanh(c')·o(1-o); dc_prev = dc_t·f</c>.
    /// </summary>
    public static CellGradients Backward(FourSums gates, float cPrev, float cNext, float dh, float dc)
    {
        float i = gates.S0;
        float f = gates.S1;
        float g = gates.S2;
        float o = gates.S3;
        float tc = Activations.Tanh(cNext);
        float dct = dc + (dh * o * (1f - (tc * tc)));
        var dz = new FourSums(
            dct * g * i * (1f - i),
            dct * cPrev * f * (1f - f),
            dct * i * (1f - (g * g)),
            dh * tc * o * (1f - o));
        return new CellGradients(dz, dct * f);
    }

    /// <summary>Reads the four gate values of unit j of row b from a [B, 4H] buffer.</summary>
    public static FourSums Load(ILGPU.ArrayView<float> gates, int b, int j, int hidden)
    {
        long row = (long)b * LstmGates.Count * hidden;
        return new FourSums(gates[row + j], gates[row + hidden + j], gates[row + (2 * hidden) + j], gates[row + (3 * hidden) + j]);
    }

    /// <summary>Writes the four gate values of unit j of row b into a [B, 4H] buffer.</summary>
    public static void Store(ILGPU.ArrayView<float> gates, int b, int j, int hidden, FourSums values)
    {
        long row = (long)b * LstmGates.Count * hidden;
        gates[row + j] = values.S0;
        gates[row + hidden + j] = values.S1;
        gates[row + (2 * hidden) + j] = values.S2;
        gates[row + (3 * hidden) + j] = values.S3;
    }

    /// <summary>Element-wise sum of two quadruples.</summary>
    public static FourSums Add(FourSums a, FourSums b) => new(a.S0 + b.S0, a.S1 + b.S1, a.S2 + b.S2, a.S3 + b.S3);
}
