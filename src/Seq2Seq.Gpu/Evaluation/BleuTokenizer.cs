using System.Text;
using System.Text.RegularExpressions;

namespace Seq2Seq.Gpu.Evaluation;

/// <summary>
/// The <c>13a</c> tokeniser of sacreBLEU (the one of mteval-v13a.pl, WMT's reference), reproduced step by step:
/// <list type="number">
/// <item>remove <c>&lt;skipped&gt;</c>, join <c>-\n</c>, turn <c>\n</c> into a space, and unescape <c>&amp;quot;</c>,
/// <c>&amp;amp;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c>;</item>
/// <item>put spaces around every ASCII punctuation character except <c>' , - .</c>
/// (that is <c>!"#$%&amp;()*+/:;&lt;=&gt;?@[\]^_`{|}~</c>);</item>
/// <item>split off <c>.</c> and <c>,</c> unless they sit between two digits (<c>3.14</c>, <c>1,000</c> stay whole);</item>
/// <item>split off <c>-</c> after a digit (<c>5-3</c> becomes <c>5 - 3</c>, <c>well-known</c> stays);</item>
/// <item>split on whitespace, where whitespace is what Python's <c>str.split()</c> splits on (including U+202F and
/// U+00A0). The apostrophe is never split. Case is kept.</item>
/// </list>
/// </summary>
internal static partial class BleuTokenizer
{
    /// <summary>Tokenises one segment into its words and symbols.</summary>
    public static string[] Tokenize(string line)
    {
        line = line.Replace("<skipped>", string.Empty, StringComparison.Ordinal)
            .Replace("-\n", string.Empty, StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal);
        if (line.Contains('&', StringComparison.Ordinal))
        {
            line = line.Replace("&quot;", "\"", StringComparison.Ordinal)
                .Replace("&amp;", "&", StringComparison.Ordinal)
                .Replace("&lt;", "<", StringComparison.Ordinal)
                .Replace("&gt;", ">", StringComparison.Ordinal);
        }

        line = " " + line + " ";
        line = Punctuation().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return SplitOnWhitespace(line);
    }

    /// <summary>Whitespace as Python's <c>str.isspace</c> sees it (.NET's plus U+001C..U+001F).</summary>
    public static bool IsPythonWhitespace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary>Splits on runs of whitespace, dropping empty pieces, as Python's <c>str.split()</c> does.</summary>
    public static string[] SplitOnWhitespace(string text)
    {
        var parts = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool space = i == text.Length || IsPythonWhitespace(text[i]);
            if (space && start >= 0)
            {
                parts.Add(text[start..i]);
                start = -1;
            }
            else if (!space && start < 0)
            {
                start = i;
            }
        }

        return [.. parts];
    }

    /// <summary>Removes all whitespace, as <c>''.join(line.split())</c> does in Python.</summary>
    public static string RemoveWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (!IsPythonWhitespace(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    // The patterns are sacreBLEU's (tokenizers/tokenizer_re.py), written without Python-only escapes.
    [GeneratedRegex(@"([{-~\[-` -&(-+:-@/])", RegexOptions.CultureInvariant)]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"([^0-9])([.,])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([.,])([^0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)", RegexOptions.CultureInvariant)]
    private static partial Regex DashAfterDigit();
}
