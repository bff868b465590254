using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Training;

/// <summary>Where a training run stands, saved in checkpoints so that a resumed run continues exactly.</summary>
/// <param name="EpochsCompleted">Epochs finished so far.</param>
/// <param name="BestValidationLoss">Lowest validation loss so far (null without validation).</param>
/// <param name="BestEpoch">Epoch (1-based) of that loss, 0 if none.</param>
/// <param name="EpochsWithoutImprovement">Epochs since the best one (for early stopping).</param>
/// <param name="Seed">The run's seed (initialisation and shuffling).</param>
/// <param name="History">Metrics of every finished epoch.</param>
/// <param name="Dropout">
/// The run's dropout rate (<see cref="TrainerOptions.Dropout"/>); 0 in checkpoints written before it was recorded. The
/// masks are fixed by it, <see cref="Seed"/> and the optimizer's step count, so a resumed run must keep it.
/// </param>
public sealed record TrainingState(
    int EpochsCompleted,
    double? BestValidationLoss,
    int BestEpoch,
    int EpochsWithoutImprovement,
    int Seed,
    IReadOnlyList<EpochMetrics> History,
    double Dropout = 0);
