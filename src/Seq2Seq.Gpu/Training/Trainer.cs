using System.Diagnostics;
using ILGPU.Runtime;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Training.Optimizers;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Training;

/// <summary>
/// Teacher-forced training of a <see cref="Seq2SeqModel"/> in place: its weight store is updated by the optimizer,
/// so anything reading the model (a translator) sees the new weights. Deterministic for a given seed and device.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingPass pass;
    private DeviceBuffer<float>? bestWeights;

    /// <summary>Creates a trainer; pass the optimizer and state of a loaded checkpoint to resume a run exactly.</summary>
    public Trainer(Seq2SeqModel model, TrainerOptions options, Optimizer? optimizer = null, TrainingState? state = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
        Optimizer = optimizer ?? Optimizer.Create(options.Optimizer, options.LearningRate);
        State = state ?? new TrainingState(0, null, 0, 0, options.Seed, []);
        pass = new TrainingPass(model.Weights, model.Config);
    }

    /// <summary>The model being trained.</summary>
    public Seq2SeqModel Model { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimizer (its state lives in the model's weight store).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Where the run stands (what a checkpoint saves for resuming).</summary>
    public TrainingState State { get; private set; }

    /// <summary>Global gradient norm of the last training step (computed only when clipping is on; otherwise NaN).</summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>
    /// One optimizer step on a batch: zero the gradients, forward, loss, backward, optional clipping, update.
    /// A NaN or infinite loss throws <see cref="TrainingDivergedException"/> before any weight changes.
    /// </summary>
    public BatchResult TrainBatch(Batch batch)
    {
        using var scope = Model.Device.EnterExclusive();
        var store = Model.Weights;
        store.ZeroGradients();
        var result = pass.Run(batch, backward: true);
        if (!double.IsFinite(result.LossSum))
        {
            throw new TrainingDivergedException(
                $"the training loss became {result.LossSum} at optimizer step {Optimizer.Steps + 1}; the step was not applied (try a lower learning rate or --clip)");
        }

        float scale = 1f;
        if (Options.ClipNorm is { } clip)
        {
            LastGradientNorm = Math.Sqrt(Model.Device.Ops.Sum(store.Gradients.View, squares: true));
            if (!double.IsFinite(LastGradientNorm))
            {
                throw new TrainingDivergedException($"the gradient norm became {LastGradientNorm} at optimizer step {Optimizer.Steps + 1}; the step was not applied");
            }

            if (LastGradientNorm > clip)
            {
                scale = (float)(clip / LastGradientNorm);
            }
        }

        Optimizer.Step(store, scale);
        return result;
    }

    /// <summary>Teacher-forced loss and accuracy of one batch, without touching the weights.</summary>
    public BatchResult EvaluateBatch(Batch batch)
    {
        using var scope = Model.Device.EnterExclusive();
        return pass.Run(batch, backward: false);
    }

    /// <summary>
    /// Teacher-forced loss and token accuracy over a whole dataset, in order. Batches are padded as training padded
    /// them: standard models pad each batch to its own longest pair and mask the padding; Keras-compatible models pad
    /// with spaces to the model's training maxima (<see cref="Seq2SeqModel.MaxSourceLength"/>,
    /// <see cref="Seq2SeqModel.MaxTargetLength"/>), or to a longer pair of the batch, and the padding counts, as in Keras.
    /// So the validation split of a run and the same pairs evaluated later give the same figures.
    /// </summary>
    public BatchResult Evaluate(ParallelDataset data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        double loss = 0, correct = 0;
        int counted = 0;
        foreach (var batch in EvaluationBatches(data))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = EvaluateBatch(batch);
            loss += r.LossSum;
            correct += r.Correct;
            counted += r.Counted;
        }

        return new BatchResult(loss, correct, counted);
    }

    /// <summary>The teacher-forced decoder logits [Tt, B, V] of a batch (for tests and diagnostics).</summary>
    public float[] TeacherForcedLogits(Batch batch)
    {
        using var scope = Model.Device.EnterExclusive();
        return pass.TeacherForcedLogits(batch);
    }

    /// <summary>
    /// Trains until <see cref="TrainerOptions.Epochs"/> epochs have been run in total, early stopping says stop, or
    /// the token is cancelled. After every epoch: metrics, the checkpoint files (when a path is set), and a progress
    /// report. With <see cref="TrainerOptions.KeepBest"/> and validation data, the model ends with the weights of its
    /// best epoch.
    /// </summary>
    public TrainingReport Fit(ParallelDataset train, ParallelDataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
        {
            throw new ArgumentException("the training set is empty", nameof(train));
        }

        var clock = Stopwatch.StartNew();
        bool stoppedEarly = false;
        var history = State.History.ToList();
        int batches = train.BatchCount(Options.BatchSize);
        // Keras-compatible batches are padded to the whole corpus's maxima (kept by a split): record those.
        Model.MaxSourceLength = Math.Max(Model.MaxSourceLength, train.PaddedSourceSteps ?? train.MaxSourceLength);
        Model.MaxTargetLength = Math.Max(Model.MaxTargetLength, train.PaddedTargetSteps ?? train.MaxTargetLength);

        for (int epoch = State.EpochsCompleted + 1; epoch <= Options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double loss = 0, correct = 0, tokens = 0;
            int counted = 0, done = 0;
            foreach (var batch in train.GetBatches(Options.BatchSize, Options.Shuffle ? State.Seed : null, epoch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var r = TrainBatch(batch);
                loss += r.LossSum;
                correct += r.Correct;
                counted += r.Counted;
                tokens += Tokens(batch);
                done++;
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, done, batches, loss / counted, correct / counted, tokens / epochClock.Elapsed.TotalSeconds, null));
            }

            double seconds = epochClock.Elapsed.TotalSeconds;
            BatchResult? val = validation is { Count: > 0 } ? Evaluate(validation, cancellationToken) : null;
            var metrics = new EpochMetrics(epoch, loss / counted, correct / counted, val?.MeanLoss, val?.Accuracy, tokens / seconds, seconds, Optimizer.LearningRate);
            history.Add(metrics);

            bool improved = val is null || State.BestValidationLoss is null || val.Value.MeanLoss < State.BestValidationLoss;
            State = State with
            {
                EpochsCompleted = epoch,
                BestValidationLoss = improved ? val?.MeanLoss : State.BestValidationLoss,
                BestEpoch = improved ? epoch : State.BestEpoch,
                EpochsWithoutImprovement = improved ? 0 : State.EpochsWithoutImprovement + 1,
                History = history.ToArray(),
            };

            if (improved && Options.KeepBest && val is not null)
            {
                RememberBest();
            }

            SaveEpoch(improved);
            progress?.Report(new TrainingProgress(epoch, Options.Epochs, done, batches, metrics.TrainLoss, metrics.TrainAccuracy, metrics.TokensPerSecond, metrics));

            if (Options.Patience is { } patience && State.EpochsWithoutImprovement >= patience)
            {
                stoppedEarly = true;
                break;
            }
        }

        if (bestWeights is not null && Options.KeepBest)
        {
            using var scope = Model.Device.EnterExclusive();
            bestWeights.View.CopyTo(Model.Weights.Weights.View);
            Model.Weights.MarkUpdated();
        }

        return new TrainingReport(history, State.BestEpoch, stoppedEarly, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Path of the file that holds the latest epoch (for resuming) beside a model path: <c>m.s2s</c> → <c>m.last.s2s</c>.</summary>
    public static string LastCheckpointPath(string modelPath) => SiblingPath(modelPath, ".last");

    /// <summary>Path of the per-epoch metrics CSV beside a model path: <c>m.s2s</c> → <c>m.metrics.csv</c>.</summary>
    public static string MetricsPath(string modelPath) => SiblingPath(modelPath, ".metrics", ".csv");

    /// <summary>Path of the loss-curve image beside a model path: <c>m.s2s</c> → <c>m.curves.svg</c>.</summary>
    public static string CurvesPath(string modelPath) => SiblingPath(modelPath, ".curves", ".svg");

    /// <inheritdoc />
    public void Dispose()
    {
        pass.Dispose();
        bestWeights?.Dispose();
    }

    private IEnumerable<Batch> EvaluationBatches(ParallelDataset data)
    {
        if (Model.Text.Scheme != VocabularyScheme.KerasCompatible)
        {
            foreach (var batch in data.GetBatches(Options.BatchSize))
            {
                yield return batch;
            }

            yield break;
        }

        for (int start = 0; start < data.Count; start += Options.BatchSize)
        {
            int[] indices = Enumerable.Range(start, Math.Min(Options.BatchSize, data.Count - start)).ToArray();
            var sources = indices.Select(data.GetSourceIds).ToArray();
            var targets = indices.Select(data.GetTargetIds).ToArray();
            int sourceSteps = Math.Max(Model.MaxSourceLength, sources.Max(s => s.Count));
            int targetSteps = Math.Max(Model.MaxTargetLength, targets.Max(t => t.Count));
            yield return Batch.Create(data.Encoder, sources, targets, sourceSteps, targetSteps, indices);
        }
    }

    private static double Tokens(Batch batch) =>
        batch.Scheme == VocabularyScheme.KerasCompatible
            ? (double)batch.BatchSize * (batch.SourceSteps + batch.TargetSteps)
            : batch.SourceLengths.Sum() + batch.CountedTargets;

    private static string SiblingPath(string modelPath, string suffix, string? extension = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        string directory = Path.GetDirectoryName(modelPath) ?? string.Empty;
        string name = Path.GetFileNameWithoutExtension(modelPath);
        return Path.Combine(directory, name + suffix + (extension ?? Path.GetExtension(modelPath)));
    }

    private void RememberBest()
    {
        using var scope = Model.Device.EnterExclusive();
        var weights = Model.Weights.Weights;
        bestWeights ??= Model.Device.Allocate<float>(weights.Length, "best weights");
        weights.View.CopyTo(bestWeights.View);
    }

    private void SaveEpoch(bool improved)
    {
        if (Options.CheckpointPath is not { } path)
        {
            return;
        }

        ModelCheckpoint.Save(LastCheckpointPath(path), Model, Optimizer, State);
        if (improved || !Options.KeepBest)
        {
            ModelCheckpoint.Save(path, Model, Optimizer, State);
        }

        MetricsLog.Write(MetricsPath(path), State.History);
        TrainingCurves.WriteSvg(CurvesPath(path), State.History.ToList());
    }
}
