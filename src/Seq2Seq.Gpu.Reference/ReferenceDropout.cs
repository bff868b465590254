namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// Inverted dropout for a reference training pass, with masks given by the caller (the reference does not draw them,
/// so it can check an engine's pass against the engine's own masks): where a layer's inputs are dropped, each kept
/// value is multiplied by 1/(1-<see cref="Rate"/>) and each dropped one is 0, in the forward pass and in the gradient.
/// Layer 0's inputs are the embedding outputs (none with one-hot inputs); layer l ≥ 1's are the outputs of layer l - 1.
/// </summary>
/// <param name="Rate">The dropout rate p, in [0, 1).</param>
/// <param name="Keep">
/// The keep flags of the inputs [T·B, width] of a layer, by side (0 for the encoder, 1 for the decoder), layer and
/// element count.
/// </param>
public sealed record ReferenceDropout(double Rate, Func<int, int, int, bool[]> Keep)
{
    /// <summary>The inputs of layer <paramref name="layer"/> of side <paramref name="side"/> (or their gradient) through the mask.</summary>
    public double[] Apply(int side, int layer, double[] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return ReferenceOps.Dropout(x, Keep(side, layer, x.Length), Rate);
    }
}
