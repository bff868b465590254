using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Data;

/// <summary>
/// One batch in the layout the kernels use: time-major, row-major flat arrays, so the id of sequence <c>b</c> at
/// step <c>t</c> is at <c>[t * BatchSize + b]</c>.
/// </summary>
/// <remarks>
/// <para>Teacher forcing: for a wrapped target <c>START t1 … tn END</c>, the decoder input is
/// <c>START t1 … tn</c> and the decoder target is <c>t1 … tn END</c>.</para>
/// <para><see cref="VocabularyScheme.Standard"/>: padded to the batch's own longest sequences (source: longest
/// source; target: longest <c>n + 1</c>). Padded source positions hold PAD with mask 0; padded decoder inputs hold
/// PAD, padded decoder targets hold <see cref="IgnoredTarget"/> (-1), and their mask is 0.</para>
/// <para><see cref="VocabularyScheme.KerasCompatible"/>: as the Keras example's arrays. The decoder input is the
/// whole wrapped target (<c>"\t" … "\n"</c>) padded to <see cref="TargetSteps"/> with the space;
/// <c>target[t] = input[t + 1]</c>, padded with the space, so the last step's target is always the space. The
/// source is padded with the space. All masks are 1: the padding is seen by the encoder and counts in the loss,
/// as in Keras. A dataset pads every batch to its dataset-wide maxima (e.g. 16 and 59).</para>
/// </remarks>
internal sealed class Batch
{
    /// <summary>The decoder target at a padded position in the Standard scheme: ignored by the loss.</summary>
    public const int IgnoredTarget = -1;

    private Batch(VocabularyScheme scheme, int batchSize, int sourceSteps, int targetSteps, IReadOnlyList<int> pairIndices)
    {
        Scheme = scheme;
        BatchSize = batchSize;
        SourceSteps = sourceSteps;
        TargetSteps = targetSteps;
        PairIndices = pairIndices;
        SourceIds = new int[sourceSteps * batchSize];
        SourceMask = new int[sourceSteps * batchSize];
        DecoderInputIds = new int[targetSteps * batchSize];
        DecoderTargetIds = new int[targetSteps * batchSize];
        TargetMask = new int[targetSteps * batchSize];
        SourceLengths = new int[batchSize];
        TargetLengths = new int[batchSize];
    }

    /// <summary>The scheme that decided the padding and masking.</summary>
    public VocabularyScheme Scheme { get; }

    /// <summary>B: the number of sequences.</summary>
    public int BatchSize { get; }

    /// <summary>Ts: the encoder steps.</summary>
    public int SourceSteps { get; }

    /// <summary>Tt: the decoder steps (0 for a batch made without targets).</summary>
    public int TargetSteps { get; }

    /// <summary>Source ids, [Ts, B] flat (<c>[t * B + b]</c>); padded positions hold the source PAD id.</summary>
    public int[] SourceIds { get; }

    /// <summary>[Ts, B]: 1 where the source has a real token, 0 at padding (all 1 in the Keras-compatible scheme).</summary>
    public int[] SourceMask { get; }

    /// <summary>Teacher-forcing decoder input, [Tt, B]: START then the target tokens; padding holds the target PAD id.</summary>
    public int[] DecoderInputIds { get; }

    /// <summary>Decoder targets, [Tt, B]: the target tokens then END; padding holds <see cref="IgnoredTarget"/>
    /// (Standard) or the space id (Keras-compatible).</summary>
    public int[] DecoderTargetIds { get; }

    /// <summary>[Tt, B]: 1 where the target counts in the loss and metrics, else 0.</summary>
    public int[] TargetMask { get; }

    /// <summary>Per sequence: the number of real source tokens.</summary>
    public int[] SourceLengths { get; }

    /// <summary>Per sequence: the number of real decoder steps (target tokens plus END, i.e. <c>n + 1</c>).</summary>
    public int[] TargetLengths { get; }

    /// <summary>The number of target positions with mask 1.</summary>
    public int CountedTargets { get; private set; }

    /// <summary>Which pairs of the dataset are in the batch, in row order (for a batch made from explicit
    /// sequences: the indices given, or 0 … B-1).</summary>
    public IReadOnlyList<int> PairIndices { get; }

    /// <summary>Makes a batch from explicit id sequences, padded and masked by the encoder's scheme.</summary>
    /// <param name="encoder">Gives the vocabularies (pad ids, id ranges) and the scheme.</param>
    /// <param name="sources">Source ids per sequence, without markers (as <see cref="TextEncoder.EncodeSource"/>).</param>
    /// <param name="targets">Wrapped target ids per sequence, START … END (as <see cref="TextEncoder.EncodeTarget"/>),
    /// or <see langword="null"/> for a batch without decoder steps.</param>
    /// <param name="sourceSteps">Ts to pad to; <see langword="null"/>: the longest source in the batch.</param>
    /// <param name="targetSteps">Tt to pad to; <see langword="null"/>: the longest in the batch (Standard: the longest
    /// wrapped target minus 1; Keras-compatible: the longest wrapped target).</param>
    /// <param name="pairIndices">What to report as <see cref="PairIndices"/>; <see langword="null"/>: 0 … B-1.</param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentException">No sequences, counts that differ, a target that is not wrapped in
    /// START … END, or an id outside its vocabulary.</exception>
    /// <exception cref="ShapeException">A sequence longer than the steps asked for.</exception>
    public static Batch Create(
        TextEncoder encoder,
        IReadOnlyList<IReadOnlyList<int>> sources,
        IReadOnlyList<IReadOnlyList<int>>? targets = null,
        int? sourceSteps = null,
        int? targetSteps = null,
        IReadOnlyList<int>? pairIndices = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(sources);
        int batchSize = sources.Count;
        if (batchSize < 1)
        {
            throw new ArgumentException("A batch needs at least one sequence.", nameof(sources));
        }

        if (targets is not null && targets.Count != batchSize)
        {
            throw new ArgumentException($"There are {batchSize} sources but {targets.Count} targets.", nameof(targets));
        }

        if (pairIndices is not null && pairIndices.Count != batchSize)
        {
            throw new ArgumentException($"There are {batchSize} sources but {pairIndices.Count} pair indices.", nameof(pairIndices));
        }

        if (sourceSteps is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sourceSteps), sourceSteps, "Steps must be at least 0.");
        }

        if (targetSteps is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(targetSteps), targetSteps, "Steps must be at least 0.");
        }

        bool keras = encoder.Scheme == VocabularyScheme.KerasCompatible;
        Vocabulary sv = encoder.SourceVocabulary;
        Vocabulary tv = encoder.TargetVocabulary;
        int targetShift = keras ? 0 : 1;

        int longestSource = 0, longestTarget = 0;
        for (int b = 0; b < batchSize; b++)
        {
            IReadOnlyList<int> source = sources[b] ?? throw new ArgumentException($"Source {b} is null.", nameof(sources));
            CheckIds(source, sv.Count, "source", b, nameof(sources));
            longestSource = Math.Max(longestSource, source.Count);
            if (targets is not null)
            {
                IReadOnlyList<int> target = targets[b] ?? throw new ArgumentException($"Target {b} is null.", nameof(targets));
                if (target.Count < 2 || target[0] != tv.StartId || target[^1] != tv.EndId)
                {
                    throw new ArgumentException(
                        $"Target {b} must start with START (id {tv.StartId}) and end with END (id {tv.EndId}); encode it with TextEncoder.EncodeTarget.",
                        nameof(targets));
                }

                CheckIds(target, tv.Count, "target", b, nameof(targets));
                longestTarget = Math.Max(longestTarget, target.Count - targetShift);
            }
        }

        int ts = sourceSteps ?? longestSource;
        int tt = targets is null ? 0 : targetSteps ?? longestTarget;
        if (longestSource > ts)
        {
            throw new ShapeException($"A source has {longestSource} tokens but the batch has {ts} source steps.");
        }

        if (longestTarget > tt)
        {
            throw new ShapeException($"A target needs {longestTarget} decoder steps but the batch has {tt}.");
        }

        IReadOnlyList<int> indices = pairIndices is null ? Enumerable.Range(0, batchSize).ToArray() : [.. pairIndices];
        var batch = new Batch(encoder.Scheme, batchSize, ts, tt, indices);
        batch.Fill(sources, targets, sv.PadId, tv.PadId, keras);
        return batch;
    }

    private static void CheckIds(IReadOnlyList<int> ids, int count, string what, int row, string paramName)
    {
        for (int i = 0; i < ids.Count; i++)
        {
            if ((uint)ids[i] >= (uint)count)
            {
                throw new ArgumentException($"The {what} of row {row} has id {ids[i]} at position {i}, outside [0, {count}).", paramName);
            }
        }
    }

    private void Fill(IReadOnlyList<IReadOnlyList<int>> sources, IReadOnlyList<IReadOnlyList<int>>? targets, int sourcePad, int targetPad, bool keras)
    {
        int batchSize = BatchSize;
        for (int b = 0; b < batchSize; b++)
        {
            IReadOnlyList<int> source = sources[b];
            SourceLengths[b] = source.Count;
            for (int t = 0; t < SourceSteps; t++)
            {
                int k = t * batchSize + b;
                bool real = t < source.Count;
                SourceIds[k] = real ? source[t] : sourcePad;
                SourceMask[k] = real || keras ? 1 : 0;
            }
        }

        if (targets is null)
        {
            return;
        }

        int counted = 0;
        for (int b = 0; b < batchSize; b++)
        {
            IReadOnlyList<int> wrapped = targets[b];
            int steps = wrapped.Count - 1;
            TargetLengths[b] = steps;
            for (int t = 0; t < TargetSteps; t++)
            {
                int k = t * batchSize + b;
                if (keras)
                {
                    DecoderInputIds[k] = t < wrapped.Count ? wrapped[t] : targetPad;
                    DecoderTargetIds[k] = t + 1 < wrapped.Count ? wrapped[t + 1] : targetPad;
                    TargetMask[k] = 1;
                    counted++;
                }
                else if (t < steps)
                {
                    DecoderInputIds[k] = wrapped[t];
                    DecoderTargetIds[k] = wrapped[t + 1];
                    TargetMask[k] = 1;
                    counted++;
                }
                else
                {
                    DecoderInputIds[k] = targetPad;
                    DecoderTargetIds[k] = IgnoredTarget;
                    TargetMask[k] = 0;
                }
            }
        }

        CountedTargets = counted;
    }
}
