using ILGPU;
using Seq2Seq.Gpu.Kernels;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The dropout of one side (encoder or decoder) in one training step: the rate and the coordinates of its masks (run
/// seed, global step, side), and a scratch buffer [T·B, H] for a layer's dropped inputs. Sites: layer 0's site is the
/// embedding output, layer l ≥ 1's the outputs of layer l - 1 as they enter layer l; site id = side·16 + layer.
/// <para>
/// No mask is stored: the embedding output is dropped in place (it is kept per side, and the backward pass reads it
/// dropped), and a lower layer's outputs, which its own backward pass needs undropped, are dropped into the scratch
/// both in the forward pass and again in the backward pass (<see cref="DropoutMask"/> is a pure function of the element
/// index, so recomputing costs a launch, not a [T, B, H] buffer per layer).
/// </para>
/// <para>
/// A bidirectional encoder gives its one dropout to both directions: each direction's layer drops its own inputs (its
/// embedding output, or the concatenation below, H wide, in its own time order) with the site's mask, one direction
/// after the other through the same scratch.
/// </para>
/// </summary>
internal sealed class StackDropout
{
    /// <summary>Site ids a side reserves (more than <see cref="Models.Seq2SeqConfig.MaxLayers"/>).</summary>
    public const int SitesPerSide = 16;

    private readonly double rate;
    private readonly ulong seed;
    private readonly long step;
    private readonly int side;
    private readonly ArrayView<float> scratch;

    /// <param name="rate">p, in (0, 1).</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="step">The global training step (the optimizer step this pass computes gradients for).</param>
    /// <param name="side">0 for the encoder, 1 for the decoder.</param>
    /// <param name="scratch">At least [T·B, H] floats, free during this side's forward pass and between layers of its backward pass.</param>
    public StackDropout(double rate, ulong seed, long step, int side, ArrayView<float> scratch)
    {
        this.rate = rate;
        this.seed = seed;
        this.step = step;
        this.side = side;
        this.scratch = scratch;
    }

    /// <summary>The mask of the inputs of layer <paramref name="layer"/> (its embedding output for layer 0).</summary>
    public DropoutMask Mask(int layer) => DropoutMask.Create(rate, seed, step, (side * SitesPerSide) + layer);

    /// <summary>The first <paramref name="count"/> floats of the scratch.</summary>
    public ArrayView<float> Scratch(long count) => scratch.SubView(0, count);
}
