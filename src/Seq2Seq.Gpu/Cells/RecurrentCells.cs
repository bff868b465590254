namespace Seq2Seq.Gpu.Cells;

/// <summary>The cells there are, one instance each (cells are stateless).</summary>
internal static class RecurrentCells
{
    private static readonly IRecurrentCell Lstm = new LstmCell();
    private static readonly IRecurrentCell LstmHardKeras2 = new LstmCell(RecurrentActivation.HardSigmoidKeras2);
    private static readonly IRecurrentCell LstmHardKeras3 = new LstmCell(RecurrentActivation.HardSigmoidKeras3);
    private static readonly IRecurrentCell Gru = new GruCell();

    /// <summary>The cell of a kind.</summary>
    public static IRecurrentCell For(CellKind kind, RecurrentActivation activation = RecurrentActivation.Sigmoid) => kind switch
    {
        CellKind.Lstm when activation == RecurrentActivation.HardSigmoidKeras2 => LstmHardKeras2,
        CellKind.Lstm when activation == RecurrentActivation.HardSigmoidKeras3 => LstmHardKeras3,
        CellKind.Lstm => Lstm,
        CellKind.Gru => Gru,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cell"),
    };
}
