namespace Seq2Seq.Gpu.Cells;

/// <summary>The cells there are, one instance each (cells are stateless).</summary>
internal static class RecurrentCells
{
    private static readonly IRecurrentCell Lstm = new LstmCell();
    private static readonly IRecurrentCell Gru = new GruCell();

    /// <summary>The cell of a kind.</summary>
    public static IRecurrentCell For(CellKind kind) => kind switch
    {
        CellKind.Lstm => Lstm,
        CellKind.Gru => Gru,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cell"),
    };
}
