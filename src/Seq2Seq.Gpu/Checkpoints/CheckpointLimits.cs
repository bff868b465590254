namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// The largest values <see cref="ModelCheckpoint.Load"/> accepts for the numbers in a checkpoint's metadata. They are
/// checked, with negatives, before anything is allocated, so that a damaged or hostile file cannot make a load (or a
/// later translation) ask for gigabytes: a <c>max_target_length</c> of 2,000,000,000 would otherwise become the
/// decoder's default length limit.
/// </summary>
/// <remarks>
/// The limits are far above anything this engine trains (the Keras example: 71 / 93 tokens, hidden 256, target length
/// 59) and below what a device could hold, so they reject only damage. A model larger than a limit is not a model this
/// engine can run anyway: the weights of a hidden size of 16,384 alone are gigabytes.
/// </remarks>
public static class CheckpointLimits
{
    /// <summary>The most tokens in either vocabulary (<c>source_vocab_size</c>, <c>target_vocab_size</c>).</summary>
    public const int MaxVocabularySize = 1_000_000;

    /// <summary>The widest embedding (<c>embedding_size</c>; 0 means one-hot inputs).</summary>
    public const int MaxEmbeddingSize = 16_384;

    /// <summary>The most LSTM units (<c>hidden_size</c>).</summary>
    public const int MaxHiddenSize = 16_384;

    /// <summary>The longest sequence (<c>max_source_length</c>, <c>max_target_length</c>; 0 means unknown).</summary>
    public const int MaxSequenceLength = 65_536;

    /// <summary>The longest vocabulary token, in UTF-16 code units (vocabularies never keep a longer one, so it is damage).</summary>
    public const int MaxTokenLength = Data.Vocabulary.MaxTokenLength;

    /// <summary>The most epochs a training state may record (<c>epochs_completed</c>, <c>best_epoch</c>, ...).</summary>
    public const int MaxEpochs = 10_000_000;
}
