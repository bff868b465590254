namespace Seq2Seq.Gpu.Evaluation;

/// <summary>
/// Translation quality metrics over (hypothesis, reference) pairs, one reference per hypothesis: exact match,
/// corpus BLEU and corpus chrF. BLEU and chrF reproduce sacreBLEU 2.x's defaults, so the numbers compare with
/// published ones; see each method for the exact definition.
/// </summary>
public static class TranslationMetrics
{
    /// <summary>All metrics at once.</summary>
    /// <param name="hypotheses">The system outputs.</param>
    /// <param name="references">The reference translations, in the same order.</param>
    /// <returns>The scores; all 0 (never NaN) for an empty list.</returns>
    /// <exception cref="ArgumentException">The lists differ in length or hold a null string.</exception>
    public static TranslationScores Score(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        CheckPairs(hypotheses, references);
        return new TranslationScores(
            ExactMatchUnchecked(hypotheses, references),
            CorpusBleu.Compute(hypotheses, references),
            CorpusChrF.Compute(hypotheses, references),
            hypotheses.Count);
    }

    /// <summary>
    /// The fraction (0..1) of pairs whose hypothesis equals its reference, ordinally (case and accents count), after
    /// trimming leading and trailing whitespace from both. Inner whitespace must match exactly. 0 for no pairs.
    /// </summary>
    /// <param name="hypotheses">The system outputs.</param>
    /// <param name="references">The reference translations, in the same order.</param>
    /// <exception cref="ArgumentException">The lists differ in length or hold a null string.</exception>
    public static double ExactMatch(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        CheckPairs(hypotheses, references);
        return ExactMatchUnchecked(hypotheses, references);
    }

    /// <summary>
    /// Corpus BLEU-4 on a 0..100 scale, as <c>sacrebleu</c> computes it by default (signature
    /// <c>nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp</c>): 13a tokenisation (spaces around ASCII punctuation except
    /// <c>' , - .</c>; <c>.</c> and <c>,</c> split unless between digits; <c>-</c> split after a digit), clipped n-gram
    /// precisions for n = 1..4 summed over the corpus, their geometric mean, times the brevity penalty
    /// <c>exp(1 - r/c)</c> when the corpus hypothesis length c is below the reference length r. An order with
    /// n-grams but no match is smoothed as mteval-v13a does (<c>1 / (2^k · total)</c>); no match at all, empty
    /// hypotheses, or hypotheses all shorter than 4 tokens give 0. Never NaN.
    /// </summary>
    /// <param name="hypotheses">The system outputs.</param>
    /// <param name="references">The reference translations, in the same order.</param>
    /// <exception cref="ArgumentException">The lists differ in length or hold a null string.</exception>
    public static double Bleu(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        CheckPairs(hypotheses, references);
        return CorpusBleu.Compute(hypotheses, references);
    }

    /// <summary>
    /// Corpus chrF on a 0..100 scale, as <c>sacrebleu -m chrf</c> computes it by default (signature
    /// <c>nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no</c>): whitespace removed, character (code point) n-grams
    /// n = 1..6, match statistics summed over the corpus, precision and recall averaged over the orders that have
    /// n-grams on both sides, then F-beta with beta = 2. 0 when nothing matches; never NaN.
    /// </summary>
    /// <param name="hypotheses">The system outputs.</param>
    /// <param name="references">The reference translations, in the same order.</param>
    /// <exception cref="ArgumentException">The lists differ in length or hold a null string.</exception>
    public static double ChrF(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        CheckPairs(hypotheses, references);
        return CorpusChrF.Compute(hypotheses, references);
    }

    private static double ExactMatchUnchecked(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        if (hypotheses.Count == 0)
        {
            return 0.0;
        }

        int matches = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (string.Equals(hypotheses[i].Trim(), references[i].Trim(), StringComparison.Ordinal))
            {
                matches++;
            }
        }

        return (double)matches / hypotheses.Count;
    }

    private static void CheckPairs(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(hypotheses);
        ArgumentNullException.ThrowIfNull(references);
        if (hypotheses.Count != references.Count)
        {
            throw new ArgumentException(
                $"there are {hypotheses.Count} hypotheses but {references.Count} references; they must pair up one to one.",
                nameof(references));
        }

        for (int i = 0; i < hypotheses.Count; i++)
        {
            if (hypotheses[i] is null)
            {
                throw new ArgumentException($"hypothesis {i} is null.", nameof(hypotheses));
            }

            if (references[i] is null)
            {
                throw new ArgumentException($"reference {i} is null.", nameof(references));
            }
        }
    }
}
