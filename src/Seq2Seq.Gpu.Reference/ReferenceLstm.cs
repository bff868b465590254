namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// Reference LSTM over a whole sequence, built on <see cref="ReferenceOps"/>. The input projection (x·W + b, or the
/// one-hot gather) is done by the caller, so the same code serves both input modes: it takes the projected inputs
/// xProj [T, B, 4H] and the recurrent kernel U [H, 4H].
/// </summary>
public static class ReferenceLstm
{
    /// <summary>Runs T steps from (h0, c0); mask [T, B] (1 = real token) or null for no masking.</summary>
    public static LstmSequence Forward(double[] xProj, double[] recurrent, double[] h0, double[] c0, int[]? mask, int steps, int batch, int hidden, string activation = ReferenceArchitecture.Sigmoid)
    {
        ArgumentNullException.ThrowIfNull(xProj);
        ArgumentNullException.ThrowIfNull(recurrent);
        int gates = ReferenceOps.Gates * hidden;
        var activations = new double[steps][];
        var c = new double[steps + 1][];
        var h = new double[steps + 1][];
        c[0] = (double[])c0.Clone();
        h[0] = (double[])h0.Clone();
        for (int t = 0; t < steps; t++)
        {
            var z = new double[batch * gates];
            Array.Copy(xProj, t * batch * gates, z, 0, batch * gates);
            ReferenceOps.MatMul(h[t], recurrent, null, z, batch, gates, hidden, accumulate: true);
            var step = ReferenceOps.LstmCellForward(z, c[t], h[t], ReferenceSteps.Mask(mask, t, batch), batch, hidden, activation);
            activations[t] = step.Activations;
            c[t + 1] = step.C;
            h[t + 1] = step.H;
        }

        return new LstmSequence(activations, c, h);
    }

    /// <summary>
    /// Back-propagation through time. dhExternal [T, B, H] is the gradient into each step's output (or null),
    /// dhFinal and dcFinal [B, H] the gradient into the final state (or null).
    /// </summary>
    public static LstmSequenceGradients Backward(
        LstmSequence sequence, double[] recurrent, double[]? dhExternal, double[]? dhFinal, double[]? dcFinal, int[]? mask, int batch, int hidden, string activation = ReferenceArchitecture.Sigmoid)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(recurrent);
        int steps = sequence.Activations.Length;
        int gates = ReferenceOps.Gates * hidden;
        var dGates = new double[steps * batch * gates];
        var dRecurrent = new double[hidden * gates];
        double[] dh = dhFinal is null ? new double[batch * hidden] : (double[])dhFinal.Clone();
        double[] dc = dcFinal is null ? new double[batch * hidden] : (double[])dcFinal.Clone();
        for (int t = steps - 1; t >= 0; t--)
        {
            var dhTotal = ReferenceSteps.TotalDh(dh, dhExternal, t);

            var step = ReferenceOps.LstmCellBackward(
                sequence.Activations[t], sequence.C[t], sequence.C[t + 1], dhTotal, dc, ReferenceSteps.Mask(mask, t, batch), batch, hidden, activation);
            Array.Copy(step.DGates, 0, dGates, t * batch * gates, batch * gates);
            ReferenceOps.MatMul(sequence.H[t], step.DGates, null, dRecurrent, hidden, gates, batch, transposeA: true, accumulate: true);
            dh = step.DhBypass;
            ReferenceOps.MatMul(step.DGates, recurrent, null, dh, batch, hidden, gates, transposeB: true, accumulate: true);
            dc = step.DcPrev;
        }

        return new LstmSequenceGradients(dGates, dRecurrent, dh, dc);
    }
}
