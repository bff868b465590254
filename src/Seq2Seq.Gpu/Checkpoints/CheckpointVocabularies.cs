using System.Globalization;
using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Errors;

namespace Seq2Seq.Gpu.Checkpoints;

/// <summary>
/// Checks a checkpoint's vocabularies beyond what <see cref="Vocabulary.FromTokens"/> checks: their sizes against the
/// config and <see cref="CheckpointLimits"/>, and that the special-token ids name the tokens the vocabulary scheme
/// puts there (an end id that maps to a space would otherwise load and decode wrongly).
/// </summary>
internal static class CheckpointVocabularies
{
    /// <summary>Checks that <paramref name="tokens"/> has <paramref name="expectedCount"/> tokens, none too long.</summary>
    public static void CheckTokens(string[] tokens, string key, int expectedCount, string countField, string where)
    {
        if (tokens.Length != expectedCount)
        {
            throw new CheckpointException(
                $"{where}: metadata '{key}' holds {tokens.Length.ToString(CultureInfo.InvariantCulture)} tokens but the config's {countField} is {expectedCount.ToString(CultureInfo.InvariantCulture)}");
        }

        for (int i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] is { Length: > CheckpointLimits.MaxTokenLength } token)
            {
                throw new CheckpointException(
                    $"{where}: metadata '{key}': token {i.ToString(CultureInfo.InvariantCulture)} is {token.Length.ToString(CultureInfo.InvariantCulture)} characters long (allowed up to {CheckpointLimits.MaxTokenLength.ToString(CultureInfo.InvariantCulture)})");
            }
        }
    }

    /// <summary>
    /// Checks that the special ids of <paramref name="vocabulary"/> are those <paramref name="scheme"/> gives a source
    /// or target vocabulary at <paramref name="level"/>, and that the tokens at those ids are the special tokens.
    /// </summary>
    public static void CheckSpecials(Vocabulary vocabulary, TokenLevel level, VocabularyScheme scheme, bool isTarget, string where)
    {
        string side = isTarget ? "target" : "source";
        SpecialTokens ids = vocabulary.SpecialTokens;
        if (scheme == VocabularyScheme.Standard)
        {
            if (ids != SpecialTokens.Standard)
            {
                throw Fail(where, side, $"ids PAD {ids.Pad}, START {ids.Start}, END {ids.End}, UNK {ids.Unk} are not the standard scheme's 0, 1, 2, 3");
            }

            IReadOnlyList<string> names = Vocabulary.StandardSpecialNames(level);
            CheckToken(vocabulary, "PAD", ids.Pad, names[0], where, side);
            CheckToken(vocabulary, "START", ids.Start, names[1], where, side);
            CheckToken(vocabulary, "END", ids.End, names[2], where, side);
            CheckToken(vocabulary, "UNK", ids.Unk, names[3], where, side);
            return;
        }

        // Keras-compatible: the space pads and stands for unknown symbols; only the target has the tab and line feed markers.
        if (ids.Unk != ids.Pad)
        {
            throw Fail(where, side, $"UNK id {ids.Unk} differs from PAD id {ids.Pad}; the keras scheme uses the space for both");
        }

        CheckToken(vocabulary, "PAD", ids.Pad, Vocabulary.KerasPadToken, where, side);
        if (isTarget)
        {
            CheckToken(vocabulary, "START", ids.Start, Vocabulary.KerasStartToken, where, side);
            CheckToken(vocabulary, "END", ids.End, Vocabulary.KerasEndToken, where, side);
        }
        else if (ids.Start != SpecialTokens.Absent || ids.End != SpecialTokens.Absent)
        {
            throw Fail(where, side, $"START id {ids.Start} and END id {ids.End} should both be {SpecialTokens.Absent}: a keras source vocabulary has no markers");
        }
    }

    private static void CheckToken(Vocabulary vocabulary, string what, int id, string expected, string where, string side)
    {
        string actual = vocabulary.TokenOf(id); // In range: Vocabulary.FromTokens checked every id.
        if (actual != expected)
        {
            throw Fail(where, side, $"{what} id {id} is the token '{Vocabulary.Escape(actual)}', not the scheme's {what} token '{Vocabulary.Escape(expected)}'");
        }
    }

    private static CheckpointException Fail(string where, string side, string problem) =>
        new($"{where}: metadata 'special_tokens' ({side} vocabulary): {problem}");
}
