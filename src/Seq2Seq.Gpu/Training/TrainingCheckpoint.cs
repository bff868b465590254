using System.Text.Json;
using Seq2Seq.Gpu.Checkpoints;
using Seq2Seq.Gpu.Errors;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;

namespace Seq2Seq.Gpu.Training;

/// <summary>
/// A training checkpoint: a <see cref="ModelCheckpoint"/> with the optimizer's state and, under the metadata key
/// <c>training</c>, where the run stands (<see cref="TrainingState"/>), so that a resumed run continues exactly.
/// </summary>
internal static class TrainingCheckpoint
{
    /// <summary>The metadata key of the run's state.</summary>
    public const string MetadataKey = "training";

    /// <summary>Writes the model, the optimizer's state and the run's state atomically (see <see cref="ModelCheckpoint.Save(string, Seq2SeqModel, Optimizer?, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public static void Save(string path, Seq2SeqModel model, Optimizer optimizer, TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Check(state, $"cannot save '{path}'");
        ModelCheckpoint.Save(path, model, optimizer, new Dictionary<string, string> { [MetadataKey] = JsonSerializer.Serialize(state, CheckpointJson.Options) });
    }

    /// <summary>
    /// The run's state in a loaded checkpoint, or null for a checkpoint without one (a model saved outside training);
    /// a <see cref="CheckpointException"/> naming the file and field when it is malformed or out of range.
    /// </summary>
    public static TrainingState? StateOf(LoadedCheckpoint loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (!loaded.Metadata.TryGetValue(MetadataKey, out string? json))
        {
            return null;
        }

        string where = $"checkpoint '{loaded.Path}'";
        var state = CheckpointJson.Parse<TrainingState>(json, MetadataKey, where);
        Check(state, where);
        return state;
    }

    private static void Check(TrainingState training, string where)
    {
        const string key = "metadata 'training'";
        CheckpointJson.CheckRange(training.EpochsCompleted, "epochs_completed", 0, CheckpointLimits.MaxEpochs, where, key);
        CheckpointJson.CheckRange(training.BestEpoch, "best_epoch", 0, training.EpochsCompleted, where, key);
        CheckpointJson.CheckRange(training.EpochsWithoutImprovement, "epochs_without_improvement", 0, training.EpochsCompleted, where, key);
        CheckpointJson.CheckRange(training.Seed, "seed", 0, int.MaxValue, where, key);
        if (!(training.Dropout >= 0 && training.Dropout < 1))
        {
            throw new CheckpointException($"{where}: {key}: dropout {training.Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range (allowed 0 to below 1)");
        }

        if (training.History is null || training.History.Any(h => h is null))
        {
            throw new CheckpointException($"{where}: {key}: 'history' is missing or holds a null epoch");
        }
    }
}
