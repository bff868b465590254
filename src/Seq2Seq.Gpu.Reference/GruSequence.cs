namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// States of a reference GRU run: per step t the activations (r, z, n) [B, 3H] and the recurrent pre-activations
/// h[t]·U + b_recurrent [B, 3H] (the backward pass needs their n block), and H[t] [B, H] for t = 0..T (H[0] the initial state).
/// </summary>
/// <param name="Activations">Gate activations of each step.</param>
/// <param name="RecurrentGates">Recurrent pre-activations of each step.</param>
/// <param name="H">Hidden states, T + 1 of them.</param>
public sealed record GruSequence(double[][] Activations, double[][] RecurrentGates, double[][] H);
