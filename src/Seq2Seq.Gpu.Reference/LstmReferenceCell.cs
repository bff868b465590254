namespace Seq2Seq.Gpu.Reference;

/// <summary>The LSTM behind <see cref="IReferenceCell"/>: <see cref="ReferenceLstm"/>, one bias [4H] added with the input projection, its gates' activation by name.</summary>
internal sealed class LstmReferenceCell(int hidden, string activation) : IReferenceCell
{
    public int Units => hidden;

    public int Gates => ReferenceOps.Gates;

    public double[] InputBias(double[] bias) => bias;

    public (double[] H, double[] C) InitialState(int batch) => (new double[batch * hidden], new double[batch * hidden]);

    public IReferenceCellRun Forward(double[] xProj, double[] recurrent, double[] bias, (double[] H, double[] C) initial, int[]? mask, int steps, int batch) =>
        new Run(ReferenceLstm.Forward(xProj, recurrent, initial.H, initial.C, mask, steps, batch, hidden, activation), recurrent, mask, batch, hidden, activation);

    private sealed class Run(LstmSequence sequence, double[] recurrent, int[]? mask, int batch, int hidden, string activation) : IReferenceCellRun
    {
        public double[][] H => sequence.H;

        public (double[] H, double[] C) Final => (sequence.H[^1], sequence.C[^1]);

        public ReferenceCellGradients Backward(double[]? dhExternal, double[]? dhFinal, double[]? dcFinal)
        {
            var g = ReferenceLstm.Backward(sequence, recurrent, dhExternal, dhFinal, dcFinal, mask, batch, hidden, activation);
            int gates = ReferenceOps.Gates * hidden;
            var dBias = new double[gates];
            ReferenceOps.ColumnSum(g.DGates, dBias, g.DGates.Length / gates, gates, accumulate: false);
            return new ReferenceCellGradients(g.DGates, g.DRecurrent, dBias, g.DhInitial, g.DcInitial);
        }
    }
}
