namespace Seq2Seq.Gpu.Evaluation;

/// <summary>
/// Corpus chrF (Popović 2015) as sacreBLEU 2.x computes it by default (<c>sacrebleu -m chrf</c>, signature
/// <c>nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no</c>), with one reference per hypothesis.
/// </summary>
/// <remarks>
/// Whitespace is removed from both sides (as Python's <c>''.join(s.split())</c>); character n-grams are over Unicode
/// code points (not UTF-16 units), n = 1..6, case-sensitive. For every pair and order n the statistics are the
/// hypothesis n-gram count (counted as 0 when the reference has no n-gram of that order, as sacreBLEU does), the
/// reference n-gram count and the clipped matches; they are summed over the corpus. Per order, precision
/// <c>P_n = matches/hyp</c> and recall <c>R_n = matches/ref</c>; the averages of P_n and R_n are taken over the
/// "effective" orders only (those with hyp &gt; 0 and ref &gt; 0), and
/// <c>chrF = 100 · (1 + β²) · P · R / (β² · P + R)</c> with β = 2, or 0 when P + R = 0 or no order is effective.
/// </remarks>
internal static class CorpusChrF
{
    /// <summary>The highest character n-gram order.</summary>
    public const int DefaultOrder = 6;

    /// <summary>The default beta: recall weighs twice as much as precision.</summary>
    public const double DefaultBeta = 2.0;

    /// <summary>Corpus chrF (0..100) of the hypotheses against their references.</summary>
    public static double Compute(
        IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, int order = DefaultOrder, double beta = DefaultBeta)
    {
        var hypTotal = new long[order];
        var refTotal = new long[order];
        var matches = new long[order];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            string hyp = BleuTokenizer.RemoveWhitespace(hypotheses[i]);
            string reference = BleuTokenizer.RemoveWhitespace(references[i]);
            int[] hypStarts = CodePointStarts(hyp);
            int[] refStarts = CodePointStarts(reference);
            for (int n = 1; n <= order; n++)
            {
                Dictionary<string, int> refCounts = CountNgrams(reference, refStarts, n);
                Dictionary<string, int> hypCounts = CountNgrams(hyp, hypStarts, n);
                long hypCount = 0, matched = 0, refCount = 0;
                foreach ((string ngram, int count) in hypCounts)
                {
                    hypCount += count;
                    if (refCounts.TryGetValue(ngram, out int r))
                    {
                        matched += Math.Min(count, r);
                    }
                }

                foreach (int count in refCounts.Values)
                {
                    refCount += count;
                }

                hypTotal[n - 1] += refCount > 0 ? hypCount : 0;
                refTotal[n - 1] += refCount;
                matches[n - 1] += matched;
            }
        }

        return FromStatistics(hypTotal, refTotal, matches, beta);
    }

    /// <summary>chrF (0..100) from corpus statistics, as sacreBLEU's <c>CHRF._compute_f_score</c> without eps smoothing.</summary>
    public static double FromStatistics(ReadOnlySpan<long> hypTotal, ReadOnlySpan<long> refTotal, ReadOnlySpan<long> matches, double beta)
    {
        double factor = beta * beta;
        double precisionSum = 0.0, recallSum = 0.0;
        int effectiveOrder = 0;
        for (int n = 0; n < hypTotal.Length; n++)
        {
            if (hypTotal[n] > 0 && refTotal[n] > 0)
            {
                precisionSum += (double)matches[n] / hypTotal[n];
                recallSum += (double)matches[n] / refTotal[n];
                effectiveOrder++;
            }
        }

        if (effectiveOrder == 0)
        {
            return 0.0;
        }

        double precision = precisionSum / effectiveOrder;
        double recall = recallSum / effectiveOrder;
        if (precision + recall == 0.0)
        {
            return 0.0;
        }

        return 100.0 * (1 + factor) * precision * recall / ((factor * precision) + recall);
    }

    /// <summary>The UTF-16 index where each code point starts, plus the string's length at the end.</summary>
    private static int[] CodePointStarts(string text)
    {
        var starts = new List<int>(text.Length + 1);
        int i = 0;
        while (i < text.Length)
        {
            starts.Add(i);
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        }

        starts.Add(text.Length);
        return [.. starts];
    }

    private static Dictionary<string, int> CountNgrams(string text, int[] starts, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int codePoints = starts.Length - 1;
        for (int i = 0; i + n <= codePoints; i++)
        {
            string key = text.Substring(starts[i], starts[i + n] - starts[i]);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }
}
