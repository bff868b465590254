namespace Seq2Seq.Gpu.Evaluation;

/// <summary>
/// Corpus BLEU as sacreBLEU 2.x computes it by default (<c>sacrebleu -m bleu</c>, signature
/// <c>nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp</c>), with one reference per hypothesis.
/// </summary>
/// <remarks>
/// Each pair is tokenised with <see cref="BleuTokenizer"/>. For n = 1..4 the clipped n-gram matches
/// (sum over hypothesis n-grams of min(count in hypothesis, count in reference)) and the hypothesis n-gram counts are
/// summed over the corpus, as are the hypothesis length c and the reference length r. Then
/// <c>BLEU = 100 · BP · exp(mean over n of log p_n)</c> with <c>p_n = matches_n / total_n</c> and
/// <c>BP = exp(1 - r/c)</c> when c &lt; r (0 when c = 0), else 1.
/// Degenerate cases follow sacreBLEU: no match at any order gives 0; an order with no hypothesis n-grams at all
/// (every hypothesis shorter than n) gives 0; an order with n-grams but no match gets the "exp" smoothing of
/// mteval-v13a, p_n = 1 / (2^k · total_n) for the k-th such order. The result is never NaN.
/// </remarks>
internal static class CorpusBleu
{
    /// <summary>The highest n-gram order.</summary>
    public const int MaxOrder = 4;

    /// <summary>Corpus BLEU (0..100) of the hypotheses against their references.</summary>
    public static double Compute(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        var correct = new long[MaxOrder];
        var total = new long[MaxOrder];
        long sysLength = 0, refLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            string[] hyp = BleuTokenizer.Tokenize(hypotheses[i].TrimEnd());
            string[] reference = BleuTokenizer.Tokenize(references[i].TrimEnd());
            sysLength += hyp.Length;
            refLength += reference.Length;
            for (int n = 1; n <= MaxOrder; n++)
            {
                Dictionary<string, int> hypCounts = CountNgrams(hyp, n);
                Dictionary<string, int> refCounts = CountNgrams(reference, n);
                foreach ((string ngram, int count) in hypCounts)
                {
                    total[n - 1] += count;
                    if (refCounts.TryGetValue(ngram, out int refCount))
                    {
                        correct[n - 1] += Math.Min(count, refCount);
                    }
                }
            }
        }

        return FromStatistics(correct, total, sysLength, refLength);
    }

    /// <summary>BLEU (0..100) from corpus statistics, as sacreBLEU's <c>BLEU.compute_bleu</c> with the given smoothing.</summary>
    /// <param name="correct">Clipped matches per order.</param>
    /// <param name="total">Hypothesis n-grams per order.</param>
    /// <param name="sysLength">Total hypothesis length in tokens.</param>
    /// <param name="refLength">Total reference length in tokens.</param>
    /// <param name="expSmoothing">Whether to apply sacreBLEU's default "exp" smoothing (false: "none").</param>
    public static double FromStatistics(
        ReadOnlySpan<long> correct, ReadOnlySpan<long> total, long sysLength, long refLength, bool expSmoothing = true)
    {
        double brevityPenalty = 1.0;
        if (sysLength < refLength)
        {
            brevityPenalty = sysLength > 0 ? Math.Exp(1.0 - ((double)refLength / sysLength)) : 0.0;
        }

        bool anyMatch = false;
        foreach (long c in correct)
        {
            anyMatch |= c > 0;
        }

        if (!anyMatch)
        {
            return 0.0;
        }

        double logSum = 0.0;
        double smooth = 1.0;
        for (int n = 0; n < correct.Length; n++)
        {
            if (total[n] == 0)
            {
                // sacreBLEU leaves this and all higher precisions at 0, whose floored log makes the score 0.
                return 0.0;
            }

            double precision;
            if (correct[n] == 0)
            {
                if (!expSmoothing)
                {
                    return 0.0;
                }

                smooth *= 2;
                precision = 1.0 / (smooth * total[n]);
            }
            else
            {
                precision = (double)correct[n] / total[n];
            }

            logSum += Math.Log(precision);
        }

        return 100.0 * brevityPenalty * Math.Exp(logSum / correct.Length);
    }

    private static Dictionary<string, int> CountNgrams(string[] tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Length; i++)
        {
            // Tokens hold no whitespace, so joining with a space is unambiguous.
            string key = n == 1 ? tokens[i] : string.Join(' ', tokens, i, n);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }
}
