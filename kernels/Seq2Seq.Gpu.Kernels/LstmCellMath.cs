namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// The LSTM cell of one hidden unit, shared by every kernel that applies it (the per-step cell kernels, the fused
/// recurrent-step kernels and the persistent decoder), so that all of them compute exactly the same floats.
/// Gate order i, f, g, o (<see cref="LstmGates"/>).
/// </summary>
internal static class LstmCellMath
{
    /// <summary>i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o), σ the recurrent activation (<see cref="GateActivations"/>).</summary>
    public static FourSums Activate(FourSums z, int activation) => new(
        Gate(z.S0, activation),
        Gate(z.S1, activation),
        Activations.Tanh(z.S2),
        Gate(z.S3, activation));

    /// <summary>σ(x) for the recurrent activation <paramref name="activation"/>.</summary>
    public static float Gate(float x, int activation)
    {
        if (activation == GateActivations.Sigmoid)
        {
            return Activations.Sigmoid(x);
        }

        float y = (x * GateActivations.HardSlope(activation)) + 0.5f;
        return y < 0f ? 0f : y > 1f ? 1f : y;
    }

    /// <summary>A hard sigmoid's derivative from y = σ(x): its slope inside the linear part (0 &lt; y &lt; 1), 0 where it clips.</summary>
    public static float HardDerivative(float y, int activation) => y > 0f && y < 1f ? GateActivations.HardSlope(activation) : 0f;

    /// <summary>c' = f·c + i·g.</summary>
    public static float NextCell(FourSums gates, float cPrev) => (gates.S1 * cPrev) + (gates.S0 * gates.S2);

    /// <summary>h' = o·tanh(c').</summary>
    public static float NextHidden(FourSums gates, float cNext) => gates.S3 * Activations.Tanh(cNext);

    /// <summary>
    /// Gradients of one unit for dh (the total gradient into h') and dc (from step t+1):
    /// <c>dc_t = dc + dh·o·(1 - tanh²(c')); dz_i = dc_t·g·i(1-i); dz_f = dc_t·c·f(1-f); dz_g = dc_t·i·(1-g²);
    /// dz_o = dh·tanh(c')·o(1-o); dc_prev = dc_t·f</c>, with a hard sigmoid's <see cref="HardDerivative"/> in place of y(1-y).
    /// </summary>
    public static CellGradients Backward(FourSums gates, float cPrev, float cNext, float dh, float dc, int activation)
    {
        float i = gates.S0;
        float f = gates.S1;
        float g = gates.S2;
        float o = gates.S3;
        float tc = Activations.Tanh(cNext);
        float dct = dc + (dh * o * (1f - (tc * tc)));
        // The sigmoid's products keep their order (and so their rounding) from before the hard sigmoids existed.
        var dz = activation == GateActivations.Sigmoid
            ? new FourSums(
                dct * g * i * (1f - i),
                dct * cPrev * f * (1f - f),
                dct * i * (1f - (g * g)),
                dh * tc * o * (1f - o))
            : new FourSums(
                dct * g * HardDerivative(i, activation),
                dct * cPrev * HardDerivative(f, activation),
                dct * i * (1f - (g * g)),
                dh * tc * HardDerivative(o, activation));
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
