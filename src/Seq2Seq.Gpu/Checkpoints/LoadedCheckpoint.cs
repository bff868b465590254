using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>What a checkpoint restored: the model, the file's metadata, and where it came from.</summary>
public sealed record LoadedCheckpoint
{
    internal LoadedCheckpoint(Seq2SeqModel model, Optimizer? optimizer, IReadOnlyDictionary<string, string> metadata)
    {
        Model = model;
        Optimizer = optimizer;
        Metadata = metadata;
    }

    /// <summary>The model, on the device it was loaded to.</summary>
    public Seq2SeqModel Model { get; }

    /// <summary>The optimizer of a training checkpoint with its step count (its state already in the model's weight store), or null if the file has none.</summary>
    internal Optimizer? Optimizer { get; }

    /// <summary>Every metadata entry of the file (JSON strings), the format's own and the caller's (the trainer's <c>training</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

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
