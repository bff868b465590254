namespace Seq2Seq.Gpu.Reference;

/// <summary>Result of one reference LSTM step: activations (i, f, g, o) [B, 4H] and the new state [B, H].</summary>
/// <param name="Activations">Gate activations, [B, 4H].</param>
/// <param name="C">New cell state, [B, H].</param>
/// <param name="H">New hidden state, [B, H].</param>
public sealed record LstmStepResult(double[] Activations, double[] C, double[] H);
