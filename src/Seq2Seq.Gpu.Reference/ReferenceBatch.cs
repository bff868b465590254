namespace Seq2Seq.Gpu.Reference;

/// <summary>A time-major batch for the reference model: every array is [T, B] flattened as t·B + b.</summary>
/// <param name="SourceIds">Source token ids [Ts, B].</param>
/// <param name="SourceMask">1 for real source tokens, 0 for padding, or null for no masking.</param>
/// <param name="DecoderInputs">Decoder input ids (START, then the target) [Tt, B].</param>
/// <param name="DecoderTargets">Expected next tokens [Tt, B]; -1 marks an ignored position.</param>
/// <param name="TargetMask">1 for real decoder steps, or null for no masking.</param>
/// <param name="SourceSteps">Ts.</param>
/// <param name="TargetSteps">Tt.</param>
/// <param name="BatchSize">B.</param>
public sealed record ReferenceBatch(
    int[] SourceIds, int[]? SourceMask, int[] DecoderInputs, int[] DecoderTargets, int[]? TargetMask, int SourceSteps, int TargetSteps, int BatchSize);
