using Seq2Seq.Gpu.Numerics;

namespace Seq2Seq.Gpu.Data;

/// <summary>
/// Sentence pairs encoded once by a <see cref="TextEncoder"/>, cut into batches for training and evaluation.
/// </summary>
/// <remarks>
/// <para>Batches follow the encoder's scheme (see <see cref="Batch"/>). In the Keras-compatible scheme every batch
/// is padded to <see cref="PaddedSourceSteps"/> and <see cref="PaddedTargetSteps"/>: the maxima of the dataset
/// the pairs were first encoded in, which the parts made by <see cref="Split"/> keep, as Keras pads all samples
/// before <c>validation_split</c> slices them.</para>
/// <para>Shuffling uses its own generator (SplitMix64 and Fisher-Yates), so the order for a given
/// (seed, epoch) is the same on every platform and runtime version.</para>
/// </remarks>
public sealed class ParallelDataset
{
    private readonly int[][] sourceIds;
    private readonly int[][] targetIds;

    /// <summary>Encodes <paramref name="pairs"/> with <paramref name="encoder"/>.</summary>
    /// <param name="pairs">The pairs, in order (the order <see cref="Split"/> and unshuffled batches follow).</param>
    /// <param name="encoder">The encoder, whose vocabularies are used as they are (unknown tokens become UNK).</param>
    public ParallelDataset(IReadOnlyList<SentencePair> pairs, TextEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(encoder);
        var copy = new SentencePair[pairs.Count];
        sourceIds = new int[copy.Length][];
        targetIds = new int[copy.Length][];
        for (int i = 0; i < copy.Length; i++)
        {
            SentencePair pair = pairs[i] ?? throw new ArgumentException($"Pair {i} is null.", nameof(pairs));
            copy[i] = pair;
            sourceIds[i] = encoder.EncodeSource(pair.Source);
            targetIds[i] = encoder.EncodeTarget(pair.Target);
        }

        Pairs = Array.AsReadOnly(copy);
        Encoder = encoder;
        (MaxSourceLength, MaxTargetLength) = Maxima(sourceIds, targetIds);
        if (encoder.Scheme == VocabularyScheme.KerasCompatible)
        {
            PaddedSourceSteps = MaxSourceLength;
            PaddedTargetSteps = MaxTargetLength;
        }
    }

    private ParallelDataset(ParallelDataset parent, int start, int count)
    {
        Encoder = parent.Encoder;
        Pairs = Array.AsReadOnly(parent.Pairs.Skip(start).Take(count).ToArray());
        sourceIds = parent.sourceIds[start..(start + count)];
        targetIds = parent.targetIds[start..(start + count)];
        (MaxSourceLength, MaxTargetLength) = Maxima(sourceIds, targetIds);
        PaddedSourceSteps = parent.PaddedSourceSteps;
        PaddedTargetSteps = parent.PaddedTargetSteps;
    }

    /// <summary>The encoder.</summary>
    public TextEncoder Encoder { get; }

    /// <summary>The pairs, in dataset order.</summary>
    public IReadOnlyList<SentencePair> Pairs { get; }

    /// <summary>The number of pairs.</summary>
    public int Count => Pairs.Count;

    /// <summary>The longest source of this dataset, in tokens.</summary>
    public int MaxSourceLength { get; }

    /// <summary>The longest target of this dataset, in tokens including START and END.</summary>
    public int MaxTargetLength { get; }

    /// <summary>Keras-compatible scheme: the source steps of every batch; <see langword="null"/> in the Standard
    /// scheme (each batch is padded to its own longest source).</summary>
    public int? PaddedSourceSteps { get; }

    /// <summary>Keras-compatible scheme: the decoder steps of every batch (the longest wrapped target);
    /// <see langword="null"/> in the Standard scheme.</summary>
    public int? PaddedTargetSteps { get; }

    /// <summary>The encoded source of pair <paramref name="index"/> (no markers).</summary>
    /// <param name="index">The pair index.</param>
    /// <returns>The ids.</returns>
    public IReadOnlyList<int> GetSourceIds(int index) => Array.AsReadOnly(sourceIds[index]);

    /// <summary>The encoded target of pair <paramref name="index"/>, START … END.</summary>
    /// <param name="index">The pair index.</param>
    /// <returns>The ids.</returns>
    public IReadOnlyList<int> GetTargetIds(int index) => Array.AsReadOnly(targetIds[index]);

    /// <summary>
    /// Splits off the last <paramref name="validationFraction"/> of the pairs, in order, as Keras'
    /// <c>validation_split</c>: the first <c>(int)(Count * (1 - validationFraction))</c> pairs train.
    /// </summary>
    /// <param name="validationFraction">In [0, 1).</param>
    /// <returns>The training part and the validation part.</returns>
    public (ParallelDataset Training, ParallelDataset Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0.0 && validationFraction < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        }

        int splitAt = (int)(Count * (1.0 - validationFraction));
        return (new ParallelDataset(this, 0, splitAt), new ParallelDataset(this, splitAt, Count - splitAt));
    }

    /// <summary>The number of batches of <c>GetBatches</c> (the last one may be smaller).</summary>
    /// <param name="batchSize">The batch size, at least 1.</param>
    /// <returns>The number of batches.</returns>
    public int BatchCount(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return (int)(((long)Count + batchSize - 1) / batchSize);
    }

    /// <summary>The order in which pairs are visited in an epoch: 0 … Count-1, or a shuffle of it.</summary>
    /// <param name="shuffleSeed">The seed, or <see langword="null"/> for no shuffling.</param>
    /// <param name="epoch">The epoch: each epoch of a seed has its own order.</param>
    /// <returns>A permutation of the pair indices.</returns>
    internal int[] GetOrder(int? shuffleSeed, int epoch = 0)
    {
        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (shuffleSeed is int seed)
        {
            var rng = new DeterministicRandom(((ulong)(uint)seed << 32) | (uint)epoch);
            rng.Shuffle(order);
        }

        return order;
    }

    /// <summary>
    /// The batches of one epoch: consecutive runs of <paramref name="batchSize"/> pairs in the order of
    /// <see cref="GetOrder"/>; the last batch keeps the remainder (it may be smaller). Every pair is in exactly one
    /// batch. Batches are made lazily, as they are enumerated.
    /// </summary>
    /// <param name="batchSize">The most pairs per batch, at least 1.</param>
    /// <param name="shuffleSeed">The shuffle seed, or <see langword="null"/> (default) for dataset order.</param>
    /// <param name="epoch">The epoch (with a seed, each epoch has its own order).</param>
    /// <returns>The batches.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    internal IEnumerable<Batch> GetBatches(int batchSize, int? shuffleSeed = null, int epoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int[] order = GetOrder(shuffleSeed, epoch);
        return Enumerate(order, batchSize);
    }

    /// <summary>The batches of one epoch as <paramref name="plan"/> cuts them (see <see cref="PlanBatches"/>), made lazily.</summary>
    /// <param name="plan">How to cut the epoch.</param>
    /// <param name="shuffleSeed">The shuffle seed, or <see langword="null"/> for dataset order (and, bucketed, batches in length order).</param>
    /// <param name="epoch">The epoch (with a seed, each epoch has its own order).</param>
    /// <returns>The batches.</returns>
    internal IEnumerable<Batch> GetBatches(BatchPlan plan, int? shuffleSeed = null, int epoch = 0) =>
        PlanBatches(plan, shuffleSeed, epoch).Select(GetBatch);

    /// <summary>
    /// The pair indices of each batch of one epoch. Pairs are visited in the order of <see cref="GetOrder"/>; with
    /// <see cref="BatchPlan.Bucketed"/>, each window of <see cref="BatchPlan.WindowBatches"/> × <see cref="BatchPlan.BatchSize"/>
    /// pairs is first sorted by (target length, source length) (stable), and the batches of the whole epoch are then
    /// shuffled with a generator of their own for (seed, epoch). A batch takes pairs until it has
    /// <see cref="BatchPlan.BatchSize"/> of them or, with <see cref="BatchPlan.BatchTokens"/>, until one more would take
    /// its padded positions over the budget. Every pair is in exactly one batch.
    /// </summary>
    internal IReadOnlyList<int[]> PlanBatches(BatchPlan plan, int? shuffleSeed = null, int epoch = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        int[] order = GetOrder(shuffleSeed, epoch);
        if (plan.Bucketed)
        {
            int window = (int)Math.Min(int.MaxValue, (long)plan.WindowBatches * plan.BatchSize);
            for (int start = 0; start < order.Length; start += window)
            {
                int length = Math.Min(window, order.Length - start);
                var sorted = order.Skip(start).Take(length)
                    .OrderBy(i => targetIds[i].Length).ThenBy(i => sourceIds[i].Length).ToArray();
                Array.Copy(sorted, 0, order, start, length);
            }
        }

        var batches = new List<int[]>();
        var current = new List<int>();
        int longestSource = 0, longestTarget = 0;
        foreach (int index in order)
        {
            int source = Math.Max(longestSource, SourceSteps(index));
            int target = Math.Max(longestTarget, TargetSteps(index));
            bool full = current.Count >= plan.BatchSize
                || (plan.BatchTokens is { } budget && current.Count > 0 && (long)(current.Count + 1) * (source + target) > budget);
            if (full)
            {
                batches.Add([.. current]);
                current.Clear();
                source = SourceSteps(index);
                target = TargetSteps(index);
            }

            current.Add(index);
            (longestSource, longestTarget) = (source, target);
        }

        if (current.Count > 0)
        {
            batches.Add([.. current]);
        }

        if (plan.Bucketed && shuffleSeed is int seed)
        {
            // The batches' own order: a generator of its own, so the pair order above is the one of GetOrder.
            var rng = new DeterministicRandom(((ulong)(uint)seed << 32) ^ (((ulong)(uint)epoch << 1) | 1UL) ^ 0x9E3779B97F4A7C15UL);
            var shuffled = batches.ToArray();
            rng.Shuffle(shuffled);
            return shuffled;
        }

        return batches;
    }

    /// <summary>
    /// Of the positions the batches of <paramref name="batches"/> compute (rows × padded source and target steps), the
    /// fraction that are real tokens of a pair: what bucketing raises.
    /// </summary>
    internal double UsefulFraction(IEnumerable<int[]> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        long useful = 0, computed = 0;
        foreach (var batch in batches)
        {
            int source = PaddedSourceSteps ?? batch.Max(SourceSteps);
            int target = PaddedTargetSteps ?? batch.Max(TargetSteps);
            computed += (long)batch.Length * (source + target);
            useful += batch.Sum(i => (long)SourceSteps(i) + TargetSteps(i));
        }

        return computed == 0 ? 0 : (double)useful / computed;
    }

    /// <summary>Makes one batch of the given pairs, in the given order.</summary>
    /// <param name="pairIndices">Indices into this dataset, at least one.</param>
    /// <returns>The batch.</returns>
    internal Batch GetBatch(IReadOnlyList<int> pairIndices)
    {
        ArgumentNullException.ThrowIfNull(pairIndices);
        var sources = new int[pairIndices.Count][];
        var targets = new int[pairIndices.Count][];
        for (int i = 0; i < sources.Length; i++)
        {
            int index = pairIndices[i];
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(pairIndices), index, $"Pair index must be in [0, {Count}).");
            }

            sources[i] = sourceIds[index];
            targets[i] = targetIds[index];
        }

        return Batch.Create(Encoder, sources, targets, PaddedSourceSteps, PaddedTargetSteps, pairIndices);
    }

    /// <summary>Source steps pair <paramref name="index"/> takes in a batch (its own length).</summary>
    private int SourceSteps(int index) => sourceIds[index].Length;

    /// <summary>Decoder steps pair <paramref name="index"/> takes: its wrapped target less one (all of it in Keras' scheme), as <see cref="Batch.Create"/> counts them.</summary>
    private int TargetSteps(int index) => targetIds[index].Length - (Encoder.Scheme == VocabularyScheme.KerasCompatible ? 0 : 1);

    private static (int Source, int Target) Maxima(int[][] sources, int[][] targets)
    {
        int s = 0, t = 0;
        for (int i = 0; i < sources.Length; i++)
        {
            s = Math.Max(s, sources[i].Length);
            t = Math.Max(t, targets[i].Length);
        }

        return (s, t);
    }

    private IEnumerable<Batch> Enumerate(int[] order, int batchSize)
    {
        for (int start = 0; start < order.Length; start += batchSize)
        {
            int size = Math.Min(batchSize, order.Length - start);
            yield return GetBatch(new ArraySegment<int>(order, start, size));
        }
    }
}
