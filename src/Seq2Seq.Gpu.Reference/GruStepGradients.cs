namespace Seq2Seq.Gpu.Reference;

/// <summary>Gradients of one reference GRU step.</summary>
/// <param name="DInputGates">Gradient of the input pre-activations x·W + b_input, [B, 3H]: (drPre, dzPre, dnPre).</param>
/// <param name="DRecurrentGates">Gradient of the recurrent pre-activations h·U + b_recurrent, [B, 3H]: (drPre, dzPre, dnPre·r).</param>
/// <param name="DhBypass">The part of the previous hidden state's gradient that does not go through U (dh·z; dh for masked rows), [B, H].</param>
public sealed record GruStepGradients(double[] DInputGates, double[] DRecurrentGates, double[] DhBypass);
