namespace Seq2Seq.Gpu.Reference;

/// <summary>Result of one reference GRU step: activations (r, z, n) [B, 3H] and the new hidden state [B, H].</summary>
/// <param name="Activations">Gate activations r, z, n in blocks of H, [B, 3H].</param>
/// <param name="H">New hidden state, [B, H].</param>
public sealed record GruStepResult(double[] Activations, double[] H);
