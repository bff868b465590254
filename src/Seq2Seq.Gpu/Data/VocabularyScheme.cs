namespace Seq2Seq.Gpu.Data;

/// <summary>How vocabularies are built, and how batches are padded and masked.</summary>
public enum VocabularyScheme
{
    /// <summary>
    /// Ids 0-3 are PAD, START, END, UNK, then the distinct data tokens in ordinal order. Batches are padded to
    /// their own longest sequence and padding is masked out of the loss.
    /// </summary>
    Standard = 0,

    /// <summary>
    /// Reproduces the classic Keras <c>lstm_seq2seq</c> character example exactly: the vocabulary is the sorted
    /// set of characters (targets wrapped in <c>"\t"</c> … <c>"\n"</c>), the space pads, there is no separate
    /// UNK, batches are padded to the dataset-wide maxima and nothing is masked. Character level only.
    /// </summary>
    KerasCompatible = 1,
}
