namespace Seq2Seq.Gpu.Cells;

/// <summary>The recurrent cell of a model's encoder and decoder layers.</summary>
public enum CellKind
{
    /// <summary>
    /// The LSTM of Keras and cuDNN: gates i, f, g, o in blocks of H; one bias [4H] (the forget block initialised to 1).
    /// State (h, c).
    /// </summary>
    Lstm,

    /// <summary>
    /// The GRU of Keras (<c>reset_after=True</c>) and cuDNN: gates r, z, n in blocks of H,
    /// <c>n = tanh(x·W_n + b_n + r ⊙ (h·U_n + b_rn))</c>, <c>h' = z ⊙ h + (1 − z) ⊙ n</c>; bias [2, 3H] as Keras stores it
    /// (row 0 added to x·W, row 1 to h·U). State h.
    /// </summary>
    Gru,
}
