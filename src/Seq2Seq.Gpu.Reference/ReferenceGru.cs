namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// Reference GRU in the <c>reset_after</c> convention of Keras, cuDNN and PyTorch, gate order r, z, n in blocks of H
/// along the 3H axis. Per step, with gx = x·W + b_input and gh = h·U + b_recurrent (both [B, 3H]):
/// <code>
/// r = σ(gx_r + gh_r);  z = σ(gx_z + gh_z);  n = tanh(gx_n + r ⊙ gh_n);  h' = z ⊙ h + (1 − z) ⊙ n
/// </code>
/// The reset gate multiplies gh_n after the recurrent bias, which is why the recurrent pre-activations are kept apart
/// from the input ones and why there are two biases. As for <see cref="ReferenceLstm"/>, the input projection
/// (x·W + b_input, or the one-hot gather) is done by the caller: the sequence methods take xProj [T, B, 3H].
/// </summary>
public static class ReferenceGru
{
    /// <summary>Number of GRU gates (r, z, n) in a 3H block.</summary>
    public const int Gates = 3;

    /// <summary>
    /// One GRU step from the input pre-activations <paramref name="inputGates"/> [B, 3H] and the recurrent
    /// pre-activations <paramref name="recurrentGates"/> [B, 3H]; returns the activations (r, z, n) [B, 3H] and the new
    /// state [B, H]. A row whose mask is 0 keeps hPrev (its activations are still computed).
    /// </summary>
    public static GruStepResult CellForward(double[] inputGates, double[] recurrentGates, double[] hPrev, int[]? mask, int batch, int hidden)
    {
        ArgumentNullException.ThrowIfNull(inputGates);
        ArgumentNullException.ThrowIfNull(recurrentGates);
        ArgumentNullException.ThrowIfNull(hPrev);
        var act = new double[batch * Gates * hidden];
        var h = new double[batch * hidden];
        for (int b = 0; b < batch; b++)
        {
            int row = b * Gates * hidden;
            for (int j = 0; j < hidden; j++)
            {
                int ri = row + j, zi = row + hidden + j, ni = row + (2 * hidden) + j;
                double r = ReferenceOps.Sigmoid(inputGates[ri] + recurrentGates[ri]);
                double z = ReferenceOps.Sigmoid(inputGates[zi] + recurrentGates[zi]);
                double n = Math.Tanh(inputGates[ni] + (r * recurrentGates[ni]));
                act[ri] = r;
                act[zi] = z;
                act[ni] = n;
                int e = (b * hidden) + j;
                h[e] = mask is not null && mask[b] == 0 ? hPrev[e] : (z * hPrev[e]) + ((1 - z) * n);
            }
        }

        return new GruStepResult(act, h);
    }

    /// <summary>
    /// Back-propagates one GRU step from dh [B, H] (total gradient into h'), given the step's activations and recurrent
    /// pre-activations [B, 3H] and hPrev [B, H]. Returns the gradients of both pre-activations [B, 3H] and the part of
    /// dhPrev that does not go through U (dh·z; dh, with zero gate gradients, for masked rows).
    /// </summary>
    public static GruStepGradients CellBackward(
        double[] activations, double[] recurrentGates, double[] hPrev, double[] dh, int[]? mask, int batch, int hidden)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(recurrentGates);
        ArgumentNullException.ThrowIfNull(hPrev);
        ArgumentNullException.ThrowIfNull(dh);
        var dInput = new double[batch * Gates * hidden];
        var dRecurrent = new double[batch * Gates * hidden];
        var dhBypass = new double[batch * hidden];
        for (int b = 0; b < batch; b++)
        {
            int row = b * Gates * hidden;
            for (int j = 0; j < hidden; j++)
            {
                int e = (b * hidden) + j;
                if (mask is not null && mask[b] == 0)
                {
                    dhBypass[e] = dh[e];
                    continue;
                }

                int ri = row + j, zi = row + hidden + j, ni = row + (2 * hidden) + j;
                double r = activations[ri];
                double z = activations[zi];
                double n = activations[ni];
                double dn = dh[e] * (1 - z);
                double dz = dh[e] * (hPrev[e] - n);
                double dnPre = dn * (1 - (n * n));
                double drPre = dnPre * recurrentGates[ni] * r * (1 - r);
                double dzPre = dz * z * (1 - z);
                dInput[ri] = drPre;
                dInput[zi] = dzPre;
                dInput[ni] = dnPre;
                dRecurrent[ri] = drPre;
                dRecurrent[zi] = dzPre;
                dRecurrent[ni] = dnPre * r;
                dhBypass[e] = dh[e] * z;
            }
        }

        return new GruStepGradients(dInput, dRecurrent, dhBypass);
    }

    /// <summary>
    /// Runs T steps from h0 [B, H] over the projected inputs xProj [T, B, 3H] (x·W + b_input), with the recurrent
    /// kernel U [H, 3H] and recurrent bias [3H]; mask [T, B] (1 = real token) or null for no masking.
    /// </summary>
    public static GruSequence Forward(
        double[] xProj, double[] recurrent, double[] recurrentBias, double[] h0, int[]? mask, int steps, int batch, int hidden)
    {
        ArgumentNullException.ThrowIfNull(xProj);
        ArgumentNullException.ThrowIfNull(recurrent);
        ArgumentNullException.ThrowIfNull(recurrentBias);
        ArgumentNullException.ThrowIfNull(h0);
        int gates = Gates * hidden;
        var activations = new double[steps][];
        var recurrentGates = new double[steps][];
        var h = new double[steps + 1][];
        h[0] = (double[])h0.Clone();
        for (int t = 0; t < steps; t++)
        {
            var gx = xProj[(t * batch * gates)..((t + 1) * batch * gates)];
            var gh = new double[batch * gates];
            ReferenceOps.MatMul(h[t], recurrent, recurrentBias, gh, batch, gates, hidden);
            var step = CellForward(gx, gh, h[t], ReferenceSteps.Mask(mask, t, batch), batch, hidden);
            activations[t] = step.Activations;
            recurrentGates[t] = gh;
            h[t + 1] = step.H;
        }

        return new GruSequence(activations, recurrentGates, h);
    }

    /// <summary>
    /// Back-propagation through time. dhExternal [T, B, H] is the gradient into each step's output (or null), dhFinal
    /// [B, H] the gradient into the final state (or null).
    /// </summary>
    public static GruSequenceGradients Backward(
        GruSequence sequence, double[] recurrent, double[]? dhExternal, double[]? dhFinal, int[]? mask, int batch, int hidden)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(recurrent);
        int steps = sequence.Activations.Length;
        int gates = Gates * hidden;
        var dInputGates = new double[steps * batch * gates];
        var dRecurrentGates = new double[steps * batch * gates];
        var dRecurrent = new double[hidden * gates];
        double[] dh = dhFinal is null ? new double[batch * hidden] : (double[])dhFinal.Clone();
        for (int t = steps - 1; t >= 0; t--)
        {
            var dhTotal = ReferenceSteps.TotalDh(dh, dhExternal, t);

            var step = CellBackward(sequence.Activations[t], sequence.RecurrentGates[t], sequence.H[t], dhTotal, ReferenceSteps.Mask(mask, t, batch), batch, hidden);
            Array.Copy(step.DInputGates, 0, dInputGates, t * batch * gates, batch * gates);
            Array.Copy(step.DRecurrentGates, 0, dRecurrentGates, t * batch * gates, batch * gates);
            ReferenceOps.MatMul(sequence.H[t], step.DRecurrentGates, null, dRecurrent, hidden, gates, batch, transposeA: true, accumulate: true);
            dh = step.DhBypass;
            ReferenceOps.MatMul(step.DRecurrentGates, recurrent, null, dh, batch, hidden, gates, transposeB: true, accumulate: true);
        }

        var dRecurrentBias = new double[gates];
        ReferenceOps.ColumnSum(dRecurrentGates, dRecurrentBias, steps * batch, gates, accumulate: false);
        return new GruSequenceGradients(dInputGates, dRecurrentGates, dRecurrent, dRecurrentBias, dh);
    }
}
