using System.Globalization;
using System.Text;

namespace Seq2Seq.Gpu.Data;

/// <summary>Splits text into tokens and joins tokens back into text, at character or word level.</summary>
/// <remarks>
/// <para><b>Character level</b>: one token per Unicode code point (a <see cref="Rune"/>), so U+202F NARROW NO-BREAK
/// SPACE is one token and an emoji written as a surrogate pair is one token. An unpaired surrogate becomes
/// U+FFFD. Joining concatenates, so character level round-trips exactly.</para>
/// <para><b>Word level</b>: the text is cut at white space (any <see cref="Rune.IsWhiteSpace(Rune)"/>, which includes
/// U+00A0, U+2009 and U+202F); the white space is dropped. From each piece, the code points of a Unicode
/// punctuation (P*) or symbol (S*) category at its start and at its end are split off one by one, each as a
/// token of its own; the characters inside a word stay with it. So <c>"Go."</c> gives <c>Go</c>, <c>.</c>;
/// <c>"(Qu'est-ce?)"</c> gives <c>(</c>, <c>Qu'est-ce</c>, <c>?</c>, <c>)</c>; <c>"..."</c> gives three <c>.</c>
/// tokens; <c>"l'homme"</c> and <c>"peut-être"</c> stay whole.</para>
/// <para>Joining at word level puts one space between tokens except: no space before a closing mark
/// (<c>. , ! ? ; : ) ] } » … % ' ’ ”</c> and a closing <c>"</c>) and no space after an opening mark
/// (<c>( [ { « ¿ ¡ “ ‘</c> and an opening <c>"</c>; straight double quotes alternate opening/closing). This is
/// English typography: French <c>"Va !"</c> comes back as <c>"Va!"</c>. Word-level round trips are therefore not
/// exact.</para>
/// </remarks>
internal static class Tokenizer
{
    private const string ClosingMarks = ".,!?;:)]}»…%'’”";
    private const string OpeningMarks = "([{«¿¡“‘";

    /// <summary>Splits <paramref name="text"/> into tokens of the given level.</summary>
    /// <param name="text">The text.</param>
    /// <param name="level">Character or word level.</param>
    /// <returns>The tokens, in order.</returns>
    public static IReadOnlyList<string> Tokenize(string text, TokenLevel level) => level switch
    {
        TokenLevel.Character => SplitCharacters(text),
        TokenLevel.Word => SplitWords(text),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown token level."),
    };

    /// <summary>Joins tokens of the given level back into text (see the remarks on the type for word level).</summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="level">Character or word level.</param>
    /// <returns>The text.</returns>
    public static string Detokenize(IEnumerable<string> tokens, TokenLevel level) => level switch
    {
        TokenLevel.Character => string.Concat(tokens ?? throw new ArgumentNullException(nameof(tokens))),
        TokenLevel.Word => JoinWords(tokens),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown token level."),
    };

    /// <summary>Splits text into its Unicode code points, one string per code point.</summary>
    /// <param name="text">The text.</param>
    /// <returns>One token per code point.</returns>
    public static IReadOnlyList<string> SplitCharacters(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            tokens.Add(rune.ToString());
        }

        return tokens;
    }

    /// <summary>Counts the Unicode code points of <paramref name="text"/> (its length at character level).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of code points.</returns>
    public static int CountCodePoints(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int count = 0;
        foreach (Rune unused in text.EnumerateRunes())
        {
            count++;
        }

        return count;
    }

    /// <summary>The number of tokens of <paramref name="text"/> at <paramref name="level"/> (code points need no strings built).</summary>
    /// <param name="text">The text.</param>
    /// <param name="level">Character or word level.</param>
    /// <returns>The token count.</returns>
    public static int CountTokens(string text, TokenLevel level) =>
        level == TokenLevel.Character ? CountCodePoints(text) : Tokenize(text, level).Count;

    /// <summary>Splits text into words and punctuation/symbol marks (see the remarks on the type).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The word-level tokens.</returns>
    public static IReadOnlyList<string> SplitWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var runes = new List<Rune>();
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                FlushPiece(runes, tokens);
            }
            else
            {
                runes.Add(rune);
            }
        }

        FlushPiece(runes, tokens);
        return tokens;
    }

    /// <summary>Joins word-level tokens with spaces, attaching punctuation (see the remarks on the type).</summary>
    /// <param name="tokens">The tokens.</param>
    /// <returns>The text.</returns>
    public static string JoinWords(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var builder = new StringBuilder();
        bool glueNext = true;
        bool quoteOpen = false;
        foreach (string token in tokens)
        {
            if (string.IsNullOrEmpty(token))
            {
                continue;
            }

            bool closing, opening;
            if (token == "\"")
            {
                opening = !quoteOpen;
                closing = quoteOpen;
                quoteOpen = !quoteOpen;
            }
            else
            {
                closing = token.Length == 1 && ClosingMarks.Contains(token[0], StringComparison.Ordinal);
                opening = token.Length == 1 && OpeningMarks.Contains(token[0], StringComparison.Ordinal);
            }

            if (!glueNext && !closing)
            {
                builder.Append(' ');
            }

            builder.Append(token);
            glueNext = opening;
        }

        return builder.ToString();
    }

    private static void FlushPiece(List<Rune> runes, List<string> tokens)
    {
        if (runes.Count == 0)
        {
            return;
        }

        int start = 0;
        int end = runes.Count;
        while (start < end && IsMark(runes[start]))
        {
            start++;
        }

        while (end > start && IsMark(runes[end - 1]))
        {
            end--;
        }

        for (int i = 0; i < start; i++)
        {
            tokens.Add(runes[i].ToString());
        }

        if (end > start)
        {
            var word = new StringBuilder();
            for (int i = start; i < end; i++)
            {
                word.Append(runes[i].ToString());
            }

            tokens.Add(word.ToString());
        }

        for (int i = end; i < runes.Count; i++)
        {
            tokens.Add(runes[i].ToString());
        }

        runes.Clear();
    }

    private static bool IsMark(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation
            or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
            or UnicodeCategory.OtherSymbol => true,
        _ => false,
    };
}
