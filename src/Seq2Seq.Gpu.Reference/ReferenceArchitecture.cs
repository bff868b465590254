namespace Seq2Seq.Gpu.Reference;

/// <summary>
/// Plain-data description of a reference model: which recurrent cell it uses and the name of every parameter, so
/// that <see cref="ReferenceSeq2Seq"/> holds no naming convention of its own. <see cref="Default"/> gives the
/// engine's checkpoint names (<c>encoder.lstm.0.kernel</c>, <c>decoder.gru.1.bias</c>, <c>output.kernel</c>, ...).
/// </summary>
/// <param name="Cell">The recurrent cell: <see cref="Lstm"/> or <see cref="Gru"/>.</param>
/// <param name="Encoder">The encoder's parameter names.</param>
/// <param name="Decoder">The decoder's parameter names (as many layers as the encoder: its initial state is the encoder's final one, layer by layer).</param>
/// <param name="OutputKernel">Output kernel [H, V].</param>
/// <param name="OutputBias">Output bias [V].</param>
/// <param name="EncoderReverse">
/// The backward direction of a bidirectional encoder (null for a unidirectional one): its layers' names (its embedding
/// is the encoder's). Each encoder direction then has H/2 units, layer l &gt; 0 of each reads [forward; backward]
/// outputs of layer l − 1, and the decoder starts from [forward final; backward final].
/// </param>
/// <param name="RecurrentActivation">The LSTM's gate activation: <see cref="Sigmoid"/> (the default) or a Keras hard sigmoid.</param>
/// <param name="Attention">The decoder's attention: <see cref="NoAttention"/>, <see cref="DotAttention"/> or <see cref="GeneralAttention"/> (see <see cref="ReferenceAttention"/>).</param>
/// <param name="AttentionScoreKernel">W_a [H, H] (general attention only).</param>
/// <param name="AttentionCombineKernel">W_c [2H, H] (with attention).</param>
public sealed record ReferenceArchitecture(
    string Cell,
    ReferenceSideNames Encoder,
    ReferenceSideNames Decoder,
    string OutputKernel,
    string OutputBias,
    ReferenceSideNames? EncoderReverse = null,
    string RecurrentActivation = ReferenceArchitecture.Sigmoid,
    string Attention = ReferenceArchitecture.NoAttention,
    string? AttentionScoreKernel = null,
    string? AttentionCombineKernel = null)
{
    /// <summary>The logistic sigmoid gate activation.</summary>
    public const string Sigmoid = "sigmoid";

    /// <summary>Keras 2's hard sigmoid <c>clip(0.2x + 0.5, 0, 1)</c>.</summary>
    public const string HardSigmoidKeras2 = "hard_sigmoid_keras2";

    /// <summary>Keras 3's hard sigmoid <c>clip(x/6 + 0.5, 0, 1)</c>.</summary>
    public const string HardSigmoidKeras3 = "hard_sigmoid_keras3";

    /// <summary>No attention: the output layer reads the top decoder state.</summary>
    public const string NoAttention = "none";

    /// <summary>Luong's dot attention.</summary>
    public const string DotAttention = "dot";

    /// <summary>Luong's general attention.</summary>
    public const string GeneralAttention = "general";

    /// <summary>Cell kind of an LSTM (gates i, f, g, o; state (h, c)).</summary>
    public const string Lstm = "lstm";

    /// <summary>Cell kind of a reset_after GRU (gates r, z, n; state h).</summary>
    public const string Gru = "gru";

    /// <summary>
    /// The engine's names for a model of <paramref name="layers"/> layers per side: <c>{side}.embedding</c> (unless
    /// <paramref name="oneHot"/>), <c>{side}.{cell}.{l}.kernel|recurrent_kernel|bias</c>, <c>output.kernel</c>, <c>output.bias</c>;
    /// with <paramref name="bidirectional"/>, the encoder's backward direction <c>encoder.{cell}.{l}.reverse.*</c>; with
    /// <paramref name="attention"/>, <c>attention.score.kernel</c> (general) and <c>attention.combine.kernel</c>.
    /// </summary>
    public static ReferenceArchitecture Default(string cell, int layers, bool oneHot, bool bidirectional = false, string attention = NoAttention)
    {
        ArgumentNullException.ThrowIfNull(attention);
        if (attention is not (NoAttention or DotAttention or GeneralAttention))
        {
            throw new ArgumentException($"Unknown attention '{attention}': expected '{NoAttention}', '{DotAttention}' or '{GeneralAttention}'.", nameof(attention));
        }

        ArgumentNullException.ThrowIfNull(cell);
        if (cell is not (Lstm or Gru))
        {
            throw new ArgumentException($"Unknown cell '{cell}': expected '{Lstm}' or '{Gru}'.", nameof(cell));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ReferenceSideNames Side(string side, string suffix = "") => new(
            oneHot ? null : $"{side}.embedding",
            Enumerable.Range(0, layers)
                .Select(l => new ReferenceLayerNames($"{side}.{cell}.{l}{suffix}.kernel", $"{side}.{cell}.{l}{suffix}.recurrent_kernel", $"{side}.{cell}.{l}{suffix}.bias"))
                .ToArray());
        return new ReferenceArchitecture(
            cell, Side("encoder"), Side("decoder"), "output.kernel", "output.bias", bidirectional ? Side("encoder", ".reverse") : null,
            Attention: attention,
            AttentionScoreKernel: attention == GeneralAttention ? "attention.score.kernel" : null,
            AttentionCombineKernel: attention == NoAttention ? null : "attention.combine.kernel");
    }
}
