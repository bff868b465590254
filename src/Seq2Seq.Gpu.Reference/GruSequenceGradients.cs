namespace Seq2Seq.Gpu.Reference;

/// <summary>Gradients of a reference GRU run.</summary>
/// <param name="DInputGates">Gradient of every step's input pre-activations, [T, B, 3H] (also the gradient of the projected inputs).</param>
/// <param name="DRecurrentGates">Gradient of every step's recurrent pre-activations, [T, B, 3H].</param>
/// <param name="DRecurrent">Gradient of the recurrent kernel U, [H, 3H].</param>
/// <param name="DRecurrentBias">Gradient of the recurrent bias b_recurrent, [3H].</param>
/// <param name="DhInitial">Gradient into h0, [B, H].</param>
public sealed record GruSequenceGradients(double[] DInputGates, double[] DRecurrentGates, double[] DRecurrent, double[] DRecurrentBias, double[] DhInitial);
