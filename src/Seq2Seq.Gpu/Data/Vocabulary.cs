using System.Collections.ObjectModel;
using System.Text;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Data;

/// <summary>
/// An immutable map between tokens and ids. Built once from the training data (<see cref="Build"/>), saved with
/// the model and restored with <see cref="FromTokens"/>; never rebuilt at inference.
/// </summary>
/// <remarks>
/// <para><see cref="VocabularyScheme.Standard"/>: ids 0 PAD, 1 START, 2 END, 3 UNK, then the distinct data tokens
/// sorted by ordinal string comparison. The special tokens are named <c>&lt;pad&gt;</c>, <c>&lt;start&gt;</c>,
/// <c>&lt;end&gt;</c>, <c>&lt;unk&gt;</c> at character level and <c>&lt;pad&gt;</c>, <c>START_</c>, <c>_END</c>,
/// <c>&lt;unk&gt;</c> at word level. A data token equal to one of those names is not added again: it maps to the
/// special id.</para>
/// <para><see cref="VocabularyScheme.KerasCompatible"/> (character level only): the sorted set (by code point,
/// as Python's <c>sorted()</c>) of the data characters; a target vocabulary also holds <c>"\t"</c> (START) and
/// <c>"\n"</c> (END), as if every target were wrapped as <c>"\t" + text + "\n"</c>. The space pads (it is added
/// if the data has none) and is also the UNK id; a source vocabulary has no START or END
/// (<see cref="SpecialTokens.Absent"/>).</para>
/// </remarks>
public sealed class Vocabulary
{
    /// <summary>The name of the padding token (both levels, Standard scheme).</summary>
    public const string PadToken = "<pad>";

    /// <summary>The name of the unknown-token token (both levels, Standard scheme).</summary>
    public const string UnkToken = "<unk>";

    /// <summary>The name of the start marker at character level (Standard scheme).</summary>
    public const string StartToken = "<start>";

    /// <summary>The name of the end marker at character level (Standard scheme).</summary>
    public const string EndToken = "<end>";

    /// <summary>The name of the start marker at word level (Standard scheme), as in the seed tutorial.</summary>
    public const string WordStartToken = "START_";

    /// <summary>The name of the end marker at word level (Standard scheme), as in the seed tutorial.</summary>
    public const string WordEndToken = "_END";

    /// <summary>The Keras-compatible start marker, a tab.</summary>
    public const string KerasStartToken = "\t";

    /// <summary>The Keras-compatible end marker, a line feed.</summary>
    public const string KerasEndToken = "\n";

    /// <summary>The Keras-compatible padding (and unknown) token, a space.</summary>
    public const string KerasPadToken = " ";

    private readonly Dictionary<string, int> ids;

    private Vocabulary(string[] tokens, Dictionary<string, int> ids, SpecialTokens specialTokens)
    {
        Tokens = new ReadOnlyCollection<string>(tokens);
        this.ids = ids;
        SpecialTokens = specialTokens;
    }

    /// <summary>The tokens in id order: <c>Tokens[id]</c> is the token of <c>id</c>.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The number of tokens (the V of the embedding and output layers).</summary>
    public int Count => Tokens.Count;

    /// <summary>The ids of PAD, START, END and UNK.</summary>
    public SpecialTokens SpecialTokens { get; }

    /// <summary>The padding id.</summary>
    public int PadId => SpecialTokens.Pad;

    /// <summary>The start-marker id, or <see cref="SpecialTokens.Absent"/>.</summary>
    public int StartId => SpecialTokens.Start;

    /// <summary>The end-marker id, or <see cref="SpecialTokens.Absent"/>.</summary>
    public int EndId => SpecialTokens.End;

    /// <summary>The id unknown tokens map to.</summary>
    public int UnkId => SpecialTokens.Unk;

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnkId"/> if it is not in the vocabulary.</summary>
    /// <param name="token">The token.</param>
    /// <returns>Its id.</returns>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return ids.TryGetValue(token, out int id) ? id : UnkId;
    }

    /// <summary>Looks up a token without falling back to UNK.</summary>
    /// <param name="token">The token.</param>
    /// <param name="id">Its id, when it is in the vocabulary.</param>
    /// <returns>Whether the token is in the vocabulary.</returns>
    public bool TryGetId(string token, out int id)
    {
        ArgumentNullException.ThrowIfNull(token);
        return ids.TryGetValue(token, out id);
    }

    /// <summary>Whether <paramref name="token"/> is in the vocabulary.</summary>
    /// <param name="token">The token.</param>
    /// <returns><see langword="true"/> if it has an id of its own.</returns>
    public bool Contains(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return ids.ContainsKey(token);
    }

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <param name="id">An id in [0, <see cref="Count"/>).</param>
    /// <returns>The token.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The id is out of range.</exception>
    public string TokenOf(int id)
    {
        if ((uint)id >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id must be in [0, {Count}).");
        }

        return Tokens[id];
    }

    /// <summary>
    /// The longest data token a Standard vocabulary keeps, in UTF-16 code units; longer tokens (possible at word level
    /// only) are left out and map to UNK. Checkpoints refuse longer tokens as damage.
    /// </summary>
    public const int MaxTokenLength = 1_024;

    /// <summary>Builds a vocabulary from the token sequences of the training data.</summary>
    /// <param name="tokenSequences">The tokenised sentences (targets without markers).</param>
    /// <param name="level">The token level (names the Standard special tokens; Keras-compatible needs Character).</param>
    /// <param name="scheme">The vocabulary scheme.</param>
    /// <param name="isTarget">Whether this is the target vocabulary (Keras-compatible: adds <c>"\t"</c>, <c>"\n"</c>).</param>
    /// <param name="minCount">Standard scheme: data tokens seen fewer times are left out (map to UNK). Default 1.
    /// Tokens longer than <see cref="MaxTokenLength"/> are left out too.</param>
    /// <param name="maxSize">Standard scheme: the largest <see cref="Count"/>, special tokens included; the most
    /// frequent data tokens are kept, ties broken by ordinal order. <see langword="null"/> (default): no limit.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">A null or empty token, a Keras-compatible vocabulary at word level or
    /// with a multi-code-point token or with <paramref name="minCount"/>/<paramref name="maxSize"/> set, or a
    /// <paramref name="maxSize"/> below 4.</exception>
    public static Vocabulary Build(
        IEnumerable<IReadOnlyList<string>> tokenSequences,
        TokenLevel level,
        VocabularyScheme scheme,
        bool isTarget,
        int minCount = 1,
        int? maxSize = null)
    {
        ArgumentNullException.ThrowIfNull(tokenSequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (level is not (TokenLevel.Character or TokenLevel.Word))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown token level.");
        }

        return scheme switch
        {
            VocabularyScheme.Standard => BuildStandard(tokenSequences, level, minCount, maxSize),
            VocabularyScheme.KerasCompatible => BuildKeras(tokenSequences, level, isTarget, minCount, maxSize),
            _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown vocabulary scheme."),
        };
    }

    /// <summary>
    /// Restores a vocabulary from its tokens in id order and its special ids (e.g. from a checkpoint), checking
    /// that they are consistent.
    /// </summary>
    /// <param name="tokens">The tokens in id order.</param>
    /// <param name="specialTokens">The special ids.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="DataFormatException">No tokens, a null, empty or repeated token, a special id out of
    /// range, or two of PAD/START/END (or UNK and a marker) sharing an id.</exception>
    public static Vocabulary FromTokens(IReadOnlyList<string> tokens, SpecialTokens specialTokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(specialTokens);
        int count = tokens.Count;
        if (count == 0)
        {
            throw new DataFormatException("Vocabulary has no tokens.");
        }

        var copy = new string[count];
        var map = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string? token = tokens[i];
            if (string.IsNullOrEmpty(token))
            {
                throw new DataFormatException($"Vocabulary token {i} is {(token is null ? "null" : "empty")}.");
            }

            if (!map.TryAdd(token, i))
            {
                throw new DataFormatException($"Vocabulary token '{Escape(token)}' appears twice (ids {map[token]} and {i}).");
            }

            copy[i] = token;
        }

        CheckId("PAD", specialTokens.Pad, count, allowAbsent: false);
        CheckId("UNK", specialTokens.Unk, count, allowAbsent: false);
        CheckId("START", specialTokens.Start, count, allowAbsent: true);
        CheckId("END", specialTokens.End, count, allowAbsent: true);
        CheckDistinct("PAD", specialTokens.Pad, "START", specialTokens.Start);
        CheckDistinct("PAD", specialTokens.Pad, "END", specialTokens.End);
        CheckDistinct("START", specialTokens.Start, "END", specialTokens.End);
        CheckDistinct("UNK", specialTokens.Unk, "START", specialTokens.Start);
        CheckDistinct("UNK", specialTokens.Unk, "END", specialTokens.End);
        return new Vocabulary(copy, map, specialTokens);
    }

    /// <summary>The names of the Standard special tokens at a level, in id order (PAD, START, END, UNK).</summary>
    /// <param name="level">The token level.</param>
    /// <returns>Four names.</returns>
    public static IReadOnlyList<string> StandardSpecialNames(TokenLevel level) => level == TokenLevel.Word
        ? [PadToken, WordStartToken, WordEndToken, UnkToken]
        : [PadToken, StartToken, EndToken, UnkToken];

    /// <summary>Compares two strings by Unicode code point, as Python compares <c>str</c> values.</summary>
    internal static int CompareCodePoints(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            Rune.DecodeFromUtf16(a.AsSpan(i), out Rune ra, out int na);
            Rune.DecodeFromUtf16(b.AsSpan(j), out Rune rb, out int nb);
            int c = ra.Value.CompareTo(rb.Value);
            if (c != 0)
            {
                return c;
            }

            i += na;
            j += nb;
        }

        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static Vocabulary BuildStandard(IEnumerable<IReadOnlyList<string>> sequences, TokenLevel level, int minCount, int? maxSize)
    {
        IReadOnlyList<string> specials = StandardSpecialNames(level);
        if (maxSize is int max && max < specials.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, $"A vocabulary has at least the {specials.Count} special tokens.");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (IReadOnlyList<string> sequence in sequences)
        {
            ArgumentNullException.ThrowIfNull(sequence, nameof(sequences));
            foreach (string token in sequence)
            {
                CheckToken(token, nameof(sequences));
                if (!specials.Contains(token))
                {
                    counts[token] = counts.GetValueOrDefault(token) + 1;
                }
            }
        }

        // A "word" longer than MaxTokenLength (a URL, a run of symbols, damage) is left out like a rare one: it maps to
        // UNK, and no saved vocabulary holds a token a checkpoint load would refuse.
        List<string> kept = [.. counts.Where(kv => kv.Value >= minCount && kv.Key.Length <= MaxTokenLength).Select(kv => kv.Key)];
        if (maxSize is int limit && kept.Count > limit - specials.Count)
        {
            kept = [.. kept.OrderByDescending(t => counts[t]).ThenBy(t => t, StringComparer.Ordinal).Take(limit - specials.Count)];
        }

        kept.Sort(StringComparer.Ordinal);
        var tokens = new string[specials.Count + kept.Count];
        for (int i = 0; i < specials.Count; i++)
        {
            tokens[i] = specials[i];
        }

        kept.CopyTo(tokens, specials.Count);
        return FromTokens(tokens, SpecialTokens.Standard);
    }

    private static Vocabulary BuildKeras(IEnumerable<IReadOnlyList<string>> sequences, TokenLevel level, bool isTarget, int minCount, int? maxSize)
    {
        if (level != TokenLevel.Character)
        {
            throw new ArgumentException("The KerasCompatible scheme is defined for character level only.", nameof(level));
        }

        if (minCount != 1 || maxSize is not null)
        {
            throw new ArgumentException("The KerasCompatible scheme keeps every character; minCount and maxSize cannot be set.", nameof(minCount));
        }

        var set = new HashSet<string>(StringComparer.Ordinal) { KerasPadToken };
        if (isTarget)
        {
            set.Add(KerasStartToken);
            set.Add(KerasEndToken);
        }

        foreach (IReadOnlyList<string> sequence in sequences)
        {
            ArgumentNullException.ThrowIfNull(sequence, nameof(sequences));
            foreach (string token in sequence)
            {
                CheckToken(token, nameof(sequences));
                if (Rune.DecodeFromUtf16(token, out _, out int used) != System.Buffers.OperationStatus.Done || used != token.Length)
                {
                    throw new ArgumentException($"KerasCompatible tokens are single code points; '{Escape(token)}' is not.", nameof(sequences));
                }

                set.Add(token);
            }
        }

        string[] tokens = [.. set];
        Array.Sort(tokens, CompareCodePoints);
        int pad = Array.IndexOf(tokens, KerasPadToken);
        int start = isTarget ? Array.IndexOf(tokens, KerasStartToken) : SpecialTokens.Absent;
        int end = isTarget ? Array.IndexOf(tokens, KerasEndToken) : SpecialTokens.Absent;
        return FromTokens(tokens, new SpecialTokens(pad, start, end, pad));
    }

    private static void CheckToken(string? token, string paramName)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new ArgumentException("Token sequences must not hold null or empty tokens.", paramName);
        }
    }

    private static void CheckId(string what, int id, int count, bool allowAbsent)
    {
        if (allowAbsent && id == SpecialTokens.Absent)
        {
            return;
        }

        if ((uint)id >= (uint)count)
        {
            throw new DataFormatException($"Vocabulary {what} id {id} is out of range [0, {count}).");
        }
    }

    private static void CheckDistinct(string whatA, int a, string whatB, int b)
    {
        if (a == b && a != SpecialTokens.Absent)
        {
            throw new DataFormatException($"Vocabulary {whatA} and {whatB} share id {a}.");
        }
    }

    internal static string Escape(string token) => token
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\t", "\\t", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal);
}
