namespace Seq2Seq.Gpu.Inference;

/// <summary>
/// The best few extensions of one sentence's beams, in <see cref="BeamSearch"/>'s order (higher total log-probability,
/// then the earlier beam, then the lower token id; <see cref="double.CompareTo(double)"/> puts NaN after every
/// number), found in one pass over the k·V candidates with a sorted list of <c>keep</c> entries instead of sorting all
/// of them: a word vocabulary of 8,000 at width 5 is 40,000 candidates a sentence a step, whose full sort took
/// milliseconds, longer than the device's decode step.
/// </summary>
internal static class CandidateRanking
{
    /// <summary>
    /// The first <paramref name="keep"/> (or all, when fewer) of the candidates <c>beamLogProbs[i] + scores[beamRows[i]·V + v]</c>
    /// for every beam i and token v, best first; exactly the head of the full sort in that order.
    /// </summary>
    /// <param name="beamLogProbs">Each live beam's total log-probability so far.</param>
    /// <param name="beamRows">Each live beam's row in <paramref name="scores"/>.</param>
    /// <param name="scores">[rows, V] log-probabilities of the next token.</param>
    /// <param name="vocab">V.</param>
    /// <param name="keep">How many to return (at least 1).</param>
    public static List<(int Beam, int Token, double LogProb)> Top(ReadOnlySpan<double> beamLogProbs, ReadOnlySpan<int> beamRows, ReadOnlySpan<double> scores, int vocab, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(beamRows.Length, beamLogProbs.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(vocab);
        var best = new (int Beam, int Token, double LogProb)[(int)Math.Min(keep, (long)beamLogProbs.Length * vocab)];
        int count = 0;
        for (int i = 0; i < beamLogProbs.Length; i++)
        {
            var row = scores.Slice(checked(beamRows[i] * vocab), vocab);
            double prior = beamLogProbs[i];
            for (int v = 0; v < row.Length; v++)
            {
                double logProb = prior + row[v];

                // Candidates arrive in (beam, token) order, so one that ties an earlier one on log-probability ranks
                // after it: it goes before an entry only when its log-probability compares strictly higher.
                if (count == best.Length)
                {
                    if (logProb.CompareTo(best[count - 1].LogProb) <= 0)
                    {
                        continue;
                    }

                    count--;
                }

                int at = count;
                while (at > 0 && logProb.CompareTo(best[at - 1].LogProb) > 0)
                {
                    best[at] = best[at - 1];
                    at--;
                }

                best[at] = (i, v, logProb);
                count++;
            }
        }

        return [.. best.AsSpan(0, count)];
    }
}
