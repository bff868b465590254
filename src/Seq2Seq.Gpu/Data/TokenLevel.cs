namespace Seq2Seq.Gpu.Data;

/// <summary>What a token is.</summary>
public enum TokenLevel
{
    /// <summary>One Unicode code point per token (not one UTF-16 unit: a surrogate pair is one token).</summary>
    Character = 0,

    /// <summary>Words and punctuation marks, see <see cref="Tokenizer.SplitWords(string)"/>.</summary>
    Word = 1,
}
