namespace Seq2Seq.Gpu.Reference;

/// <summary>Slicing helpers shared by the recurrent cells' sequence passes (time-major [T, B, ...] arrays).</summary>
internal static class ReferenceSteps
{
    /// <summary>Step t's slice [B] of a [T, B] mask, or null for no masking.</summary>
    public static int[]? Mask(int[]? mask, int t, int batch) => mask?[(t * batch)..((t + 1) * batch)];

    /// <summary>
    /// The total gradient into step t's output h_t [B, H]: the carry from step t+1 plus step t's slice of
    /// dhExternal [T, B, H] (if any). Returns a new array; the carry is not changed.
    /// </summary>
    public static double[] TotalDh(double[] carry, double[]? dhExternal, int t)
    {
        var total = (double[])carry.Clone();
        if (dhExternal is not null)
        {
            for (int e = 0; e < total.Length; e++)
            {
                total[e] += dhExternal[(t * total.Length) + e];
            }
        }

        return total;
    }
}
