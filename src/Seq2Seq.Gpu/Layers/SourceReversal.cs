using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Layers;

/// <summary>
/// The host-side index maps of a bidirectional encoder for one batch, so that reversal and concatenation are row
/// gathers (<c>DeviceOps.Gather</c>) and no new kernel is needed. Row t·B + b of a time-major [T, B] sequence is
/// reversed over its TRUE length len_b: step t &lt; len_b takes step len_b − 1 − t, padding (t ≥ len_b) stays where it
/// is. The mask is a prefix mask, so it is unchanged by this reversal; with no mask (Keras-compatible mode) every
/// length is T. The reversal is an involution, so reversing twice is the identity.
/// <para>
/// "Pair" tables stack the two directions' outputs, [2·T·B, U]: rows 0..T·B − 1 the forward direction's (source
/// order), rows T·B.. the backward direction's (reversed order). A concatenation [T, B, 2U] is [2·T·B, U] row-major
/// (row 2·(t·B + b) the forward half, the next the backward half), so it is a gather of pair rows.
/// </para>
/// </summary>
internal sealed class SourceReversal
{
    private SourceReversal(int[] reversedIds, int[] concatSource, int[] concatReversed, int[] splitSource, int[] interleave, int[] split)
    {
        ReversedIds = reversedIds;
        ConcatSource = concatSource;
        ConcatReversed = concatReversed;
        SplitSource = splitSource;
        Interleave = interleave;
        Split = split;
    }

    /// <summary>The source ids, each sentence reversed over its length, [T·B].</summary>
    public int[] ReversedIds { get; }

    /// <summary>[forward_t; backward_t] in source order, as pair rows [2·T·B].</summary>
    public int[] ConcatSource { get; }

    /// <summary>[forward; backward] in reversed order (what the backward direction's upper layer reads), as pair rows [2·T·B].</summary>
    public int[] ConcatReversed { get; }

    /// <summary>The inverse of <see cref="ConcatSource"/> (pair row ← concatenation row) [2·T·B]: its gradient is a gather too.</summary>
    public int[] SplitSource { get; }

    /// <summary>[forward final; backward final] per row from the pair [2·B, U] of final states, [2·B].</summary>
    public int[] Interleave { get; }

    /// <summary>The inverse of <see cref="Interleave"/>: a [B, 2U] state gradient to the pair [2·B, U], [2·B].</summary>
    public int[] Split { get; }

    /// <summary>
    /// The maps for a batch of source <paramref name="ids"/> [T·B] with <paramref name="mask"/> [T·B] (1 = real step,
    /// a prefix of each column) or null (nothing masked: every sentence is T long).
    /// </summary>
    public static SourceReversal Create(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, bool masked, int steps, int batch)
    {
        int rows = steps * batch;
        var lengths = Lengths(mask, masked, steps, batch);
        var reversedIds = new int[rows];
        var concatSource = new int[2 * rows];
        var concatReversed = new int[2 * rows];
        var splitSource = new int[2 * rows];
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (t * batch) + b;
                int reversed = (Reverse(t, lengths[b]) * batch) + b;
                reversedIds[row] = ids[reversed];
                concatSource[2 * row] = row;
                concatSource[(2 * row) + 1] = rows + reversed;
                concatReversed[2 * row] = reversed;
                concatReversed[(2 * row) + 1] = rows + row;
            }
        }

        for (int r = 0; r < 2 * rows; r++)
        {
            splitSource[concatSource[r]] = r;
        }

        var interleave = new int[2 * batch];
        var split = new int[2 * batch];
        for (int b = 0; b < batch; b++)
        {
            interleave[2 * b] = b;
            interleave[(2 * b) + 1] = batch + b;
            split[b] = 2 * b;
            split[batch + b] = (2 * b) + 1;
        }

        return new SourceReversal(reversedIds, concatSource, concatReversed, splitSource, interleave, split);
    }

    /// <summary>Step t of a sentence of <paramref name="length"/> steps, reversed: length − 1 − t inside it, t on padding.</summary>
    public static int Reverse(int t, int length) => t < length ? length - 1 - t : t;

    private static int[] Lengths(ReadOnlySpan<int> mask, bool masked, int steps, int batch)
    {
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int length = masked ? 0 : steps;
            for (int t = 0; masked && t < steps; t++)
            {
                if (mask[(t * batch) + b] != 0)
                {
                    // Reversal over the true length needs the real steps first: a hole would be reversed into the sentence.
                    if (length != t)
                    {
                        throw new ShapeException($"source mask of row {b} is not a prefix (step {t} is real after padding): a bidirectional encoder needs sources padded at the end");
                    }

                    length++;
                }
            }

            lengths[b] = length;
        }

        return lengths;
    }
}
