namespace Seq2Seq.Gpu.Reference;

/// <summary>Gradients of one reference LSTM step.</summary>
/// <param name="DGates">Gradient of the gate pre-activations, [B, 4H].</param>
/// <param name="DcPrev">Gradient into the previous cell state, [B, H].</param>
/// <param name="DhBypass">The part of the previous hidden state's gradient that bypasses U (masked rows), [B, H].</param>
public sealed record LstmStepGradients(double[] DGates, double[] DcPrev, double[] DhBypass);
