namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>What a load established about a checkpoint's integrity (see <see cref="LoadedCheckpoint.Integrity"/>).</summary>
public enum CheckpointIntegrity
{
    /// <summary>Every tensor and the metadata matched the checksums stored in the file.</summary>
    Verified = 0,

    /// <summary>The file has no checksums (written before they were added); its data could not be verified.</summary>
    NoChecksums = 1,

    /// <summary>Verification was turned off (<see cref="CheckpointLoadOptions.VerifyIntegrity"/>).</summary>
    NotVerified = 2,
}
