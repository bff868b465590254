using Microsoft.Extensions.Logging;
using Seq2Seq.Gpu.Data;

namespace Seq2Seq.Gpu.Training;

/// <summary>How a <see cref="Trainer"/> trains. Defaults are those of the Keras example where it has one.</summary>
public sealed record TrainerOptions
{
    /// <summary>Epochs to run (in total, counting epochs finished before a resume).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Pairs per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The update rule: RMSprop (Keras' choice in the example, the default) or Adam.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.RmsProp;

    /// <summary>Learning rate.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Clip the global gradient norm to this value; null for no clipping.</summary>
    public float? ClipNorm { get; init; }

    /// <summary>Stop after this many epochs without a lower validation loss; null to never stop early.</summary>
    public int? Patience { get; init; }

    /// <summary>Seed of the epoch shuffles and the dropout masks (and, by convention, of the model's initialisation): 0 or more.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Inverted dropout rate p (0 ≤ p &lt; 1; 0, the default, drops nothing) on the embedding outputs and between stacked
    /// recurrent layers, both sides, in training steps only (validation and evaluation never drop). A training option,
    /// not part of the model: it is recorded in the run's <see cref="TrainingState"/>, and a resumed run keeps it.
    /// </summary>
    public double Dropout { get; init; }

    /// <summary>Shuffle the training pairs each epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>
    /// Batch pairs of about one length (sorted within windows of shuffled pairs, batches then shuffled; see
    /// <see cref="BatchPlan"/>) rather than consecutive slices. Keras-compatible data is padded to the corpus's maxima
    /// whatever the batch, so it always takes Keras' slices.
    /// </summary>
    public bool Bucketed { get; init; } = true;

    /// <summary>Most padded positions a batch computes (rows × longest source and target steps), or null for <see cref="BatchSize"/> pairs a batch.</summary>
    public int? BatchTokens { get; init; }

    /// <summary>With <see cref="Bucketed"/>: how many batches' worth of shuffled pairs are sorted by length together (fewer: more varied batches, more padding).</summary>
    public int BucketWindow { get; init; } = new BatchPlan().WindowBatches;

    /// <summary>How a training epoch of <paramref name="data"/> is cut into batches under these options.</summary>
    internal BatchPlan BatchPlanFor(ParallelDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new BatchPlan { BatchSize = BatchSize, BatchTokens = BatchTokens, Bucketed = Bucketed && data.PaddedSourceSteps is null, WindowBatches = BucketWindow };
    }

    /// <summary>Keep the weights of the epoch with the lowest validation loss and restore them at the end.</summary>
    public bool KeepBest { get; init; } = true;

    /// <summary>
    /// Where to save the model (the best one with <see cref="KeepBest"/>): weights, vocabularies and config, for
    /// inference. The latest epoch with the optimizer's and the run's state, for resuming, goes beside it
    /// (<see cref="Trainer.LastCheckpointPath"/>). Null to save nothing.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Where the trainer logs: a summary of every epoch and every checkpoint file written (Information), and a
    /// divergence (Error) before it throws <see cref="TrainingDivergedException"/>. Null: nothing is logged.
    /// </summary>
    public ILogger? Logger { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentException($"epochs must be at least 1 (got {Epochs})");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"batch size must be at least 1 (got {BatchSize})");
        }

        if (BatchTokens is < 1)
        {
            throw new ArgumentException($"batch token budget must be at least 1 (got {BatchTokens})");
        }

        if (BucketWindow < 1)
        {
            throw new ArgumentException($"bucket window must be at least 1 batch (got {BucketWindow})");
        }

        if (!(LearningRate > 0) || float.IsInfinity(LearningRate))
        {
            throw new ArgumentException($"learning rate must be a positive number (got {LearningRate})");
        }

        if (ClipNorm is { } clip && !(clip > 0))
        {
            throw new ArgumentException($"clip norm must be positive (got {clip})");
        }

        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"dropout must be in [0, 1) (got {Dropout})");
        }

        if (Patience is < 1)
        {
            throw new ArgumentException($"patience must be at least 1 (got {Patience})");
        }

        if (!Enum.IsDefined(Optimizer))
        {
            throw new ArgumentException($"unknown optimizer kind {(int)Optimizer}; expected {OptimizerKind.RmsProp} or {OptimizerKind.Adam}");
        }

        if (Seed < 0)
        {
            throw new ArgumentException($"seed must be 0 or more (got {Seed})");
        }
    }
}
