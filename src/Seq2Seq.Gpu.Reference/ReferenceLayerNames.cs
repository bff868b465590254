namespace Seq2Seq.Gpu.Reference;

/// <summary>The parameter names of one recurrent layer.</summary>
/// <param name="Kernel">Input kernel W: [in, 4H] for an LSTM, [in, 3H] for a GRU (in = V for one-hot layer 0).</param>
/// <param name="RecurrentKernel">Recurrent kernel U: [H, 4H] for an LSTM, [H, 3H] for a GRU.</param>
/// <param name="Bias">Bias: [4H] for an LSTM; [2, 3H] for a GRU (row 0 the input bias, row 1 the recurrent bias).</param>
public sealed record ReferenceLayerNames(string Kernel, string RecurrentKernel, string Bias);
