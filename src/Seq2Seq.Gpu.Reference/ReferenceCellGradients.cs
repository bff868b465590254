namespace Seq2Seq.Gpu.Reference;

/// <summary>Gradients of one layer's run, in the shapes the model needs whatever the cell.</summary>
/// <param name="DInputGates">Gradient of the projected inputs, [T, B, Gates·H].</param>
/// <param name="DRecurrent">Gradient of the recurrent kernel, [H, Gates·H].</param>
/// <param name="DBias">Gradient of the layer's whole bias ([4H] for an LSTM, [2, 3H] for a GRU).</param>
/// <param name="DhInitial">Gradient into the initial h, [B, H].</param>
/// <param name="DcInitial">Gradient into the initial c, [B, H] (empty for a GRU).</param>
internal sealed record ReferenceCellGradients(double[] DInputGates, double[] DRecurrent, double[] DBias, double[] DhInitial, double[] DcInitial);
