namespace Seq2Seq.Gpu.Reference;

/// <summary>What <see cref="ReferenceAttention.Forward"/> computed, kept for its backward pass (all time-major).</summary>
/// <param name="Queries">Decoder top states q [Tq, B, H].</param>
/// <param name="Memory">Encoder outputs ē [Ts, B, H].</param>
/// <param name="Keys">k = ē (dot) or ē·W_a (general) [Ts, B, H].</param>
/// <param name="Mask">Source mask [Ts, B], or null (every position).</param>
/// <param name="Weights">Attention weights a [Tq, B, Ts].</param>
/// <param name="Context">c = Σ_s a_s ē_s [Tq, B, H].</param>
/// <param name="Attentional">h̃ = tanh([c; q]·W_c) [Tq, B, H].</param>
/// <param name="QuerySteps">Tq.</param>
/// <param name="SourceSteps">Ts.</param>
/// <param name="Batch">B.</param>
public sealed record ReferenceAttentionPass(
    double[] Queries, double[] Memory, double[] Keys, int[]? Mask, double[] Weights, double[] Context, double[] Attentional, int QuerySteps, int SourceSteps, int Batch);
