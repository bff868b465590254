namespace Seq2Seq.Gpu.Reference;

/// <summary>Result of a reference training pass.</summary>
/// <param name="Loss">Mean cross-entropy over counted target positions.</param>
/// <param name="Correct">Counted positions whose argmax equals the target.</param>
/// <param name="Counted">Target positions that count (target ≥ 0).</param>
/// <param name="Gradients">Gradient of the mean loss for every parameter, by name.</param>
public sealed record ReferenceTrainingResult(double Loss, double Correct, int Counted, IReadOnlyDictionary<string, double[]> Gradients);
