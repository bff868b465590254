namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// What <see cref="ReferenceSeq2Seq"/> needs of a recurrent cell, for one hidden size H. A state is (H [B, H], C [B, H])
/// for an LSTM and (H, []) for a GRU, which has no cell state; gradients of states take the same shape.
/// </summary>
internal interface IReferenceCell
{
    /// <summary>Units H of the cell (the width of its state).</summary>
    int Units { get; }

    /// <summary>Gates per unit: 4 (LSTM) or 3 (GRU); the projections are [rows, Gates·H].</summary>
    int Gates { get; }

    /// <summary>The part of a layer's bias that the input projection adds, [Gates·H] (all of an LSTM's, row 0 of a GRU's).</summary>
    double[] InputBias(double[] bias);

    /// <summary>The zero state for a batch of <paramref name="batch"/> rows.</summary>
    (double[] H, double[] C) InitialState(int batch);

    /// <summary>Runs T steps over the projected inputs xProj [T, B, Gates·H] with recurrent kernel [H, Gates·H] and the layer's whole bias.</summary>
    IReferenceCellRun Forward(double[] xProj, double[] recurrent, double[] bias, (double[] H, double[] C) initial, int[]? mask, int steps, int batch);
}
