using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Training;

/// <summary>The outcome of <see cref="Trainer.Fit"/>.</summary>
/// <param name="History">Metrics of every epoch, including those before a resume.</param>
/// <param name="BestEpoch">Epoch with the lowest validation loss (the last epoch without validation).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="Seconds">Wall time of this call.</param>
public sealed record TrainingReport(IReadOnlyList<EpochMetrics> History, int BestEpoch, bool StoppedEarly, double Seconds);
