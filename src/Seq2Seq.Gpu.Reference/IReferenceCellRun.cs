namespace Seq2Seq.Gpu.Reference;

/// <summary>One layer's forward run of an <see cref="IReferenceCell"/>, kept for its backward pass.</summary>
internal interface IReferenceCellRun
{
    /// <summary>Hidden states [B, H], T + 1 of them (H[0] the initial state).</summary>
    double[][] H { get; }

    /// <summary>The final state (C is empty for a GRU).</summary>
    (double[] H, double[] C) Final { get; }

    /// <summary>
    /// Back-propagation through time from dhExternal [T, B, H] (gradient into each step's output, or null) and the
    /// gradient into the final state (dc is ignored by a GRU; either may be null).
    /// </summary>
    ReferenceCellGradients Backward(double[]? dhExternal, double[]? dhFinal, double[]? dcFinal);
}
