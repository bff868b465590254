namespace Seq2Seq.Gpu.Data;

/// <summary>
/// How an epoch's pairs are cut into batches (<see cref="ParallelDataset.PlanBatches"/>). A batch is padded to its
/// longest pair, so random slices of a corpus with long and short sentences compute mostly padding; bucketing sorts
/// each window of <see cref="WindowBatches"/> batches' worth of shuffled pairs by length before cutting it, then
/// shuffles the batches (Marian's maxi-batches), so a batch holds pairs of about one length and the order of
/// batches stays random. Every choice is a pure function of (seed, epoch), so a resumed run sees the same batches.
/// </summary>
internal sealed record BatchPlan
{
    /// <summary>Most pairs a batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Most padded positions a batch computes, rows × (longest source + longest target), or null for
    /// <see cref="BatchSize"/> pairs every batch. A pair longer than the budget is a batch of its own.
    /// </summary>
    public int? BatchTokens { get; init; }

    /// <summary>Sort each window by length before cutting it, then shuffle the batches.</summary>
    public bool Bucketed { get; init; }

    /// <summary>Batches' worth of pairs sorted together when <see cref="Bucketed"/>.</summary>
    public int WindowBatches { get; init; } = 100;

    /// <summary>Consecutive slices of <paramref name="batchSize"/> pairs (the Keras example's batching).</summary>
    public static BatchPlan Slices(int batchSize) => new() { BatchSize = batchSize };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (BatchSize < 1)
        {
            throw new ArgumentException($"batch size must be at least 1 (got {BatchSize})");
        }

        if (BatchTokens is < 1)
        {
            throw new ArgumentException($"batch token budget must be at least 1 (got {BatchTokens})");
        }

        if (WindowBatches < 1)
        {
            throw new ArgumentException($"bucketing window must be at least 1 batch (got {WindowBatches})");
        }
    }
}
