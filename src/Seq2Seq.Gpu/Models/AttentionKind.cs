namespace Seq2Seq.Gpu.Models;

/// <summary>
/// The decoder's attention over the encoder's outputs (Luong, Pham &amp; Manning 2015, global attention without input
/// feeding): at every decoder step, scores between the top decoder state h and each encoder output ē_s, a softmax over
/// the source positions (padding masked out), the context c = Σ a_s ē_s, and the attentional state
/// <c>h̃ = tanh([c; h]·W_c)</c>, from which the output layer predicts. The recurrence itself is unchanged.
/// </summary>
public enum AttentionKind
{
    /// <summary>No attention: the output layer reads the top decoder state (the Keras model).</summary>
    None,

    /// <summary>Luong's dot score <c>h·ē_s</c>; one parameter, <c>attention.combine.kernel</c> W_c [2H, H].</summary>
    Dot,

    /// <summary>Luong's general score <c>h·(ē_s·W_a)</c>; adds <c>attention.score.kernel</c> W_a [H, H].</summary>
    General,
}
