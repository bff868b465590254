namespace Seq2Seq.Gpu.Training.Reporting;

/// <summary>The metrics of one training epoch, as logged by <see cref="MetricsLog"/> and plotted by <see cref="TrainingCurves"/>.</summary>
/// <param name="Epoch">The epoch number (1 for the first).</param>
/// <param name="TrainLoss">Mean cross-entropy over the training batches of the epoch.</param>
/// <param name="TrainAccuracy">Token accuracy (0..1) over the training batches of the epoch.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation split, or null when there is no validation.</param>
/// <param name="ValidationAccuracy">Token accuracy (0..1) on the validation split, or null when there is no validation.</param>
/// <param name="TokensPerSecond">Training throughput in target tokens per second.</param>
/// <param name="Seconds">Wall-clock duration of the epoch in seconds.</param>
/// <param name="LearningRate">The learning rate in force during the epoch.</param>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double TokensPerSecond,
    double Seconds,
    double LearningRate);
