namespace Seq2Seq.Gpu.Kernels;

/// <summary>What the backward cell of one unit produces: its four gate gradients and dc_prev.</summary>
internal readonly struct CellGradients
{
    public CellGradients(FourSums gates, float cellPrevious)
    {
        Gates = gates;
        CellPrevious = cellPrevious;
    }

    /// <summary>dz_i, dz_f, dz_g, dz_o.</summary>
    public FourSums Gates { get; }

    /// <summary>dc_prev = dc_t·f.</summary>
    public float CellPrevious { get; }
}
