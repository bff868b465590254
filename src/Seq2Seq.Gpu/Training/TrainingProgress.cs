using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Training;

/// <summary>Progress of a running <see cref="Trainer.Fit"/>: after every batch, and with <see cref="CompletedEpoch"/> set at the end of each epoch.</summary>
/// <param name="Epoch">Current epoch (1-based).</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches in an epoch.</param>
/// <param name="Loss">Mean training loss of this epoch so far.</param>
/// <param name="Accuracy">Token accuracy of this epoch so far.</param>
/// <param name="TokensPerSecond">Throughput of this epoch so far.</param>
/// <param name="CompletedEpoch">The finished epoch's metrics, on the last report of an epoch; otherwise null.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double TokensPerSecond, EpochMetrics? CompletedEpoch);
