using Seq2Seq.Gpu.Cells;

namespace Seq2Seq.Gpu.Models;

/// <summary>One side of the model (encoder or decoder): its inputs and its stacked recurrent layers.</summary>
/// <param name="Side">The name prefix, <c>encoder</c> or <c>decoder</c>.</param>
/// <param name="VocabularySize">Tokens of the side's vocabulary (rows of the embedding, or of layer 0's kernel with one-hot inputs).</param>
/// <param name="Embedding">Name of the embedding table [V, E], or null with one-hot inputs.</param>
/// <param name="EmbeddingSize">E, or 0 with one-hot inputs.</param>
/// <param name="Cell">The cell of every layer.</param>
/// <param name="Layers">The layers, input layer first.</param>
/// <param name="Units">Units of every layer (the width of its state): H, or H/2 for each direction of a bidirectional encoder.</param>
/// <param name="Reverse">
/// The backward direction of a bidirectional encoder (null otherwise): the same embedding, layers of the same widths
/// named <c>{side}.{cell}.{l}.reverse.*</c> (PyTorch's <c>_reverse</c>), reading each source reversed over its true length.
/// With it, layer l &gt; 0 of both directions reads [forward; backward] outputs of layer l − 1 (input width 2·Units).
/// </param>
/// <param name="Activation">The LSTM's gate activation (<see cref="Seq2SeqConfig.RecurrentActivation"/>).</param>
internal sealed record StackDescription(
    string Side,
    int VocabularySize,
    string? Embedding,
    int EmbeddingSize,
    CellKind Cell,
    IReadOnlyList<LayerDescription> Layers,
    int Units,
    StackDescription? Reverse = null,
    RecurrentActivation Activation = RecurrentActivation.Sigmoid)
{
    /// <summary>Whether this side has a backward direction (a bidirectional encoder).</summary>
    public bool Bidirectional => Reverse is not null;

    /// <summary>Whether the inputs are one-hot (layer 0's kernel row of a token is its input projection).</summary>
    public bool OneHot => Embedding is null;
}
