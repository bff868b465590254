using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>What a checkpoint restored: the model, for a training checkpoint the optimizer (its state already in the model's weight store), and the file's metadata.</summary>
/// <param name="Model">The model, on the device it was loaded to.</param>
/// <param name="Optimizer">The optimizer with its step count, or null if the file has no optimizer state.</param>
/// <param name="Metadata">Every metadata entry of the file (JSON strings), the format's own and the caller's (the trainer's <c>training</c>).</param>
public sealed record LoadedCheckpoint(Seq2SeqModel Model, Optimizer? Optimizer, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The file it was loaded from.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Whether the file's checksums were verified, absent, or not checked.</summary>
    public CheckpointIntegrity Integrity { get; init; }

    /// <summary>
    /// A sentence for the user when the data was not verified (an older file without checksums, or verification
    /// turned off), naming the file; <see langword="null"/> when it was verified. The library does not print it: an
    /// application shows it where it shows warnings.
    /// </summary>
    public string? IntegrityNote { get; init; }
}
