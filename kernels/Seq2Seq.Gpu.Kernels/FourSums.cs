namespace Seq2Seq.Gpu.Kernels;

/// <summary>
/// Four floats a thread carries in registers: the four gate values (i, f, g, o) of one hidden unit, or four output
/// columns of a tile. A struct so that device helpers can return them by value.
/// </summary>
internal struct FourSums
{
    /// <summary>Gate i (or column 0).</summary>
    public float S0;

    /// <summary>Gate f (or column 1).</summary>
    public float S1;

    /// <summary>Gate g (or column 2).</summary>
    public float S2;

    /// <summary>Gate o (or column 3).</summary>
    public float S3;

    public FourSums(float s0, float s1, float s2, float s3)
    {
        S0 = s0;
        S1 = s1;
        S2 = s2;
        S3 = s3;
    }
}
