namespace Seq2Seq.Gpu.Reference;

/// <summary>States of a reference LSTM run: per step t the activations [B, 4H], and C[t], H[t] [B, H] for t = 0..T (C[0], H[0] the initial state).</summary>
/// <param name="Activations">Gate activations of each step.</param>
/// <param name="C">Cell states, T + 1 of them.</param>
/// <param name="H">Hidden states, T + 1 of them.</param>
public sealed record LstmSequence(double[][] Activations, double[][] C, double[][] H);
