using System.Diagnostics;
using System.Globalization;
using ILGPU.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Compute;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Devices;
using Seq2Seq.Gpu.Distributed;
using Seq2Seq.Gpu.IO;
using Seq2Seq.Gpu.Logging;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Training.Reporting;

namespace Seq2Seq.Gpu.Training;

/// <summary>
/// Teacher-forced training of a <see cref="Seq2SeqModel"/> in place: its weight store is updated by the optimizer,
/// so anything reading the model (a translator) sees the new weights. Deterministic for a given seed and device.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingPass pass;
    private readonly OutputLock? outputLock;
    private readonly ILogger logger;
    private readonly IGradientCommunicator communicator;
    private DeviceBuffer<float>? bestWeights;

    /// <summary>Creates a trainer of a new run (epoch 1, a fresh optimizer from <paramref name="options"/>).</summary>
    /// <param name="model">The model to train in place.</param>
    /// <param name="options">How to train.</param>
    public Trainer(Seq2SeqModel model, TrainerOptions options)
        : this(model, options, optimizer: null)
    {
    }

    /// <summary>Creates a trainer; pass the optimizer and state of a loaded checkpoint to resume a run exactly.</summary>
    /// <param name="model">The model to train in place.</param>
    /// <param name="options">How to train.</param>
    /// <param name="optimizer">The optimizer of a resumed run; null for a new one from <paramref name="options"/>.</param>
    /// <param name="state">The state of a resumed run; null to start at epoch 1.</param>
    /// <param name="outputLock">
    /// The caller's lock on <see cref="TrainerOptions.CheckpointPath"/>, for callers that take it earlier than
    /// <see cref="Fit"/> (the command line takes it before it reads the corpus); the trainer uses it and does not
    /// release it. Without one, <see cref="Fit"/> takes its own lock for its duration.
    /// </param>
    /// <param name="communicator">
    /// The ranks of a data-parallel job (e.g. an <see cref="MpiCommunicator"/>); null for a single process. With several
    /// ranks, every rank runs the same calls on the same data: <see cref="Fit"/> gives each its share of every batch and
    /// sums the gradients, and only rank 0 locks and writes the output files.
    /// </param>
    internal Trainer(Seq2SeqModel model, TrainerOptions options, Optimizer? optimizer = null, TrainingState? state = null, OutputLock? outputLock = null, IGradientCommunicator? communicator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
        Optimizer = optimizer ?? Optimizer.Create(options.Optimizer, options.LearningRate);
        State = state ?? new TrainingState(0, null, 0, 0, options.Seed, [], options.Dropout);
        if (State.Dropout != options.Dropout)
        {
            // The masks of every step follow from the rate, the seed and the step: another rate would not continue the run.
            throw new ArgumentException($"the options' dropout {options.Dropout} differs from the resumed run's {State.Dropout}; resume with the run's rate", nameof(options));
        }

        if (outputLock is not null && options.CheckpointPath is { } path
            && !string.Equals(outputLock.LockPath, OutputLock.LockPathFor(path), StringComparison.Ordinal))
        {
            throw new ArgumentException($"the output lock '{outputLock.LockPath}' does not guard the checkpoint path '{path}'", nameof(outputLock));
        }

        this.outputLock = outputLock;
        logger = options.Logger ?? NullLogger.Instance;
        this.communicator = communicator ?? SingleProcessCommunicator.Instance;
        pass = new TrainingPass(model.Weights, model.Config);
    }

    /// <summary>The model being trained.</summary>
    public Seq2SeqModel Model { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimizer (its state lives in the model's weight store).</summary>
    internal Optimizer Optimizer { get; }

    /// <summary>Where the run stands (what a checkpoint saves for resuming).</summary>
    public TrainingState State { get; private set; }

    /// <summary>The ranks this trainer is one of (<see cref="SingleProcessCommunicator.Instance"/> for a single process).</summary>
    internal IGradientCommunicator Communicator => communicator;

    /// <summary>Global gradient norm of the last training step (computed only when clipping is on; otherwise NaN).</summary>
    public double LastGradientNorm { get; private set; } = double.NaN;

    /// <summary>
    /// One optimizer step on a batch: zero the gradients, forward (with <see cref="TrainerOptions.Dropout"/>, whose masks
    /// follow from the run's seed and the optimizer's step count), loss, backward, optional clipping, update.
    /// A NaN or infinite loss throws <see cref="TrainingDivergedException"/> before any weight changes.
    /// With several ranks (<see cref="Communicator"/>), <paramref name="batch"/> is this rank's share of a global batch and
    /// every rank must call this together: the loss is normalised by the count of the whole batch and the gradients are
    /// summed over the ranks (one all-reduce) before clipping and the update, which then run alike on every rank.
    /// </summary>
    internal BatchResult TrainBatch(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return TrainShard(batch).Result;
    }

    /// <summary><see cref="TrainBatch"/> on this rank's share of a global batch, which may be empty (null); also returns the batch's tokens.</summary>
    private (BatchResult Result, double Tokens) TrainShard(Batch? shard)
    {
        using var scope = Model.Device.EnterExclusive();
        var store = Model.Weights;
        store.ZeroGradients();
        DropoutDraw? dropout = Options.Dropout > 0 ? new DropoutDraw(Options.Dropout, DataParallel.DropoutSeed((ulong)State.Seed, communicator.Rank), Optimizer.Steps + 1) : null;
        int globalCount = DataParallel.GlobalCount(communicator, shard?.CountedTargets ?? 0);
        var local = shard is null ? default : pass.Run(shard, backward: true, dropout, globalCount);
        var (result, tokens) = DataParallel.Sum(communicator, local, shard is null ? 0 : Tokens(shard), globalCount);
        if (!double.IsFinite(result.LossSum))
        {
            throw Diverged($"the training loss became {result.LossSum} at optimizer step {Optimizer.Steps + 1}; the step was not applied (try a lower learning rate or --clip)");
        }

        communicator.AllReduceSum(store.Gradients);
        float scale = 1f;
        if (Options.ClipNorm is { } clip)
        {
            LastGradientNorm = Math.Sqrt(Model.Device.Ops.Sum(store.Gradients.View, squares: true));
            if (!double.IsFinite(LastGradientNorm))
            {
                throw Diverged($"the gradient norm became {LastGradientNorm} at optimizer step {Optimizer.Steps + 1}; the step was not applied");
            }

            if (LastGradientNorm > clip)
            {
                scale = (float)(clip / LastGradientNorm);
            }
        }

        Optimizer.Step(store, scale);
        return (result, tokens);
    }

    /// <summary>Teacher-forced loss and accuracy of one batch, without touching the weights.</summary>
    internal BatchResult EvaluateBatch(Batch batch)
    {
        using var scope = Model.Device.EnterExclusive();
        return pass.Run(batch, backward: false);
    }

    /// <summary>
    /// Teacher-forced loss and token accuracy over a whole dataset, in order. Batches are padded as training padded
    /// them: standard models pad each batch to its own longest pair and mask the padding; Keras-compatible models pad
    /// with spaces to the model's training maxima (<see cref="Seq2SeqModel.MaxSourceLength"/>,
    /// <see cref="Seq2SeqModel.MaxTargetLength"/>), or to a longer pair of the batch, and the padding counts, as in Keras.
    /// So the validation split of a run and the same pairs evaluated later give the same figures. With several ranks, every
    /// rank must call it: each evaluates every <see cref="IGradientCommunicator.Size"/>-th batch and the sums are reduced.
    /// </summary>
    public BatchResult Evaluate(ParallelDataset data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        double loss = 0, correct = 0;
        int counted = 0, index = 0;
        foreach (var batch in EvaluationBatches(data))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (index++ % communicator.Size != communicator.Rank)
            {
                continue; // another rank's batch
            }

            var r = EvaluateBatch(batch);
            loss += r.LossSum;
            correct += r.Correct;
            counted += r.Counted;
        }

        return DataParallel.Sum(communicator, new BatchResult(loss, correct, counted));
    }

    /// <summary>The teacher-forced decoder logits [Tt, B, V] of a batch (for tests and diagnostics).</summary>
    internal float[] TeacherForcedLogits(Batch batch)
    {
        using var scope = Model.Device.EnterExclusive();
        return pass.TeacherForcedLogits(batch);
    }

    /// <summary>
    /// The device memory <see cref="Fit"/> on these datasets will use: the parameters, their gradients, the optimizer's
    /// state, the best epoch's weights (with validation and <see cref="TrainerOptions.KeepBest"/>) and the activation
    /// workspace for the largest batch (the batch size, or fewer pairs when there are fewer) and the longest source and
    /// target. Buffers that exist already are marked <see cref="MemoryItem.Allocated"/>.
    /// </summary>
    public MemoryEstimate EstimateMemory(ParallelDataset train, ParallelDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var config = Model.Config;
        var store = Model.Weights;
        long parameters = store.Layout.TotalCount;
        bool validating = validation is { Count: > 0 };
        int maxBatch = Math.Max(1, Math.Min(Options.BatchSize, Math.Max(train.Count, validating ? validation!.Count : 0)));
        var (source, target) = Steps(train);
        if (validating)
        {
            var (vs, vt) = Steps(validation!);
            (source, target) = (Math.Max(source, vs), Math.Max(target, vt));
        }

        var items = new List<MemoryItem>
        {
            MemoryItem.Of("parameters", "[P]", [parameters], allocated: true),
            MemoryItem.Of("parameter gradients", "[P]", [parameters], allocated: store.HasGradients),
        };
        for (int slot = 0; slot < Optimizer.StateNames.Count; slot++)
        {
            items.Add(MemoryItem.Of($"optimizer state {Optimizer.StateNames[slot]}", "[P]", [parameters], allocated: slot < store.OptimizerSlotCount));
        }

        if (validating && Options.KeepBest)
        {
            items.Add(MemoryItem.Of("best weights", "[P]", [parameters], allocated: bestWeights is not null));
        }

        items.AddRange(TrainingPass.Plan(config, maxBatch, Math.Max(source, 1), Math.Max(target, 1)));
        return new MemoryEstimate($"training ({maxBatch} pairs a batch, {source:N0} source and {target:N0} target steps)", items);
    }

    /// <summary>
    /// Trains until <see cref="TrainerOptions.Epochs"/> epochs have been run in total, early stopping says stop, or
    /// the token is cancelled. After every epoch: metrics, the checkpoint files (when a path is set), and a progress
    /// report. With <see cref="TrainerOptions.KeepBest"/> and validation data, the model ends with the weights of its
    /// best epoch.
    /// </summary>
    /// <remarks>
    /// Before the first batch: with a <see cref="TrainerOptions.CheckpointPath"/>, the output is locked (the lock given
    /// to the constructor, or one taken here until Fit returns) and its folder is checked by writing a file; then
    /// <see cref="EstimateMemory"/> is checked against the device's free memory. So a busy output, a folder that
    /// cannot be written and a configuration that does not fit fail at once, not after an epoch's work.
    /// </remarks>
    /// <exception cref="OutputLockedException">Another run holds the output.</exception>
    /// <exception cref="Errors.CheckpointException">The output folder cannot be written.</exception>
    /// <exception cref="Errors.DeviceException">The training would need more memory than the device has free.</exception>
    public TrainingReport Fit(ParallelDataset train, ParallelDataset? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
        {
            throw new ArgumentException("the training set is empty", nameof(train));
        }

        using OutputLock? ownLock = Options.CheckpointPath is { } path && outputLock is null && communicator.Rank == 0 ? OutputLock.Acquire(path) : null;
        EstimateMemory(train, validation).EnsureFits(Model.Device);

        var clock = Stopwatch.StartNew();
        bool stoppedEarly = false;
        var history = State.History.ToList();
        var plan = Options.BatchPlanFor(train);
        // Keras-compatible batches are padded to the whole corpus's maxima (kept by a split): record those.
        Model.MaxSourceLength = Math.Max(Model.MaxSourceLength, train.PaddedSourceSteps ?? train.MaxSourceLength);
        Model.MaxTargetLength = Math.Max(Model.MaxTargetLength, train.PaddedTargetSteps ?? train.MaxTargetLength);
        DataParallel.Start(communicator, Model.Weights, Optimizer.StateNames.Count, () => Fingerprint(train, validation, plan));

        for (int epoch = State.EpochsCompleted + 1; epoch <= Options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            double loss = 0, correct = 0, tokens = 0;
            int counted = 0, done = 0;
            var epochBatches = train.PlanBatches(plan, Options.Shuffle ? State.Seed : null, epoch);
            int batches = epochBatches.Count;
            foreach (var indices in epochBatches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var shard = communicator.Size == 1 ? indices : DataParallel.Shard(indices, communicator.Rank, communicator.Size);
                var (r, batchTokens) = TrainShard(shard.Count > 0 ? train.GetBatch(shard) : null);
                loss += r.LossSum;
                correct += r.Correct;
                counted += r.Counted;
                tokens += batchTokens;
                done++;
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, done, batches, loss / counted, correct / counted, tokens / epochClock.Elapsed.TotalSeconds, null));
            }

            DataParallel.CheckInLockstep(communicator, Model.Weights, epoch);
            double seconds = epochClock.Elapsed.TotalSeconds;
            BatchResult? val = validation is { Count: > 0 } ? Evaluate(validation, cancellationToken) : null;
            var metrics = new EpochMetrics(epoch, loss / counted, correct / counted, val?.MeanLoss, val?.Accuracy, tokens / seconds, seconds, Optimizer.LearningRate);
            history.Add(metrics);
            if (logger.IsEnabled(LogLevel.Information))
            {
                string valLoss = Optional(metrics.ValidationLoss), valAccuracy = Optional(metrics.ValidationAccuracy);
                EngineLog.EpochFinished(logger, epoch, Options.Epochs, metrics.TrainLoss, metrics.TrainAccuracy, valLoss, valAccuracy, metrics.TokensPerSecond, seconds);
            }

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

    /// <summary>The most source and decoder steps a batch of <paramref name="data"/> gets (see <see cref="Batch.Create"/>).</summary>
    private (int Source, int Target) Steps(ParallelDataset data)
    {
        if (Model.Text.Scheme == VocabularyScheme.KerasCompatible)
        {
            // Padded to the corpus maxima, and evaluation to the model's training maxima when they are longer.
            int source = Math.Max(data.PaddedSourceSteps ?? data.MaxSourceLength, Model.MaxSourceLength);
            int target = Math.Max(data.PaddedTargetSteps ?? data.MaxTargetLength, Model.MaxTargetLength);
            return (source, target);
        }

        // Standard batches: the longest source, and the longest target less one (the decoder input drops END).
        return (data.MaxSourceLength, data.MaxTargetLength - 1);
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

    /// <summary>What every rank of a job must agree on before the first step (see <see cref="DataParallel.Start"/>).</summary>
    private List<(string What, long Value)> Fingerprint(ParallelDataset train, ParallelDataset? validation, BatchPlan plan) =>
    [
        ("parameters", Model.Weights.Layout.TotalCount),
        ("optimizer steps", Optimizer.Steps),
        ("epochs completed", State.EpochsCompleted),
        ("training pairs", train.Count),
        ("validation pairs", validation?.Count ?? 0),
        ("batch size", Options.BatchSize),
        ("the first epoch's batches (hash)", DataParallel.Hash(train.PlanBatches(plan, Options.Shuffle ? State.Seed : null, State.EpochsCompleted + 1))),
    ];

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

    private static string Optional(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    private TrainingDivergedException Diverged(string reason)
    {
        EngineLog.TrainingDiverged(logger, reason);
        return new TrainingDivergedException(reason);
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
        if (Options.CheckpointPath is not { } path || communicator.Rank != 0)
        {
            return;
        }

        // The .last file is for resuming (optimizer and run state); the model file is for inference: weights,
        // vocabularies and config only, a third to a half of a training checkpoint.
        string last = LastCheckpointPath(path);
        TrainingCheckpoint.Save(last, Model, Optimizer, State);
        EngineLog.CheckpointWritten(logger, "training checkpoint", last, State.EpochsCompleted);
        if (improved || !Options.KeepBest)
        {
            ModelCheckpoint.Save(path, Model);
            EngineLog.CheckpointWritten(logger, "model", path, State.EpochsCompleted);
        }

        MetricsLog.Write(MetricsPath(path), State.History);
        TrainingCurves.WriteSvg(CurvesPath(path), State.History.ToList());
    }
}
