namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// The GRU behind <see cref="IReferenceCell"/>: <see cref="ReferenceGru"/>. Its bias [2, 3H] is split: row 0 goes with
/// the input projection, row 1 into the recurrent pre-activations (where the reset gate multiplies its n block).
/// </summary>
internal sealed class GruReferenceCell(int hidden) : IReferenceCell
{
    public int Units => hidden;

    public int Gates => ReferenceGru.Gates;

    public double[] InputBias(double[] bias) => bias[..(ReferenceGru.Gates * hidden)];

    public (double[] H, double[] C) InitialState(int batch) => (new double[batch * hidden], []);

    public IReferenceCellRun Forward(double[] xProj, double[] recurrent, double[] bias, (double[] H, double[] C) initial, int[]? mask, int steps, int batch)
    {
        var recurrentBias = bias[(ReferenceGru.Gates * hidden)..];
        return new Run(ReferenceGru.Forward(xProj, recurrent, recurrentBias, initial.H, mask, steps, batch, hidden), recurrent, mask, batch, hidden);
    }

    private sealed class Run(GruSequence sequence, double[] recurrent, int[]? mask, int batch, int hidden) : IReferenceCellRun
    {
        public double[][] H => sequence.H;

        public (double[] H, double[] C) Final => (sequence.H[^1], []);

        public ReferenceCellGradients Backward(double[]? dhExternal, double[]? dhFinal, double[]? dcFinal)
        {
            var g = ReferenceGru.Backward(sequence, recurrent, dhExternal, dhFinal, mask, batch, hidden);
            int gates = ReferenceGru.Gates * hidden;

            // [2, 3H]: row 0 the input bias (added with every step's input projection), row 1 the recurrent bias.
            var dBias = new double[2 * gates];
            ReferenceOps.ColumnSum(g.DInputGates, dBias, g.DInputGates.Length / gates, gates, accumulate: false);
            g.DRecurrentBias.CopyTo(dBias, gates);
            return new ReferenceCellGradients(g.DInputGates, g.DRecurrent, dBias, g.DhInitial, []);
        }
    }
}
