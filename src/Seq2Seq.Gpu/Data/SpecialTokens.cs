namespace Seq2Seq.Gpu.Data;

/// <summary>The ids of the special tokens of a <see cref="Vocabulary"/>.</summary>
/// <param name="Pad">The id that fills padded positions.</param>
/// <param name="Start">The id of the start marker, or <see cref="Absent"/> for a vocabulary without one (a
/// Keras-compatible source vocabulary).</param>
/// <param name="End">The id of the end marker, or <see cref="Absent"/> for a vocabulary without one.</param>
/// <param name="Unk">The id unknown tokens map to; it may equal <paramref name="Pad"/> (Keras-compatible).</param>
public sealed record SpecialTokens(int Pad, int Start, int End, int Unk)
{
    /// <summary>The value of <see cref="Start"/> or <see cref="End"/> in a vocabulary that has no such marker.</summary>
    public const int Absent = -1;

    /// <summary>The ids of the <see cref="VocabularyScheme.Standard"/> scheme: 0 PAD, 1 START, 2 END, 3 UNK.</summary>
    public static SpecialTokens Standard { get; } = new(0, 1, 2, 3);

    /// <summary>Whether the vocabulary has both a start and an end marker (every target vocabulary has).</summary>
    public bool HasMarkers => Start != Absent && End != Absent;
}
