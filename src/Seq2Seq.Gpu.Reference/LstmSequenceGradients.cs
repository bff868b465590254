namespace Seq2Seq.Gpu.Reference;

/// <summary>Gradients of a reference LSTM run.</summary>
/// <param name="DGates">Gradient of every step's gate pre-activations, [T, B, 4H] (also the gradient of the projected inputs).</param>
/// <param name="DRecurrent">Gradient of the recurrent kernel, [H, 4H].</param>
/// <param name="DhInitial">Gradient into h0, [B, H].</param>
/// <param name="DcInitial">Gradient into c0, [B, H].</param>
public sealed record LstmSequenceGradients(double[] DGates, double[] DRecurrent, double[] DhInitial, double[] DcInitial);
