namespace Seq2Seq.Gpu.Data;

/// <summary>
/// Turns sentences into token ids and back: the token level, the vocabulary scheme and the source and target
/// vocabularies, which together are everything a model needs to read and write text.
/// </summary>
/// <remarks>
/// Source sentences are encoded without markers (in both schemes; the Keras encoder input is the raw source
/// characters). Target sentences are encoded wrapped: START, the tokens, END. Unknown tokens map to the
/// vocabulary's UNK id (in the Keras-compatible scheme that is the space).
/// </remarks>
public sealed class TextEncoder
{
    /// <summary>Creates an encoder from existing vocabularies (e.g. restored from a checkpoint).</summary>
    /// <param name="level">The token level.</param>
    /// <param name="scheme">The vocabulary scheme, which also decides padding and masking of batches.</param>
    /// <param name="sourceVocabulary">The source (encoder input) vocabulary.</param>
    /// <param name="targetVocabulary">The target (decoder) vocabulary; it must have START and END.</param>
    /// <exception cref="ArgumentException">The target vocabulary lacks START or END, or the Keras-compatible
    /// scheme is asked for at word level.</exception>
    public TextEncoder(TokenLevel level, VocabularyScheme scheme, Vocabulary sourceVocabulary, Vocabulary targetVocabulary)
    {
        ArgumentNullException.ThrowIfNull(sourceVocabulary);
        ArgumentNullException.ThrowIfNull(targetVocabulary);
        if (level is not (TokenLevel.Character or TokenLevel.Word))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown token level.");
        }

        if (scheme is not (VocabularyScheme.Standard or VocabularyScheme.KerasCompatible))
        {
            throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown vocabulary scheme.");
        }

        if (scheme == VocabularyScheme.KerasCompatible && level != TokenLevel.Character)
        {
            throw new ArgumentException("The KerasCompatible scheme is defined for character level only.", nameof(scheme));
        }

        if (!targetVocabulary.SpecialTokens.HasMarkers)
        {
            throw new ArgumentException("The target vocabulary must have START and END tokens.", nameof(targetVocabulary));
        }

        Level = level;
        Scheme = scheme;
        SourceVocabulary = sourceVocabulary;
        TargetVocabulary = targetVocabulary;
    }

    /// <summary>The token level.</summary>
    public TokenLevel Level { get; }

    /// <summary>The vocabulary scheme (and with it the batch padding and masking rules).</summary>
    public VocabularyScheme Scheme { get; }

    /// <summary>The source vocabulary.</summary>
    public Vocabulary SourceVocabulary { get; }

    /// <summary>The target vocabulary.</summary>
    public Vocabulary TargetVocabulary { get; }

    /// <summary>Builds both vocabularies from training pairs.</summary>
    /// <param name="trainingPairs">The training pairs (validation pairs should not be included).</param>
    /// <param name="level">The token level.</param>
    /// <param name="scheme">The vocabulary scheme.</param>
    /// <param name="minCount">Standard scheme: tokens seen fewer times map to UNK (default 1: keep all).</param>
    /// <param name="maxSourceVocabularySize">Standard scheme: the largest source vocabulary, specials included.</param>
    /// <param name="maxTargetVocabularySize">Standard scheme: the largest target vocabulary, specials included.</param>
    /// <returns>The encoder.</returns>
    public static TextEncoder Build(
        IEnumerable<SentencePair> trainingPairs,
        TokenLevel level,
        VocabularyScheme scheme,
        int minCount = 1,
        int? maxSourceVocabularySize = null,
        int? maxTargetVocabularySize = null)
    {
        ArgumentNullException.ThrowIfNull(trainingPairs);
        var sources = new List<IReadOnlyList<string>>();
        var targets = new List<IReadOnlyList<string>>();
        foreach (SentencePair pair in trainingPairs)
        {
            ArgumentNullException.ThrowIfNull(pair, nameof(trainingPairs));
            sources.Add(Tokenizer.Tokenize(pair.Source, level));
            targets.Add(Tokenizer.Tokenize(pair.Target, level));
        }

        Vocabulary source = Vocabulary.Build(sources, level, scheme, isTarget: false, minCount, maxSourceVocabularySize);
        Vocabulary target = Vocabulary.Build(targets, level, scheme, isTarget: true, minCount, maxTargetVocabularySize);
        return new TextEncoder(level, scheme, source, target);
    }

    /// <summary>Splits text into tokens at this encoder's level.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The tokens.</returns>
    public IReadOnlyList<string> Tokenize(string text) => Tokenizer.Tokenize(text, Level);

    /// <summary>
    /// A target sentence in the form a decoded translation takes: tokenised and joined again by this encoder's
    /// rules (for word level, punctuation attached as <see cref="Tokenizer.Detokenize"/> does). References are compared
    /// with translations in this form, so exact match is not lost to spacing (French "Va !" vs "Va!").
    /// </summary>
    /// <param name="text">A target sentence.</param>
    /// <returns>The normalised sentence.</returns>
    public string NormalizeTarget(string text) => Tokenizer.Detokenize(Tokenize(text), Level);

    /// <summary>Encodes a source sentence: its token ids, no markers; unknown tokens become UNK.</summary>
    /// <param name="text">The source sentence.</param>
    /// <returns>The ids (empty for an empty sentence).</returns>
    public int[] EncodeSource(string text)
    {
        IReadOnlyList<string> tokens = Tokenize(text);
        int[] ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = SourceVocabulary.IdOf(tokens[i]);
        }

        return ids;
    }

    /// <summary>Encodes a target sentence wrapped in markers: START, its token ids, END.</summary>
    /// <param name="text">The target sentence, without markers.</param>
    /// <returns>The ids, at least two (START and END).</returns>
    public int[] EncodeTarget(string text)
    {
        IReadOnlyList<string> tokens = Tokenize(text);
        int[] ids = new int[tokens.Count + 2];
        ids[0] = TargetVocabulary.StartId;
        for (int i = 0; i < tokens.Count; i++)
        {
            ids[i + 1] = TargetVocabulary.IdOf(tokens[i]);
        }

        ids[^1] = TargetVocabulary.EndId;
        return ids;
    }

    /// <summary>
    /// Decodes target ids (e.g. a decoder's output) to text: START is skipped, decoding stops at the first END,
    /// PAD is skipped in the Standard scheme (in the Keras-compatible scheme PAD is the space character and is
    /// kept), UNK is written as its token.
    /// </summary>
    /// <param name="ids">The ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string DecodeTarget(IEnumerable<int> ids) => Decode(ids, TargetVocabulary);

    /// <summary>Decodes source ids to text, by the same rules as <see cref="DecodeTarget"/>.</summary>
    /// <param name="ids">The ids.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string DecodeSource(IEnumerable<int> ids) => Decode(ids, SourceVocabulary);

    /// <summary>
    /// Makes a batch from sentences, e.g. for translation or evaluation. Without targets the batch has no
    /// decoder steps (<see cref="Batch.TargetSteps"/> 0).
    /// </summary>
    /// <param name="sources">The source sentences.</param>
    /// <param name="targets">The target sentences (same count), or <see langword="null"/>.</param>
    /// <returns>The batch, padded by this encoder's scheme to its own longest sequences.</returns>
    internal Batch CreateBatch(IReadOnlyList<string> sources, IReadOnlyList<string>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var src = new int[sources.Count][];
        for (int i = 0; i < src.Length; i++)
        {
            src[i] = EncodeSource(sources[i]);
        }

        int[][]? tgt = null;
        if (targets is not null)
        {
            tgt = new int[targets.Count][];
            for (int i = 0; i < tgt.Length; i++)
            {
                tgt[i] = EncodeTarget(targets[i]);
            }
        }

        return Batch.Create(this, src, tgt);
    }

    private string Decode(IEnumerable<int> ids, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(ids);
        bool skipPad = Scheme == VocabularyScheme.Standard;
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (id != SpecialTokens.Absent && id == vocabulary.EndId)
            {
                break;
            }

            if ((id != SpecialTokens.Absent && id == vocabulary.StartId) || (skipPad && id == vocabulary.PadId))
            {
                continue;
            }

            tokens.Add(vocabulary.TokenOf(id));
        }

        return Tokenizer.Detokenize(tokens, Level);
    }
}
