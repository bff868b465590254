namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>How <see cref="ModelCheckpoint.Load"/> reads a checkpoint.</summary>
public sealed record CheckpointLoadOptions
{
    /// <summary>The defaults: checksums are verified.</summary>
    public static CheckpointLoadOptions Default { get; } = new();

    /// <summary>
    /// Whether the SHA-256 checksums stored in the file are checked against its tensors and metadata (default
    /// <see langword="true"/>). Turn it off only to rescue a file that is known to be damaged: its data is then loaded
    /// as it is, and <see cref="LoadedCheckpoint.Integrity"/> says <see cref="CheckpointIntegrity.NotVerified"/>.
    /// </summary>
    public bool VerifyIntegrity { get; init; } = true;

    /// <summary>
    /// Whether a training checkpoint's optimizer state is brought onto the device with the weights (default
    /// <see langword="true"/>: resuming a run needs it). Inference (translating, evaluating) turns it off: then only the
    /// weights are allocated, the file's optimizer tensors are checked by their checksums alone, and
    /// <see cref="LoadedCheckpoint.Optimizer"/> is <see langword="null"/>.
    /// </summary>
    public bool OptimizerState { get; init; } = true;

    /// <summary>For inference: checksums verified, no optimizer state on the device.</summary>
    public static CheckpointLoadOptions Inference { get; } = new() { OptimizerState = false };
}
