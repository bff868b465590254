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
}
