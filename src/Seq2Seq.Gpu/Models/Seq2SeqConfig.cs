using Seq2Seq.Gpu.Cells;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Models;

/// <summary>
/// The shape of an encoder-decoder model. Embedding size 0 means one-hot inputs (the Keras character example):
/// the first LSTM kernel is then [V, 4H] and its row for a token IS the input projection.
/// </summary>
/// <param name="SourceVocabSize">Source tokens, specials included.</param>
/// <param name="TargetVocabSize">Target tokens, specials included.</param>
/// <param name="EmbeddingSize">Embedding width E, or 0 for one-hot inputs.</param>
/// <param name="HiddenSize">Units H of every recurrent layer.</param>
/// <param name="Layers">Stacked recurrent layers in the encoder and in the decoder (1 to 4).</param>
/// <param name="Cell">The recurrent cell of every layer.</param>
/// <param name="Bidirectional">
/// Whether the encoder reads the source both ways (OpenNMT's bidirectional encoder): each encoder layer is a forward and a
/// backward direction of H/2 units (H must be even), the backward one reading each sentence reversed over its true
/// length; the decoder starts from [forward final; backward final] of each layer, H wide. False (the default) is the
/// Keras model.
/// </param>
/// <param name="RecurrentActivation">
/// The LSTM's gate activation: the sigmoid (the default), or one of Keras' hard sigmoids for a model imported from Keras
/// (<c>recurrent_activation="hard_sigmoid"</c>). LSTM only.
/// </param>
/// <param name="Attention">The decoder's attention over the encoder's outputs (see <see cref="AttentionKind"/>); none is the Keras model.</param>
public sealed record Seq2SeqConfig(
    int SourceVocabSize, int TargetVocabSize, int EmbeddingSize, int HiddenSize, int Layers = 1, CellKind Cell = CellKind.Lstm, bool Bidirectional = false,
    RecurrentActivation RecurrentActivation = RecurrentActivation.Sigmoid, AttentionKind Attention = AttentionKind.None)
{
    /// <summary>Most stacked layers supported.</summary>
    public const int MaxLayers = 4;

    /// <summary>A config whose vocabulary sizes are those of <paramref name="text"/>.</summary>
    public static Seq2SeqConfig ForText(
        Data.TextEncoder text, int embeddingSize, int hiddenSize, int layers = 1, CellKind cell = CellKind.Lstm, bool bidirectional = false, AttentionKind attention = AttentionKind.None)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Seq2SeqConfig(text.SourceVocabulary.Count, text.TargetVocabulary.Count, embeddingSize, hiddenSize, layers, cell, bidirectional, Attention: attention);
    }

    /// <summary>Units of each encoder direction: H/2 with a bidirectional encoder, else H.</summary>
    public int EncoderUnits => Bidirectional ? HiddenSize / 2 : HiddenSize;

    /// <summary>Whether the decoder attends over the encoder's outputs.</summary>
    public bool HasAttention => Attention != AttentionKind.None;

    /// <summary>Whether inputs are one-hot (no embedding tables).</summary>
    public bool OneHot => EmbeddingSize == 0;

    /// <summary>Throws a <see cref="ShapeException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (SourceVocabSize < 1 || TargetVocabSize < 1)
        {
            throw new ShapeException($"model config: vocabulary sizes must be positive (source {SourceVocabSize}, target {TargetVocabSize})");
        }

        if (EmbeddingSize < 0)
        {
            throw new ShapeException($"model config: embedding size {EmbeddingSize} is negative (0 means one-hot inputs)");
        }

        if (HiddenSize < 1)
        {
            throw new ShapeException($"model config: hidden size {HiddenSize} must be positive");
        }

        if (Bidirectional && HiddenSize % 2 != 0)
        {
            throw new ShapeException($"model config: hidden size {HiddenSize} is odd; a bidirectional encoder splits it into two directions of H/2 units, so it must be even");
        }

        if (Layers < 1 || Layers > MaxLayers)
        {
            throw new ShapeException($"model config: {Layers} layers; 1 to {MaxLayers} are supported");
        }

        if (!Enum.IsDefined(Cell))
        {
            throw new ShapeException($"model config: unknown cell {(int)Cell}");
        }

        if (!Enum.IsDefined(RecurrentActivation))
        {
            throw new ShapeException($"model config: unknown recurrent activation {(int)RecurrentActivation}");
        }

        if (Cell != CellKind.Lstm && RecurrentActivation != RecurrentActivation.Sigmoid)
        {
            throw new ShapeException($"model config: recurrent activation {RecurrentActivation} is an LSTM option; the {Cell} cell uses the sigmoid");
        }

        if (!Enum.IsDefined(Attention))
        {
            throw new ShapeException($"model config: unknown attention {(int)Attention}");
        }
    }
}
