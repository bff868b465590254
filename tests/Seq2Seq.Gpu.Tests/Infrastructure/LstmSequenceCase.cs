using Seq2Seq.Gpu.Reference;

namespace Seq2Seq.Gpu.Tests.Infrastructure;

/// <summary>
/// Random inputs of one LSTM layer run over T steps with a ragged mask (row b stops b mod 3 steps early), and what
/// the reference makes of them: the projected inputs [T, B, 4H], U [H, 4H], the initial state, the gradients from
/// above [T, B, H] and into the final state, the forward states and the backward gradients.
/// </summary>
public sealed class LstmSequenceCase
{
    private LstmSequenceCase(int steps, int batch, int hidden, ulong seed, string activation)
    {
        Steps = steps;
        Batch = batch;
        Hidden = hidden;
        int gates = 4 * hidden;
        int state = batch * hidden;
        Projected = Tensors.Random(steps * batch * gates, seed);
        Recurrent = Tensors.Random(hidden * gates, seed + 1, 0.5);
        H0 = Tensors.Random(state, seed + 2);
        C0 = Tensors.Random(state, seed + 3);
        DhOut = Tensors.Random(steps * state, seed + 4);
        DhFinal = Tensors.Random(state, seed + 5);
        DcFinal = Tensors.Random(state, seed + 6);
        Mask = new int[steps * batch];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                Mask[(t * batch) + b] = t < Math.Max(1, steps - (b % 3)) ? 1 : 0;
            }
        }

        Forward = ReferenceLstm.Forward(Projected.ToDouble(), Recurrent.ToDouble(), H0.ToDouble(), C0.ToDouble(), Mask, steps, batch, hidden, activation);
        Gradients = ReferenceLstm.Backward(Forward, Recurrent.ToDouble(), DhOut.ToDouble(), DhFinal.ToDouble(), DcFinal.ToDouble(), Mask, batch, hidden, activation);
    }

    public int Steps { get; }

    public int Batch { get; }

    public int Hidden { get; }

    public float[] Projected { get; }

    public float[] Recurrent { get; }

    public float[] H0 { get; }

    public float[] C0 { get; }

    public float[] DhOut { get; }

    public float[] DhFinal { get; }

    public float[] DcFinal { get; }

    public int[] Mask { get; }

    public LstmSequence Forward { get; }

    public LstmSequenceGradients Gradients { get; }

    /// <summary>Draws a case from a seed; the reference's gates use <paramref name="activation"/>.</summary>
    public static LstmSequenceCase Create(int steps, int batch, int hidden, ulong seed, string activation = ReferenceArchitecture.Sigmoid) =>
        new(steps, batch, hidden, seed, activation);

    /// <summary>Checks the device's states [T + 1, B, H] and gradients against the reference.</summary>
    public void AssertMatches(float[] h, float[] c, float[] dGates, float[] dhInitial, float[] dcInitial)
    {
        Tensors.AssertClose(h, Forward.H.SelectMany(x => x).ToArray(), "h sequence", 1e-5, 1e-4);
        Tensors.AssertClose(c, Forward.C.SelectMany(x => x).ToArray(), "c sequence", 1e-5, 1e-4);
        Tensors.AssertClose(dGates, Gradients.DGates, "d gates", 1e-5, 1e-4);
        Tensors.AssertClose(dhInitial, Gradients.DhInitial, "d h0", 1e-5, 1e-4);
        Tensors.AssertClose(dcInitial, Gradients.DcInitial, "d c0", 1e-5, 1e-4);
    }
}
